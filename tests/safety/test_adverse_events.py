"""Adverse events: validation of grade, seriousness and dates; alerts for serious events; roles; audit."""

from datetime import date, timedelta

import pytest
from django.core import mail

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.safety.models import AdverseEvent, SafetyAlert
from handregen.safety.services import (
    ALERT_SUBJECT,
    adverse_event_amend,
    adverse_event_record,
    alert_acknowledge,
    alerts_email_pending,
)
from handregen.safety.terms import is_related


def event(**overrides):
    return {
        "term": "injection_site_pain_flare",
        "onset_date": date.today(),
        "grade": 1,
        "serious": False,
        "relatedness": "probable",
    } | overrides


@pytest.fixture
def nurse(persona):
    return persona("nurse")


def test_a_mild_event_is_recorded_with_relatedness_per_part_and_audited(make_episode, nurse):
    episode = make_episode()
    recorded = adverse_event_record(
        actor=nurse,
        episode=episode,
        **event(relatedness_harvest="unlikely", relatedness_injection="probable", relatedness_product="possible"),
    )
    assert (recorded.grade, recorded.outcome, recorded.seriousness_criteria) == (1, "unknown", [])
    assert recorded.relatedness_harvest == "unlikely" and recorded.relatedness_product == "possible"
    audit = AuditEvent.objects.get(action="adverse_event.record")
    assert audit.episode_id == episode.pk and audit.changes["grade"] == [None, 1]
    assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"grade": 5, "serious": False}, "serious"),
        ({"serious": True}, "seriousness_criteria"),
        ({"grade": 2, "serious": True, "seriousness_criteria": ["death"]}, "grade"),
        ({"seriousness_criteria": ["hospitalisation"]}, "seriousness_criteria"),
        ({"onset_date": date.today() + timedelta(days=1)}, "onset_date"),
        ({"onset_date": date.today() - timedelta(days=3)}, "onset_date"),  # before the episode was opened
        ({"resolution_date": date.today() - timedelta(days=1), "outcome": "recovered"}, "resolution_date"),
        ({"resolution_date": date.today(), "outcome": "recovering"}, "outcome"),
        ({"term": "other"}, "other_text"),
        ({"relatedness": "maybe"}, "relatedness"),
        ({"grade": 5, "serious": True, "outcome": "recovered"}, "outcome"),
    ],
)
def test_contradictory_or_impossible_values_are_refused_naming_the_field(make_episode, nurse, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        adverse_event_record(actor=nurse, episode=make_episode(), **event(**overrides))
    assert field in [f for f, _ in caught.value.errors]
    assert not AdverseEvent.objects.exists()


def test_a_grade_5_serious_event_is_recorded_as_death_with_a_fatal_outcome(make_episode, physician):
    recorded = adverse_event_record(
        actor=physician,
        episode=make_episode(),
        **event(term="infection", grade=5, serious=True, relatedness="possible"),
    )
    assert (recorded.seriousness_criteria, recorded.outcome) == (["death"], "fatal")


def test_a_serious_event_alerts_the_responsible_physicians_at_once_without_phi_in_the_subject(
    make_episode, nurse, persona, django_capture_on_commit_callbacks
):
    physician = persona("physician")
    physician.user.email = "dr.demo@example.org"
    physician.user.save()
    north = persona("physician", "north").user
    north.email = "dr.north@example.org"
    north.save()
    episode = make_episode()
    with django_capture_on_commit_callbacks(execute=True):
        recorded = adverse_event_record(
            actor=nurse,
            episode=episode,
            **event(term="infection", grade=3, serious=True, seriousness_criteria=["hospitalisation"]),
        )
    alert = SafetyAlert.objects.get()
    assert alert.adverse_event == recorded and alert.emailed_to == 1 and alert.emailed_at is not None
    (message,) = mail.outbox
    assert message.to == ["dr.demo@example.org"] and message.subject == ALERT_SUBJECT
    patient = episode.patient
    for phi in (patient.family_name, patient.given_name, patient.mrn, "infection"):
        assert phi not in message.subject + message.body
    assert str(alert.pk) in message.body
    assert alerts_email_pending() == 0  # nothing left to send, nothing sent twice
    assert len(mail.outbox) == 1


def test_the_physician_reviews_the_alert_once_and_a_nurse_cannot(make_episode, nurse, physician):
    adverse_event_record(
        actor=nurse,
        episode=make_episode(),
        **event(grade=3, serious=True, seriousness_criteria=["important_medical_event"]),
    )
    alert = SafetyAlert.objects.get()
    with pytest.raises(GuardRefused, match="physician"):
        alert_acknowledge(actor=nurse, alert=alert)
    reviewed = alert_acknowledge(actor=physician, alert=alert)
    assert reviewed.acknowledged_by == physician.user
    with pytest.raises(GuardRefused, match="already"):
        alert_acknowledge(actor=physician, alert=alert)


def test_an_amendment_that_makes_an_event_serious_raises_an_alert(make_episode, nurse):
    recorded = adverse_event_record(actor=nurse, episode=make_episode(), **event())
    amended = adverse_event_amend(
        actor=nurse,
        adverse_event=recorded,
        reason="admitted overnight",
        changes={"grade": 3, "serious": True, "seriousness_criteria": ["hospitalisation"]},
    )
    assert amended.version == 2 and SafetyAlert.objects.count() == 1
    audit = AuditEvent.objects.get(action="adverse_event.amend")
    assert audit.changes["serious"] == [False, True] and audit.reason == "admitted overnight"
    resolved = adverse_event_amend(
        actor=nurse,
        adverse_event=amended,
        reason="healed",
        changes={"outcome": "recovered", "resolution_date": date.today()},
    )
    assert resolved.outcome == "recovered" and SafetyAlert.objects.count() == 1


def test_roles_and_sites(make_episode, persona):
    episode = make_episode()
    with pytest.raises(Forbidden):
        adverse_event_record(actor=persona("coordinator"), episode=episode, **event())
    with pytest.raises(NotFound):
        adverse_event_record(actor=persona("nurse", "north"), episode=episode, **event())


def test_who_umc_certain_probable_and_possible_count_as_related():
    assert [is_related(c) for c in ("certain", "probable", "possible", "unlikely", "conditional", "unassessable")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert is_related(None) is None


def test_the_database_refuses_a_grade_5_event_that_is_not_serious(make_episode, physician):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    episode = make_episode()
    with pytest.raises(IntegrityError), transaction.atomic():
        AdverseEvent.objects.create(
            site=episode.site,
            patient=episode.patient,
            episode=episode,
            term="other",
            onset_date=date.today(),
            grade=5,
            serious=False,
            relatedness="possible",
            reported_by=physician.user,
            reported_at=timezone.now(),
        )
