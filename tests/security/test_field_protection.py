"""Z5 field-level protection: a clinician's request cannot set fields the services own.

Extra fields (stage, site, site_id, signer, owner, version, status, is_synthetic, and the record's own
bookkeeping such as recorded_by / reported_by) are sent with otherwise valid requests to create and amend a
patient's records. Each is either refused (422) or ignored: the stored values are those the services set.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from handregen.consent.models import Consent
from handregen.pathway.models import Episode
from handregen.patients.models import Patient
from handregen.safety.models import AdverseEvent
from tests.journeys import CONSENT_BODY, to_eligible
from tests.security.world import World, event_fields


def _extras(world: World) -> dict[str, Any]:
    """Fields no client may set, pointing at the other site and at values the pathway has not reached."""
    north = world.persona("physician", "north")
    return {
        "stage": "released",
        "status": "withdrawn",
        "site": north.site.pk,
        "site_id": str(north.site.pk),
        "signer": str(north.user.pk),
        "owner": str(north.user.pk),
        "version": 99,
        "is_synthetic": True,
        "recorded_by": str(north.user.pk),
        "reported_by": str(north.user.pk),
        "created_by": str(north.user.pk),
        "cycle": 7,
        "id": str(uuid.uuid4()),
        "patient_id_override": "x",
    }


@pytest.fixture
def world(persona: Any, make_patient: Any, make_episode: Any) -> World:
    return World(persona, make_patient, make_episode)


def _accepted_or_refused(response: Any) -> bool:
    return response.status_code in (200, 201, 422)


@pytest.mark.parametrize("role", ["physician", "nurse"])
def test_extra_fields_on_a_new_patient_are_refused_or_ignored(world: World, api: Any, role: str) -> None:
    body = {
        "mrn": f"Z5-{role}",
        "given_name": "Ann",
        "family_name": "Field",
        "birth_date": "1960-01-01",
        "sex": "female",
        "dominant_hand": "right",
    }
    response = api(role).post("/api/v1/patients", body | _extras(world))
    assert _accepted_or_refused(response), response.content
    if response.status_code == 422:
        assert not Patient.objects.filter(mrn=body["mrn"]).exists()
        return
    patient = Patient.objects.get(mrn=body["mrn"])
    assert patient.site == world.actor("physician").site
    assert (patient.version, patient.is_synthetic) == (1, False)
    assert str(patient.pk) != _extras(world)["id"]


def test_extra_fields_on_a_new_episode_are_refused_or_ignored(world: World, api: Any) -> None:
    body = {
        "patient_id": str(world.patient.pk),
        "indication": "thumb_cmc_oa",
        "side": "right",
        "target_joints": ["CMC1"],
    }
    before = Episode.objects.count()
    response = api("nurse").post("/api/v1/episodes", body | _extras(world))
    assert _accepted_or_refused(response), response.content
    if response.status_code == 422:
        assert Episode.objects.count() == before
        return
    episode = Episode.objects.get(pk=response.json()["id"])
    assert (episode.stage, episode.version, episode.cycle) == ("referred", 1, 1)
    assert episode.site == world.actor("nurse").site and episode.patient == world.patient


def test_extra_fields_on_a_step_do_not_move_the_episode_or_its_site(world: World, api: Any) -> None:
    episode = world.episode
    response = api("physician").post(
        f"/api/v1/episodes/{episode.pk}/consultation",
        {"complaint": "Thumb pain", "nrs_pain_rest": 2, "nrs_pain_load": 6} | _extras(world),
    )
    assert _accepted_or_refused(response), response.content
    stored = Episode.objects.get(pk=episode.pk)
    assert stored.site == episode.site and stored.cycle == 1
    assert stored.stage in ("referred", "consulted")  # the service decides, never the client
    assert stored.version in (episode.version, episode.version + 1)


def test_extra_fields_on_a_consent_are_refused_or_ignored(world: World, api: Any) -> None:
    episode = to_eligible(world.episode, world.actor("physician"))
    response = api("physician").post(f"/api/v1/episodes/{episode.pk}/consent", CONSENT_BODY | _extras(world))
    assert _accepted_or_refused(response), response.content
    consents = Consent.objects.filter(episode=episode)
    if response.status_code == 422:
        assert not consents.exists()
        return
    consent = consents.get()
    assert consent.status == "active" and consent.site == episode.site
    assert consent.recorded_by == world.actor("physician").user
    assert consent.signatures.get().signer_name == CONSENT_BODY["signer_name"]
    assert Episode.objects.get(pk=episode.pk).stage == "consented"


def test_extra_fields_on_a_new_adverse_event_are_refused_or_ignored(world: World, api: Any) -> None:
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in event_fields().items()}
    response = api("nurse").post(f"/api/v1/episodes/{world.episode.pk}/adverse-events", body | _extras(world))
    assert _accepted_or_refused(response), response.content
    events = AdverseEvent.objects.filter(episode=world.episode)
    if response.status_code == 422:
        assert not events.exists()
        return
    event = events.get()
    assert (event.version, event.cycle, event.site) == (1, world.episode.cycle, world.episode.site)
    assert event.reported_by == world.actor("nurse").user


def test_extra_fields_on_an_adverse_event_amendment_are_refused_or_ignored(world: World, api: Any) -> None:
    event = world.adverse_event
    response = api("physician").post(
        f"/api/v1/adverse-events/{event.pk}/amend", {"reason": "Resolved", "outcome": "recovering"} | _extras(world)
    )
    # `version` is the amendment's optimistic lock (R3): a made-up one is a 409 and nothing changes.
    assert _accepted_or_refused(response) or response.status_code == 409, response.content
    stored = AdverseEvent.objects.get(pk=event.pk)
    if response.status_code == 409:
        assert stored.version == event.version and stored.outcome == event.outcome
    assert stored.site == event.site and stored.episode == event.episode and stored.cycle == event.cycle
    assert stored.reported_by == event.reported_by
    assert stored.version in (event.version, event.version + 1)  # one amendment at most, never the client's 99


def test_the_web_patient_form_ignores_site_and_synthetic_flags(world: World, signed_in: Any) -> None:
    from django.urls import reverse

    data = {
        "mrn": "Z5-WEB",
        "given_name": "Ann",
        "family_name": "Field",
        "birth_date": "1960-01-01",
        "sex": "female",
        "dominant_hand": "right",
    } | {k: str(v) for k, v in _extras(world).items()}
    response = signed_in("nurse").post(reverse("web:patient-new"), data)
    assert response.status_code in (200, 302)
    for patient in Patient.objects.filter(mrn="Z5-WEB"):
        assert patient.site == world.actor("nurse").site and not patient.is_synthetic and patient.version == 1
