"""The patient's questionnaire page shows their next appointment (and nothing of another patient's)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from handregen.outcomes.links import questionnaire_link_create
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import followups_schedule
from handregen.scheduling.services import appointment_book


def test_the_questionnaire_page_names_the_next_visit(persona, physician, make_episode, calendar, at):
    nurse = persona("nurse")
    episode = make_episode(actor=nurse)
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(days=14))
    six_weeks = FollowUp.objects.get(episode=episode, timepoint="w6")
    day = six_weeks.due_on
    while day.weekday() >= 5:
        day += timedelta(days=1)
    appointment_book(
        actor=physician,
        episode=episode,
        kind="follow_up",
        timepoint="w6",
        starts_at=at(day, "10:00"),
        clinician=calendar.clinician,
        room=calendar.consultation_room,
    )
    url = questionnaire_link_create(actor=nurse, follow_up=FollowUp.objects.get(episode=episode, timepoint="w2"))
    client = Client()
    assert client.get(url[url.index("/q/") :]).status_code == 302
    page = client.get("/q/", follow=True).content.decode()
    assert "Your next appointment: <strong>Follow-up visit</strong>" in page  # on the first questionnaire page
    assert f"{day:%-d %B %Y}" in page
