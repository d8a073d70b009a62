"""Staff pages for preparation: the instructions (printable) and the nurse's checklist."""

from __future__ import annotations

from handregen.pathway.models import Episode
from tests.journeys import staff_client, to_consented, to_consulted

ALL_TICKED = {
    "item_fasting_confirmed": "on",
    "item_medication_holds_confirmed": "on",
    "item_consent_valid": "on",
    "item_no_new_exclusion": "on",
}


def test_the_preparation_page_shows_instructions_and_the_checklist(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    text = staff_client(persona, "nurse").get(f"/episodes/{episode.pk}/preparation/").content.decode()
    assert "Do not eat or drink for 6 hours" in text
    assert 'for="id_item_fasting_confirmed"' in text or "Fasting confirmed for the protocol" in text


def test_the_printable_instructions_name_the_patients_medicine_and_its_stop_date(make_episode, physician, persona):
    episode = to_consulted(make_episode(), physician, medications=[{"name": "diclofenac", "drug_class": "nsaid"}])
    page = staff_client(persona, "nurse").get(
        f"/episodes/{episode.pk}/preparation/instructions/", {"procedure_date": "2030-05-10"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "diclofenac" in text and "7 days before the procedure (on 2030-05-03)" in text
    assert "Someone to drive you home".lower() in text.lower()


def test_completing_the_checklist_on_the_page_prepares_the_episode(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    response = staff_client(persona, "nurse").post(f"/episodes/{episode.pk}/preparation/", ALL_TICKED)
    assert response.status_code == 302
    assert Episode.objects.get(pk=episode.pk).stage == "prepared"


def test_an_unticked_item_is_named_on_the_page(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    data = {k: v for k, v in ALL_TICKED.items() if k != "item_no_new_exclusion"}
    page = staff_client(persona, "nurse").post(f"/episodes/{episode.pk}/preparation/", data)
    assert page.status_code == 200 and "Checklist item no_new_exclusion is not confirmed" in page.content.decode()
    assert Episode.objects.get(pk=episode.pk).stage == "consented"


def test_the_episode_page_links_each_step_to_its_form(make_episode, physician, persona):
    episode = make_episode()
    text = staff_client(persona).get(f"/episodes/{episode.pk}/").content.decode()
    assert f"/episodes/{episode.pk}/consultation/" in text
