"""Opening episodes and moving them: guards, roles, sites and the audit of each move."""

import pytest
from django.db import transaction

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_lock, episode_move, episode_withdraw


def test_a_new_episode_starts_referred_on_the_sites_default_protocol(make_episode):
    episode = make_episode()
    assert episode.stage == "referred"
    assert (episode.protocol.code, episode.protocol.version) == ("hand-oa-autologous", "1.1")
    event = AuditEvent.objects.get(action="episode.open")
    assert event.episode_id == episode.pk and event.changes["stage"] == [None, "referred"]


def test_opening_an_episode_names_every_bad_field(make_episode):
    with pytest.raises(InvalidInput) as caught:
        make_episode(indication="knee_oa", side="up", target_joints=["KNEE"], protocol_code="nope")
    fields = [f for f, _ in caught.value.errors]
    assert fields == ["indication", "side", "target_joints", "protocol"]


def test_an_episode_for_another_sites_patient_is_not_found(make_episode, make_patient, persona):
    north_patient = make_patient(actor=persona("physician", "north"))
    with pytest.raises(NotFound):
        make_episode(patient=north_patient)
    assert not Episode.objects.exists()


def test_a_lab_technician_may_not_open_episodes(make_episode, persona):
    with pytest.raises(Forbidden):
        make_episode(actor=persona("lab_technician"))


def test_withdrawing_needs_a_reason_and_is_audited(make_episode, physician):
    episode = make_episode()
    with pytest.raises(InvalidInput):
        episode_withdraw(actor=physician, episode=episode, reason="")
    withdrawn = episode_withdraw(actor=physician, episode=episode, reason="patient moved away")
    assert withdrawn.stage == "withdrawn"
    event = AuditEvent.objects.get(action="episode.withdraw", outcome="done")
    assert event.changes == {"stage": ["referred", "withdrawn"]}
    assert event.reason == "patient moved away"


def test_withdrawing_a_closed_episode_is_refused_and_the_refusal_is_audited(make_episode, physician):
    episode = make_episode()
    episode_withdraw(actor=physician, episode=episode, reason="first")
    with pytest.raises(GuardRefused) as caught:
        episode_withdraw(actor=physician, episode=episode, reason="second")
    assert "closed" in caught.value.reasons[0]
    refusal = AuditEvent.objects.get(action="episode.withdraw", outcome="refused")
    assert "closed" in refusal.reason
    assert Episode.objects.get(pk=episode.pk).version == 2


def test_a_step_out_of_order_is_refused_with_the_stage_named(make_episode, physician):
    episode = make_episode()
    with transaction.atomic(), pytest.raises(GuardRefused) as caught:
        episode_move(actor=physician, episode=episode_lock(actor=physician, episode=episode), action="injection")
    assert caught.value.reasons == [
        "'Verify at the bedside and record the injection' needs the episode at released; it is at referred."
    ]
    assert Episode.objects.get(pk=episode.pk).stage == "referred"


def test_a_role_without_the_permission_is_refused_even_in_the_right_stage(make_episode, persona):
    episode = make_episode()
    nurse = persona("nurse")
    with transaction.atomic(), pytest.raises(GuardRefused) as caught:
        episode_move(actor=nurse, episode=episode_lock(actor=nurse, episode=episode), action="consultation")
    assert caught.value.reasons == ["A nurse may not record the consultation."]


def test_guard_reasons_from_the_owning_app_are_all_reported(make_episode, physician):
    episode = make_episode()
    with transaction.atomic(), pytest.raises(GuardRefused) as caught:
        episode_move(
            actor=physician,
            episode=episode_lock(actor=physician, episode=episode),
            action="consultation",
            guard_reasons=["first reason", "second reason"],
        )
    assert caught.value.reasons == ["first reason", "second reason"]


def test_another_sites_episode_cannot_be_locked_for_a_move(make_episode, persona):
    episode = make_episode()
    with transaction.atomic(), pytest.raises(NotFound):
        episode_lock(actor=persona("physician", "north"), episode=episode)


def test_a_failing_audit_write_rolls_the_move_back(make_episode, physician, monkeypatch):
    import handregen.pathway.services as services

    episode = make_episode()

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        episode_withdraw(actor=physician, episode=episode, reason="x")
    assert Episode.objects.get(pk=episode.pk).stage == "referred"


def test_a_forbidden_role_cannot_withdraw(make_episode, persona):
    episode = make_episode()
    with pytest.raises(GuardRefused, match="lab technician may not withdraw"):
        episode_withdraw(actor=persona("lab_technician"), episode=episode, reason="x")
