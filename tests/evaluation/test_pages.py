"""Staff pages for the consultation and the candidacy decision: they work without JavaScript and show refusals."""

from __future__ import annotations

from handregen.evaluation.models import Consultation, ImagingStudy
from handregen.pathway.models import Episode
from tests.conftest import signing
from tests.journeys import staff_client, to_consulted


def formset(prefix, rows, total=None):
    data = {f"{prefix}-TOTAL_FORMS": str(total or max(len(rows), 1)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{k}": v for k, v in row.items()}
    return data


def consultation_post(**overrides):
    data = {
        "seen_on": "2025-05-01",
        "complaint": "Pain at the thumb base",
        "symptoms": ["pain"],
        "symptom_duration_months": "12",
        "affected_joints": "CMC1",
        "affected_side": "right",
        "dominant_hand": "right",
        "grind_test": "positive",
        "tenderness": "on",
        "nrs_pain_rest": "3",
        "nrs_pain_load": "7",
        "grip_kg_affected": "19.5",
        "kl_definition": "possible_narrowing",
    }
    data |= formset("treatment", [{"kind": "splint", "date": "2024-01-01"}], total=2)
    data |= formset("medication", [{"name": "ibuprofen", "drug_class": "nsaid"}], total=2)
    data |= formset(
        "imaging",
        [{"modality": "xray", "date": "2025-04-01", "joint": "CMC1", "kl_grade": "2", "eaton_littler_stage": "II",
          "kl_definition": "possible_narrowing"}],
    )  # fmt: skip
    return data | overrides


def test_the_consultation_page_has_a_label_for_every_field_and_the_definitions(make_episode, persona):
    episode = make_episode()
    page = staff_client(persona).get(f"/episodes/{episode.pk}/consultation/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'for="id_nrs_pain_load"' in text and 'for="id_imaging-0-eaton_littler_stage"' in text
    assert "Eaton-Littler stage (thumb base)" in text and "scaphotrapezial" in text
    assert "Kellgren-Lawrence" in text


def test_posting_the_consultation_form_records_it(make_episode, persona):
    episode = make_episode()
    response = staff_client(persona).post(f"/episodes/{episode.pk}/consultation/", consultation_post())
    assert response.status_code == 302 and response["Location"] == f"/episodes/{episode.pk}/candidacy/"
    consultation = Consultation.objects.get(episode=episode)
    assert consultation.medications[0]["name"] == "ibuprofen" and consultation.examination["tenderness"] is True
    assert len(consultation.prior_treatments) == 1
    assert ImagingStudy.objects.get(consultation=consultation).eaton_littler_stage == "II"
    assert Episode.objects.get(pk=episode.pk).stage == "consulted"


def test_a_future_imaging_date_is_shown_next_to_its_row(make_episode, persona):
    episode = make_episode()
    data = consultation_post() | {"imaging-0-date": "2999-01-01"}
    page = staff_client(persona).post(f"/episodes/{episode.pk}/consultation/", data)
    assert page.status_code == 200 and "is in the future" in page.content.decode()
    assert not Consultation.objects.exists()


def test_the_candidacy_page_shows_each_criterion_with_its_kind_and_derived_values(make_episode, physician, persona):
    episode = to_consulted(make_episode(), physician, medications=[{"name": "warfarin", "drug_class": "anticoagulant"}])
    text = staff_client(persona).get(f"/episodes/{episode.pk}/candidacy/").content.decode()
    assert "Hard exclusion: Pregnant or breast-feeding" in text
    assert "Soft flag" in text and "the consultation lists warfarin (anticoagulant)" in text
    assert 'name="c_anticoagulants"' not in text  # derived, not typed twice
    assert "Flagged medicines:" in text and "Subtle widening" in text


def test_a_refused_candidacy_shows_the_reasons_next_to_the_form(make_episode, physician, persona):
    episode = to_consulted(make_episode(), physician)
    answers = {f"c_{c.code}": "yes" if c.kind == "inclusion" else "no" for c in episode.protocol.definition.criteria}
    answers |= {"c_pregnancy": "yes", "decision": "eligible"}
    page = staff_client(persona).post(f"/episodes/{episode.pk}/candidacy/", answers | signing(physician))
    text = page.content.decode()
    assert page.status_code == 200 and "This step was refused" in text and "(pregnancy)" in text
    assert Episode.objects.get(pk=episode.pk).stage == "consulted"


def test_deciding_candidacy_on_the_page(make_episode, physician, persona):
    episode = to_consulted(make_episode(), physician)
    answers = {f"c_{c.code}": "yes" if c.kind == "inclusion" else "no" for c in episode.protocol.definition.criteria}
    response = staff_client(persona).post(
        f"/episodes/{episode.pk}/candidacy/", answers | {"decision": "eligible"} | signing(physician)
    )
    assert response.status_code == 302
    assert Episode.objects.get(pk=episode.pk).stage == "eligible"


def test_a_nurse_is_refused_with_403_instead_of_deciding(make_episode, physician, persona):
    episode = to_consulted(make_episode(), physician)
    answers = {f"c_{c.code}": "yes" if c.kind == "inclusion" else "no" for c in episode.protocol.definition.criteria}
    page = staff_client(persona, "nurse").post(f"/episodes/{episode.pk}/candidacy/", answers | {"decision": "eligible"})
    # A wrong-role action is a 403 page on the web, as in the API (issue 19, finding 7), in plain words.
    assert page.status_code == 403 and "may not do this" in page.content.decode()
    assert "candidacy_decide" not in page.content.decode()
    assert Episode.objects.get(pk=episode.pk).stage == "consulted"


def test_another_sites_episode_is_404(make_episode, persona):
    episode = make_episode()
    client = staff_client(persona, "physician", "north")
    assert client.get(f"/episodes/{episode.pk}/consultation/").status_code == 404
    assert client.get(f"/episodes/{episode.pk}/candidacy/").status_code == 404
