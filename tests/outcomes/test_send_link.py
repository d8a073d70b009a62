"""Staff's "Send link": the link goes by e-mail through the messaging channel, its delivery is recorded
(queued, sent, failed with the reason) and shown on the follow-ups page; the link is shown once with a QR code."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from handregen.audit.models import AuditEvent
from handregen.messaging.models import Delivery
from handregen.messaging.services import NO_ADDRESS
from handregen.outcomes.models import QuestionnaireLink
from handregen.outcomes.portal_flow import patient_item_count
from handregen.outcomes.reminders import questionnaire_link_send
from tests.conftest import verified_client
from tests.outcomes.conftest import follow_up


@pytest.fixture
def due(scheduled, make_patient, nurse):
    """The 2-week follow-up, due today, of a patient with an e-mail address."""
    patient = make_patient(email="rose@example.org")
    return follow_up(scheduled(days_ago=14, patient=patient), "w2")


def test_send_link_mails_the_patient_shows_the_link_once_with_a_qr_code_and_records_the_delivery(due, nurse):
    client = verified_client(nurse)
    page = client.post(f"/follow-ups/{due.pk}/", {"action": "link"}).content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rose@example.org"]
    mailed = re.search(r"https?://\S+/q/\S+", mail.outbox[0].body).group(0)
    assert f'value="{mailed}"' in page  # the same link, to copy
    assert "<svg" in page and 'class="qr"' in page and "E-mail sent to the patient" in page
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.purpose, delivery.about_id) == ("sent", "questionnaire_link", str(due.pk))
    assert [e.changes["status"] for e in AuditEvent.objects.filter(object_type="delivery").order_by("seq")] == [
        [None, "queued"],
        ["queued", "sent"],
    ]
    follow_ups = client.get(f"/episodes/{due.episode_id}/follow-ups/").content.decode()
    assert re.search(r"<td>sent \d+ \w+ \d\d:\d\d</td>", follow_ups)


def test_a_failing_mail_server_is_recorded_with_its_reason_and_the_link_can_still_be_handed_over(due, nurse, settings):
    settings.EMAIL_BACKEND = "tests.outcomes.failing_mail.Backend"
    _, delivery = questionnaire_link_send(actor=nurse, follow_up=due)
    assert delivery.status == "failed" and "mail server could not be reached" in delivery.reason
    assert "rose@example.org" not in delivery.reason
    assert QuestionnaireLink.objects.filter(follow_up=due, closed_at__isnull=True).count() == 1
    page = verified_client(nurse).get(f"/episodes/{due.episode_id}/follow-ups/").content.decode()
    assert "failed" in page and "mail server could not be reached" in page


def test_without_an_address_nothing_is_sent_and_the_record_says_why(scheduled, nurse):
    fu = follow_up(scheduled(days_ago=14), "w2")
    _, delivery = questionnaire_link_send(actor=nurse, follow_up=fu)
    assert mail.outbox == [] and (delivery.status, delivery.reason) == ("failed", NO_ADDRESS)


def test_sending_again_revokes_the_first_link(due, nurse):
    questionnaire_link_send(actor=nurse, follow_up=due)
    questionnaire_link_send(actor=nurse, follow_up=due)
    links = QuestionnaireLink.objects.filter(follow_up=due)
    assert links.count() == 2 and links.filter(closed_at__isnull=True).count() == 1


def test_the_follow_ups_page_shows_how_many_questions_each_time_point_asks(due, nurse):
    page = verified_client(nurse).get(f"/episodes/{due.episode_id}/follow-ups/").content.decode()
    assert "Questions for the patient" in page
    assert patient_item_count(["nrs", "quickdash", "pgic", "grip"]) == 1 + 11 + 1  # grip is measured by staff
    assert f"<td>{patient_item_count(due.instruments)}</td>" in page


@pytest.mark.django_db(transaction=True)
def test_outside_a_surrounding_transaction_every_delivery_record_is_audited(make_episode, persona):
    """Views run without a request-wide transaction: each record and its audit event commit together."""
    nurse = persona("nurse")
    _, delivery = questionnaire_link_send(actor=nurse, episode=make_episode(actor=nurse))
    assert delivery.status == "failed"
    assert AuditEvent.objects.filter(object_type="delivery", object_id=str(delivery.pk)).count() == 1
