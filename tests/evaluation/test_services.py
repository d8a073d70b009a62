"""Consultation and candidacy services: records, refusals, roles, sites and the audit of each write."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.evaluation.models import CandidacyDecision, Consultation, ImagingStudy
from handregen.evaluation.services import candidacy_decide, consultation_record
from handregen.pathway.models import Episode
from tests.conftest import PASSWORD
from tests.journeys import consultation_data, to_consulted


def plain_answers(episode, **overrides):
    return {c.code: c.kind == "inclusion" for c in episode.protocol.definition.criteria} | overrides


def stage_of(episode):
    return Episode.objects.get(pk=episode.pk).stage


def test_a_consultation_records_history_imaging_and_baseline_and_moves_to_consulted(make_episode, physician):
    episode = make_episode()
    consultation = consultation_record(actor=physician, episode=episode, **consultation_data())
    assert stage_of(episode) == "consulted"
    assert consultation.nrs_pain_load == 7 and consultation.grip_kg_affected == pytest.approx(18.5)
    assert consultation.affected_joints == ["CMC1"] and consultation.affected_side == "right"
    assert consultation.dominant_hand == "right"  # from the patient
    study = ImagingStudy.objects.get(consultation=consultation)
    assert (study.modality, study.kl_grade, study.eaton_littler_stage) == ("xray", 2, "II")
    actions = list(AuditEvent.objects.filter(episode_id=episode.pk).values_list("action", flat=True))
    assert actions[-3:] == ["consultation.record", "imaging.record", "episode.consultation"]
    event = AuditEvent.objects.get(action="consultation.record")
    assert event.changes["nrs_pain_load"] == [None, 7]
    assert event.changes["complaint"][0] is None


def test_anticoagulants_and_antiplatelets_are_flagged(make_episode, physician):
    medications = [
        {"name": "apixaban", "drug_class": "anticoagulant"},
        {"name": "aspirin", "drug_class": "antiplatelet", "dose": "75 mg"},
        {"name": "ibuprofen", "drug_class": "nsaid"},
    ]
    consultation = consultation_record(
        actor=physician, episode=make_episode(), **consultation_data(medications=medications)
    )
    assert [m["name"] for m in consultation.flagged_medications] == ["apixaban", "aspirin"]
    assert [m["flagged"] for m in consultation.medications] == [True, True, False]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"seen_on": date.today() + timedelta(days=2)}, "seen_on"),
        ({"imaging": [{"modality": "xray", "date": str(date.today() + timedelta(days=3))}]}, "imaging[0].date"),
        (
            {"prior_treatments": [{"kind": "corticosteroid_injection", "date": str(date.today() + timedelta(days=9))}]},
            "prior_treatments[0].date",
        ),
        ({"prior_treatments": [{"kind": "corticosteroid_injection"}]}, "prior_treatments[0].date"),
        ({"prior_treatments": [{"kind": "acupuncture"}]}, "prior_treatments[0].kind"),
        ({"medications": [{"name": "x", "drug_class": "vitamin"}]}, "medications[0].drug_class"),
        ({"imaging": [{"modality": "ct", "date": "2025-01-01"}]}, "imaging[0].modality"),
        ({"imaging": [{"modality": "xray", "date": "2025-01-01", "kl_grade": 5}]}, "imaging[0].kl_grade"),
        ({"imaging": [{"modality": "xray", "date": "2025-01-01", "eaton_littler_stage": "V"}]},
         "imaging[0].eaton_littler_stage"),
        ({"nrs_pain_rest": 11}, "nrs_pain_rest"),
        ({"complaint": " "}, "complaint"),
        ({"affected_joints": ["KNEE"]}, "affected_joints"),
        ({"grip_kg_affected": -1}, "grip_kg_affected"),
        ({"symptoms": ["itching"]}, "symptoms"),
        ({"comorbidities": ["gills"]}, "comorbidities"),
        ({"examination": {"grind_test": "maybe"}}, "examination.grind_test"),
    ],
)  # fmt: skip
def test_bad_consultation_input_is_refused_naming_the_field_and_nothing_is_written(
    make_episode, physician, override, field
):
    episode = make_episode()
    with pytest.raises(InvalidInput) as caught:
        consultation_record(actor=physician, episode=episode, **consultation_data(**override))
    assert field in [f for f, _ in caught.value.errors]
    assert not Consultation.objects.exists() and stage_of(episode) == "referred"


def test_future_dates_of_past_events_say_so(make_episode, physician):
    with pytest.raises(InvalidInput) as caught:
        consultation_record(actor=physician, episode=make_episode(), **consultation_data(seen_on=date(2999, 1, 1)))
    assert "in the future" in dict(caught.value.errors)["seen_on"]


def test_eaton_littler_applies_to_the_thumb_base_only(make_episode, physician):
    episode = make_episode(indication="finger_oa", target_joints=["PIP2"])
    imaging = [{"modality": "xray", "date": "2025-01-01", "joint": "PIP2", "kl_grade": 3, "eaton_littler_stage": "II"}]
    with pytest.raises(InvalidInput) as caught:
        consultation_record(actor=physician, episode=episode, **consultation_data(imaging=imaging))
    assert dict(caught.value.errors)["imaging[0].eaton_littler_stage"] == "applies to the thumb base (CMC1) only"


def test_a_nurse_may_not_record_a_consultation(make_episode, persona):
    with pytest.raises(Forbidden):
        consultation_record(actor=persona("nurse"), episode=make_episode(), **consultation_data())


def test_another_sites_episode_is_not_found(make_episode, persona):
    episode = make_episode()
    with pytest.raises(NotFound):
        consultation_record(actor=persona("physician", "north"), episode=episode, **consultation_data())
    with pytest.raises(NotFound):
        candidacy_decide(actor=persona("physician", "north"), episode=episode, criteria={}, decision="deferred",
                         rationale="x", password=PASSWORD)  # fmt: skip


def test_a_second_consultation_at_consulted_is_refused_and_the_refusal_audited(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    with pytest.raises(GuardRefused) as caught:
        consultation_record(actor=physician, episode=episode, **consultation_data())
    assert "it is at consulted" in caught.value.reasons[0]
    assert Consultation.objects.count() == 1
    refused = AuditEvent.objects.get(action="episode.consultation", outcome="refused")
    assert refused.episode_id == episode.pk


def test_eligible_decision_is_recorded_with_every_answer_and_the_deciding_physician(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    record = candidacy_decide(
        password=PASSWORD, actor=physician, episode=episode, criteria=plain_answers(episode), decision="eligible"
    )
    moved = Episode.objects.get(pk=episode.pk)
    assert moved.stage == "eligible" and moved.responsible_physician_id == physician.user.pk
    assert record.decided_by_id == physician.user.pk
    assert set(record.answers) == {c.code for c in episode.protocol.definition.criteria}
    assert record.derived["anticoagulants"]["value"] is False
    event = AuditEvent.objects.get(action="candidacy.decide")
    assert event.changes["decision"] == [None, "eligible"]
    assert AuditEvent.objects.filter(action="episode.candidacy", changes__stage=["consulted", "eligible"]).exists()


def test_missing_criteria_are_a_422_listing_each_one(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    answers = plain_answers(episode)
    del answers["pregnancy"], answers["adult"]
    with pytest.raises(InvalidInput) as caught:
        candidacy_decide(password=PASSWORD, actor=physician, episode=episode, criteria=answers, decision="eligible")
    assert [f for f, _ in caught.value.errors] == ["criteria.pregnancy"]  # adult: from the date of birth
    assert stage_of(episode) == "consulted" and not CandidacyDecision.objects.exists()


def test_eligible_with_a_hard_exclusion_is_refused_naming_it(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    with pytest.raises(GuardRefused) as caught:
        candidacy_decide(
            password=PASSWORD,
            actor=physician,
            episode=episode,
            criteria=plain_answers(episode, pregnancy=True),
            decision="eligible",
        )
    assert caught.value.reasons == [
        "Cannot be eligible: hard exclusion 'Pregnant or breast-feeding' (pregnancy) is present."
    ]
    assert stage_of(episode) == "consulted" and not CandidacyDecision.objects.exists()
    refused = AuditEvent.objects.get(action="episode.candidacy", outcome="refused")
    assert "pregnancy" in refused.reason


def test_ineligible_with_the_hard_exclusion_is_accepted(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    candidacy_decide(
        password=PASSWORD,
        actor=physician,
        episode=episode,
        criteria=plain_answers(episode, active_malignancy=True),
        decision="ineligible",
        rationale="Active malignancy under treatment",
    )
    assert stage_of(episode) == "ineligible"


@pytest.mark.parametrize("decision", ["ineligible", "deferred"])
def test_ineligible_and_deferred_need_a_rationale(make_episode, physician, decision):
    episode = to_consulted(make_episode(), physician)
    with pytest.raises(InvalidInput) as caught:
        candidacy_decide(
            password=PASSWORD, actor=physician, episode=episode, criteria=plain_answers(episode), decision=decision
        )
    assert [f for f, _ in caught.value.errors] == ["rationale"]


def test_a_soft_flag_needs_a_documented_decision(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    answers = plain_answers(episode, heavy_smoking=True)
    with pytest.raises(GuardRefused) as caught:
        candidacy_decide(password=PASSWORD, actor=physician, episode=episode, criteria=answers, decision="eligible")
    assert len(caught.value.reasons) == 1 and "(heavy_smoking)" in caught.value.reasons[0]
    record = candidacy_decide(
        password=PASSWORD,
        actor=physician,
        episode=episode,
        criteria=answers,
        decision="eligible",
        rationale="Agreed to cut down",
    )
    assert record.soft_flags == ["heavy_smoking"] and stage_of(episode) == "eligible"


def test_a_recent_steroid_injection_is_derived_from_the_dated_prior_treatment(make_episode, physician):
    injected = (date.today() - timedelta(days=30)).isoformat()
    treatments = [{"kind": "corticosteroid_injection", "date": injected, "joint": "CMC1", "side": "right"}]
    episode = to_consulted(make_episode(), physician, prior_treatments=treatments)
    answers = plain_answers(episode)
    with pytest.raises(GuardRefused) as caught:
        candidacy_decide(
            password=PASSWORD, actor=physician, episode=episode, criteria=answers, decision="eligible", rationale="ok"
        )
    assert caught.value.reasons[0].startswith("Contradiction")
    assert "30 days ago" in caught.value.reasons[0]
    # Left out, the flag is read from the record: present, so a documented decision is needed, and then accepted.
    del answers["recent_corticosteroid_injection"]
    record = candidacy_decide(
        password=PASSWORD,
        actor=physician,
        episode=episode,
        criteria=answers,
        decision="eligible",
        rationale="Steroid effect discussed",
    )
    assert record.answers["recent_corticosteroid_injection"] is True
    assert record.soft_flags == ["recent_corticosteroid_injection"]


def test_an_injection_into_another_joint_or_side_does_not_count(make_episode, physician):
    injected = (date.today() - timedelta(days=30)).isoformat()
    treatments = [
        {"kind": "corticosteroid_injection", "date": injected, "joint": "PIP2"},
        {"kind": "corticosteroid_injection", "date": injected, "joint": "CMC1", "side": "left"},
    ]
    episode = to_consulted(make_episode(), physician, prior_treatments=treatments)
    record = candidacy_decide(
        password=PASSWORD, actor=physician, episode=episode, criteria=plain_answers(episode), decision="eligible"
    )
    assert record.answers["recent_corticosteroid_injection"] is False


def test_a_nurse_may_not_decide_candidacy(make_episode, physician, persona):
    episode = to_consulted(make_episode(), physician)
    with pytest.raises(Forbidden):
        candidacy_decide(
            password=PASSWORD,
            actor=persona("nurse"),
            episode=episode,
            criteria=plain_answers(episode),
            decision="eligible",
        )
    assert stage_of(episode) == "consulted"


def test_candidacy_before_the_consultation_is_refused(make_episode, physician):
    episode = make_episode()
    with pytest.raises(GuardRefused) as caught:
        candidacy_decide(
            password=PASSWORD, actor=physician, episode=episode, criteria=plain_answers(episode), decision="eligible"
        )
    assert any("it is at referred" in r for r in caught.value.reasons)
    assert any("No consultation" in r for r in caught.value.reasons)


def test_a_deferred_episode_is_re_evaluated(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    candidacy_decide(
        password=PASSWORD,
        actor=physician,
        episode=episode,
        criteria=plain_answers(episode, systemic_inflammatory_flare=True),
        decision="deferred",
        rationale="Psoriatic flare; review in three months",
    )
    assert stage_of(episode) == "deferred"
    # Either straight to a new decision, or a new consultation first: both are open from deferred.
    consultation_record(actor=physician, episode=episode, **consultation_data(nrs_pain_load=8))
    assert stage_of(episode) == "consulted"
    candidacy_decide(
        password=PASSWORD, actor=physician, episode=episode, criteria=plain_answers(episode), decision="eligible"
    )
    assert stage_of(episode) == "eligible"
    assert CandidacyDecision.objects.filter(episode=episode).count() == 2
    assert Consultation.objects.filter(episode=episode).count() == 2
