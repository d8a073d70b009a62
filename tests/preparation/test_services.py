"""The day-of checklist: every item must hold, consent must be valid, nurses and physicians complete it."""

from __future__ import annotations

import pytest

from handregen.audit.models import AuditEvent
from handregen.consent.services import consent_withdraw
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.evaluation.services import candidacy_decide
from handregen.pathway.models import Episode
from handregen.preparation.models import PreparationChecklist
from handregen.preparation.selectors import preparation_refusals
from handregen.preparation.services import preparation_complete
from tests.conftest import PASSWORD
from tests.journeys import to_consented, to_consulted, to_prepared

ALL = {"fasting_confirmed": True, "medication_holds_confirmed": True, "consent_valid": True, "no_new_exclusion": True}


def test_the_journey_helper_reaches_prepared(make_episode, physician, persona):
    episode = to_prepared(make_episode(), physician, persona("nurse"))
    assert episode.stage == "prepared"
    assert preparation_refusals(episode=episode) == []


def test_a_complete_checklist_prepares_the_episode_and_keeps_the_instructions(make_episode, physician, persona):
    nurse = persona("nurse")
    episode = to_consented(make_episode(), physician)
    record = preparation_complete(actor=nurse, episode=episode, checklist=ALL, notes="Fasted since 06:00")
    assert Episode.objects.get(pk=episode.pk).stage == "prepared"
    assert record.cycle == 1 and record.complete and record.completed_by_id == nurse.user.pk
    assert record.instructions["fasting_hours"] == 6  # what the patient was told is kept with the checklist
    event = AuditEvent.objects.get(action="preparation.complete")
    assert event.changes["checklist"] == [None, ALL] and event.actor_role == "nurse"
    assert preparation_refusals(episode=episode) == []


@pytest.mark.parametrize("item", sorted(ALL))
def test_an_item_false_is_refused_naming_it(make_episode, physician, persona, item):
    episode = to_consented(make_episode(), physician)
    with pytest.raises(GuardRefused) as caught:
        preparation_complete(actor=persona("nurse"), episode=episode, checklist=ALL | {item: False})
    assert len(caught.value.reasons) == 1 and item in caught.value.reasons[0]
    assert not PreparationChecklist.objects.exists()
    assert Episode.objects.get(pk=episode.pk).stage == "consented"
    assert AuditEvent.objects.filter(action="episode.preparation", outcome="refused").count() == 1


def test_an_item_left_out_is_not_confirmed(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    with pytest.raises(GuardRefused) as caught:
        preparation_complete(actor=persona("nurse"), episode=episode, checklist={"fasting_confirmed": True})
    assert [r.split()[2] for r in caught.value.reasons] == [
        "medication_holds_confirmed",
        "no_new_exclusion",
    ]  # consent_valid is read from the record, not ticked


def test_a_valid_consent_on_file_is_derived_and_a_contradicting_no_is_refused(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    items = {"fasting_confirmed": True, "medication_holds_confirmed": True, "no_new_exclusion": True}
    with pytest.raises(GuardRefused) as caught:
        preparation_complete(actor=persona("nurse"), episode=episode, checklist=items | {"consent_valid": False})
    assert caught.value.reasons == ["Contradiction: consent_valid is answered no, but a valid consent is on file."]
    assert preparation_complete(actor=persona("nurse"), episode=episode, checklist=items).consent is not None


def test_an_unknown_item_is_a_422(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    with pytest.raises(InvalidInput) as caught:
        preparation_complete(actor=persona("nurse"), episode=episode, checklist=ALL | {"hair_brushed": True})
    assert [f for f, _ in caught.value.errors] == ["checklist.hair_brushed"]


def test_consent_valid_cannot_be_ticked_when_consent_was_withdrawn(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    consent_withdraw(actor=physician, episode=episode, reason="Patient withdrew")
    with pytest.raises(GuardRefused) as caught:
        preparation_complete(actor=persona("nurse"), episode=episode, checklist=ALL)
    assert caught.value.reasons[0] == "consent_valid cannot be confirmed: the consent is not valid."
    assert caught.value.reasons[1].startswith("Consent was withdrawn on")


def test_a_lab_technician_may_not_complete_the_checklist_but_a_physician_may(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    with pytest.raises(Forbidden):
        preparation_complete(actor=persona("lab_technician"), episode=episode, checklist=ALL)
    preparation_complete(actor=physician, episode=episode, checklist=ALL)
    assert Episode.objects.get(pk=episode.pk).stage == "prepared"


def test_another_sites_episode_is_not_found(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    with pytest.raises(NotFound):
        preparation_complete(actor=persona("nurse", "north"), episode=episode, checklist=ALL)


def test_preparation_before_consent_is_refused(make_episode, persona):
    with pytest.raises(GuardRefused) as caught:
        preparation_complete(actor=persona("nurse"), episode=make_episode(), checklist=ALL)
    assert "it is at referred" in caught.value.reasons[0]
    assert "No signed consent on file." in caught.value.reasons


def test_preparation_refusals_are_per_treatment_cycle(make_episode, physician, persona):
    episode = to_prepared(make_episode(), physician, persona("nurse"))
    assert preparation_refusals(episode=episode) == []
    episode.cycle = 2  # a further treatment cycle needs its own day-of checklist
    assert preparation_refusals(episode=episode) == [
        "The day-of preparation checklist for treatment cycle 2 has not been completed."
    ]


def test_the_instructions_name_the_patients_own_medicine_to_hold(make_episode, physician, persona):
    medicines = [{"name": "naproxen", "drug_class": "nsaid"}, {"name": "rivaroxaban", "drug_class": "anticoagulant"}]
    episode = to_consulted(make_episode(), physician, medications=medicines)
    answers = {c.code: c.kind == "inclusion" for c in episode.protocol.definition.criteria} | {"anticoagulants": True}
    candidacy_decide(
        password=PASSWORD,
        actor=physician,
        episode=episode,
        criteria=answers,
        decision="eligible",
        rationale="Prescriber to decide",
    )
    record = preparation_complete(actor=persona("nurse"), episode=to_consented(episode, physician), checklist=ALL)
    holds = {h["medication"]: h for h in record.instructions["holds"]}
    assert holds["naproxen"]["days_before"] == 7 and not holds["naproxen"]["prescriber_decision"]
    assert holds["rivaroxaban"]["prescriber_decision"] and "do not stop it on your own" in holds["rivaroxaban"]["text"]
