"""An SMTP server started here receives the invitation and the reminder that `handregen remind` sends and the
link staff send; the link in the mail opens the questionnaire on the configured origin (real Chromium)."""

from __future__ import annotations

import email
import os
import re
import socket
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from handregen.messaging.models import Delivery
from handregen.outcomes.reminders import questionnaire_link_send
from handregen.outcomes.services import followups_schedule
from tests.outcomes.conftest import follow_up

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def link(self, index: int) -> str:
        body = self.messages[index].get_body(("plain",)).get_content()
        return re.search(r"https?://\S+/q/\S+", body).group(0)


@pytest.fixture
def smtp(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    server.stop()


def test_invitation_and_reminder_arrive_by_smtp_and_their_link_opens_on_the_configured_origin(
    smtp, settings, live_server, new_tab, make_episode, make_patient, persona
):
    settings.HANDREGEN_BASE_URL = live_server.url
    settings.HANDREGEN_REMINDER_AFTER_DAYS = 0
    nurse = persona("nurse")
    episode = make_episode(actor=nurse, patient=make_patient(email="rose@example.org"))
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(days=14))
    due = follow_up(episode, "w2")

    call_command("remind", "--quiet")
    call_command("remind", "--quiet")
    assert [m["Subject"] for m in smtp.messages] == [
        "Your hand clinic questionnaire",
        "Reminder: your hand clinic questionnaire",
    ]
    assert all(m["To"] == "rose@example.org" for m in smtp.messages)
    assert {d.purpose: d.status for d in Delivery.objects.all()} == {
        "questionnaire_invitation": "sent",
        "questionnaire_reminder": "sent",
    }
    invitation, reminder = smtp.link(0), smtp.link(1)
    assert reminder.startswith(live_server.url + "/q/")

    phone = new_tab(**PHONE)
    response = phone.goto(reminder)
    assert response.status == 200 and phone.url == live_server.url + "/q/p/1/"
    assert phone.get_by_role("heading", name="Your pain").is_visible()
    gone = new_tab(**PHONE).goto(invitation)  # one live link per follow-up: the reminder's replaced it
    assert gone.status == 410

    url, delivery = questionnaire_link_send(actor=nurse, follow_up=due)
    assert delivery.status == "sent" and smtp.link(2) == url
    assert new_tab(**PHONE).goto(url).status == 200
