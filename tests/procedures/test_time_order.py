"""Time runs forwards: each pair of neighbouring steps, in order and out of order, and nothing in the future.

Every refusal names its rule and leaves the database as it was (only the refusal itself is audited).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from handregen.aftercare.services import post_care_record
from handregen.cellproducts.models import CellProduct
from handregen.cellproducts.services import processing_record, product_release
from handregen.errors import GuardRefused, InvalidInput
from handregen.procedures.models import Harvest
from handregen.procedures.services import harvest_record, injection_record
from handregen.timeorder import CLOCK_SLACK
from tests.cellproducts.chain import BONE_MARROW, GOOD_PROCESSING, harvested, prepared, processed, released
from tests.state import database_state

MONITORING = {
    "at": None,
    "pain_nrs": 3,
    "heart_rate": 72,
    "systolic_bp": 128,
    "diastolic_bp": 80,
    "injection_site": "normal",
    "harvest_site": "normal",
}


def _field_messages(error: InvalidInput, field: str) -> list[str]:
    return [message for name, message in error.errors if name == field]


def _inject(episode, product, team):
    return injection_record(
        actor=team.physician,
        episode=episode,
        product_code=product.code,
        wristband_code=episode.patient.wristband_code,
        joint=episode.target_joints[0],
        side=episode.side,
        guidance="ultrasound",
        anaesthetic="lidocaine 1 % 1 mL",
        volume_ml=2.0,
    )


# --- consent -> harvest ----------------------------------------------------------------------------------


def test_a_harvest_that_started_before_the_consent_is_refused_naming_the_rule(make_episode, team, clock):
    episode = prepared(make_episode(), team)
    before = database_state()
    start = timezone.now() - timedelta(hours=2)
    with pytest.raises(InvalidInput) as caught:
        harvest_record(
            actor=team.physician,
            episode=episode,
            **BONE_MARROW,
            started_at=start,
            ended_at=start + timedelta(minutes=30),
        )
    [message] = _field_messages(caught.value, "started_at")
    assert "Time order rule 'harvest after consent'" in message and "Check the harvest's start time" in message
    assert database_state() == before
    assert not Harvest.objects.exists() and not CellProduct.objects.exists()


def test_a_harvest_after_the_consent_is_accepted_and_a_device_clock_a_little_behind_is_tolerated(make_episode, team):
    episode = prepared(make_episode(), team)
    start = timezone.now() - CLOCK_SLACK + timedelta(minutes=1)  # within the slack of the consent's time
    record = harvest_record(actor=team.physician, episode=episode, **BONE_MARROW, started_at=start)
    assert record.started_at == start


# --- harvest -> processing -------------------------------------------------------------------------------


def test_processing_that_started_before_the_harvest_ended_is_refused_naming_the_rule(make_episode, team, clock):
    product = harvested(make_episode(), team)
    clock.advance(hours=1)
    before = database_state()
    with pytest.raises(InvalidInput) as caught:
        processing_record(
            actor=team.lab,
            product=product,
            **GOOD_PROCESSING,
            started_at=product.collected_at - timedelta(hours=1),
            ended_at=product.collected_at + timedelta(minutes=30),
        )
    [message] = _field_messages(caught.value, "started_at")
    assert "Time order rule 'processing after harvest'" in message
    assert database_state() == before
    product.refresh_from_db()
    assert product.status == "collected"


def test_processing_after_the_harvest_is_accepted(make_episode, team, clock):
    product = harvested(make_episode(), team)
    clock.advance(hours=1)
    record = processing_record(
        actor=team.lab,
        product=product,
        **GOOD_PROCESSING,
        started_at=product.collected_at + timedelta(minutes=5),
        ended_at=product.collected_at + timedelta(minutes=40),
    )
    assert record.started_at == product.collected_at + timedelta(minutes=5)


# --- processing -> release -------------------------------------------------------------------------------


def test_a_release_before_processing_ended_is_refused_naming_the_rule(make_episode, team, clock):
    product = harvested(make_episode(), team)
    clock.advance(hours=1)
    # Processing says it ends 4 minutes from now (within the slack); then the server's clock is set back.
    processed(product, team, started_at=timezone.now(), ended_at=timezone.now() + timedelta(minutes=4))
    clock.advance(minutes=-20)
    before = database_state()
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify())
    assert any("Time order rule 'release after processing'" in r for r in caught.value.reasons)
    assert database_state() == before


def test_a_release_after_processing_is_accepted(make_episode, team, clock):
    product = harvested(make_episode(), team)
    clock.advance(hours=1)
    processed(product, team)
    clock.advance(minutes=10)
    assert product_release(actor=team.lab, product=product, **team.verify()).status == "released"


# --- release -> injection --------------------------------------------------------------------------------


def test_an_injection_before_the_release_is_refused_naming_the_rule(make_episode, team, clock):
    product = released(harvested(make_episode(), team), team)
    clock.advance(minutes=-30)  # the bedside's clock says earlier than the lab's release
    before = database_state()
    with pytest.raises(GuardRefused) as caught:
        _inject(product.episode, product, team)
    assert any("Time order rule 'injection after release'" in r for r in caught.value.reasons)
    assert database_state() == before


def test_an_injection_after_the_release_is_accepted(make_episode, team, clock):
    product = released(harvested(make_episode(), team), team)
    clock.advance(minutes=30)
    assert _inject(product.episode, product, team).product_id == product.pk


# --- injection -> post-care ------------------------------------------------------------------------------


def _injected(make_episode, team, clock):
    product = released(harvested(make_episode(), team), team)
    injection = _inject(product.episode, product, team)
    clock.advance(hours=2)
    return product.episode, injection


def test_post_care_before_the_injection_is_refused_naming_the_rule(make_episode, team, clock):
    episode, injection = _injected(make_episode, team, clock)
    early = injection.performed_at - timedelta(hours=1)
    before = database_state()
    with pytest.raises(InvalidInput) as caught:
        post_care_record(
            actor=team.nurse,
            episode=episode,
            monitoring=[MONITORING | {"at": early}],
            discharged_at=early + timedelta(minutes=10),
            instructions_given=True,
        )
    messages = dict(caught.value.errors)
    assert "Time order rule 'post-care after injection'" in messages["discharged_at"]
    assert "monitoring observation 1" in messages["monitoring.0.at"]
    assert database_state() == before


def test_post_care_after_the_injection_is_accepted(make_episode, team, clock):
    episode, injection = _injected(make_episode, team, clock)
    later = injection.performed_at + timedelta(minutes=30)
    record = post_care_record(
        actor=team.nurse,
        episode=episode,
        monitoring=[MONITORING | {"at": later}],
        discharged_at=later + timedelta(minutes=30),
        instructions_given=True,
    )
    assert record.discharged_at == later + timedelta(minutes=30)


# --- nothing in the future -------------------------------------------------------------------------------


def test_a_harvest_ending_in_the_future_is_refused_but_the_slack_is_tolerated(make_episode, team, clock):
    episode = prepared(make_episode(), team)
    clock.advance(hours=1)
    with pytest.raises(InvalidInput) as caught:
        harvest_record(
            actor=team.physician,
            episode=episode,
            **BONE_MARROW,
            ended_at=timezone.now() + CLOCK_SLACK + timedelta(minutes=2),
        )
    [message] = _field_messages(caught.value, "ended_at")
    assert "Time rule 'nothing in the future'" in message
    ended = timezone.now() + CLOCK_SLACK - timedelta(minutes=1)
    assert harvest_record(actor=team.physician, episode=episode, **BONE_MARROW, ended_at=ended).ended_at == ended


def test_processing_ending_in_the_future_is_refused(make_episode, team, clock):
    product = harvested(make_episode(), team)
    clock.advance(hours=1)
    with pytest.raises(InvalidInput) as caught:
        processing_record(
            actor=team.lab,
            product=product,
            **GOOD_PROCESSING,
            started_at=timezone.now(),
            ended_at=timezone.now() + timedelta(hours=1),
        )
    assert "Time rule 'nothing in the future'" in _field_messages(caught.value, "ended_at")[0]


def test_a_discharge_in_the_future_is_refused(make_episode, team, clock):
    episode, injection = _injected(make_episode, team, clock)
    with pytest.raises(InvalidInput) as caught:
        post_care_record(
            actor=team.nurse,
            episode=episode,
            monitoring=[MONITORING | {"at": injection.performed_at + timedelta(minutes=30)}],
            discharged_at=timezone.now() + timedelta(hours=3),
            instructions_given=True,
        )
    assert "Time rule 'nothing in the future'" in dict(caught.value.errors)["discharged_at"]
