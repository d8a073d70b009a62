"""`handregen remind`: due invitations and reminders by e-mail, safe to rerun (never sends twice), no PHI."""

import io

from django.core import mail
from django.core.management import call_command

from handregen.outcomes.models import QuestionnaireLink, ReminderSent
from handregen.outcomes.services import response_record
from tests.outcomes.conftest import follow_up


def remind() -> str:
    out = io.StringIO()
    call_command("remind", stdout=out)
    return out.getvalue()


def test_running_twice_sends_each_invitation_once(scheduled, make_patient, nurse):
    scheduled(days_ago=14, patient=make_patient(actor=nurse, email="rose@example.org"))
    scheduled(days_ago=42, patient=make_patient(actor=nurse, email="amy@example.org"))
    first = remind()
    assert len(mail.outbox) == 2
    second = remind()
    assert len(mail.outbox) == 2
    assert ReminderSent.objects.count() == 2 and QuestionnaireLink.objects.count() == 2
    assert "2 invitation(s) and 0 reminder(s) sent" in first
    assert "0 invitation(s) and 0 reminder(s) sent" in second


def test_the_invitation_carries_a_working_link_and_no_patient_details(scheduled, make_patient, nurse, client):
    patient = make_patient(actor=nurse, email="rose@example.org", given_name="Rosalind", family_name="Quennell")
    scheduled(days_ago=14, patient=patient)
    output = remind()
    (message,) = mail.outbox
    assert message.to == ["rose@example.org"]
    text = message.subject + message.body + output
    for phi in ("Rosalind", "Quennell", patient.mrn, "1958", "rose@example.org", "thumb"):
        assert phi not in text
    url = next(word for word in message.body.split() if "/q/" in word)
    assert client.get(url.split("127.0.0.1:8000", 1)[1]).status_code == 302


def test_one_reminder_follows_after_the_configured_days_and_then_nothing(scheduled, make_patient, nurse, settings):
    settings.HANDREGEN_REMINDER_AFTER_DAYS = 0
    scheduled(days_ago=14, patient=make_patient(actor=nurse, email="rose@example.org"))
    remind()
    remind()
    remind()
    assert [m.subject for m in mail.outbox] == [
        "Your hand clinic questionnaire",
        "Reminder: your hand clinic questionnaire",
    ]


def test_no_mail_without_an_address_when_answered_or_outside_the_window(scheduled, make_patient, nurse):
    scheduled(days_ago=14)  # no e-mail address
    scheduled(days_ago=5, patient=make_patient(actor=nurse, email="early@example.org"))  # w2 not yet due
    answered = scheduled(days_ago=14, patient=make_patient(actor=nurse, email="done@example.org"))
    w2 = follow_up(answered, "w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 2})
    response_record(actor=nurse, follow_up=w2, instrument="pgic", answers={"pgic": 3})
    remind()
    assert mail.outbox == []


def test_a_failing_mail_server_sends_nothing_records_nothing_and_the_next_run_retries(
    scheduled, make_patient, nurse, settings
):
    scheduled(days_ago=14, patient=make_patient(actor=nurse, email="rose@example.org"))
    settings.EMAIL_BACKEND = "tests.outcomes.failing_mail.Backend"
    output = remind()
    assert "invitation failed (ConnectionRefusedError)" in output
    assert not ReminderSent.objects.exists() and not QuestionnaireLink.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    remind()
    assert len(mail.outbox) == 1


def test_a_serious_event_alert_whose_mail_failed_is_sent_by_the_next_run(
    make_episode, persona, settings, django_capture_on_commit_callbacks
):
    from datetime import date

    from handregen.safety.models import SafetyAlert
    from handregen.safety.services import adverse_event_record

    physician = persona("physician")
    physician.user.email = "dr.demo@example.org"
    physician.user.save()
    settings.EMAIL_BACKEND = "tests.outcomes.failing_mail.Backend"
    with django_capture_on_commit_callbacks(execute=True):
        adverse_event_record(
            actor=physician,
            episode=make_episode(),
            term="infection",
            onset_date=date.today(),
            grade=3,
            serious=True,
            seriousness_criteria=["hospitalisation"],
            relatedness="possible",
        )
    assert SafetyAlert.objects.get().emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "1 serious-event alert e-mail(s) sent on retry" in remind()
    assert "alert" not in remind()
    assert [m.to for m in mail.outbox] == [["dr.demo@example.org"]]
