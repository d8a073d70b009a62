"""A patient opens the questionnaire link on a phone (real Chromium): it works once, and not after submission
or expiry; the token leaves the address bar at once."""

import os
from datetime import timedelta

import pytest

from handregen.outcomes.links import questionnaire_link_create
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.services import followups_schedule

# Playwright's sync API runs its own event loop in this thread; the ORM calls here stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    tab = context.new_page()
    yield tab
    context.close()


def due_link(actor, make_episode) -> tuple[FollowUp, str]:
    """A path /q/<token> for the 2-week follow-up of a new episode injected 14 days ago."""
    episode = make_episode(actor=actor)
    followups_schedule(actor=actor, episode=episode, injected_on=episode.site.today() - timedelta(days=14))
    w2 = FollowUp.objects.get(episode=episode, timepoint="w2")
    url = questionnaire_link_create(actor=actor, follow_up=w2)
    return w2, "/q/" + url.rsplit("/q/", 1)[1]


def test_the_link_works_once_from_a_phone_then_says_it_was_answered(phone, persona, make_episode, screenshot):
    nurse = persona("nurse")
    w2, path = due_link(nurse, make_episode)
    landing = phone.goto(path)
    assert landing.status == 200
    assert phone.url.endswith("/q/p/1/") and path.rsplit("/", 1)[1] not in phone.url
    assert landing.headers["referrer-policy"] == "no-referrer"
    assert landing.headers["cache-control"] == "no-store"
    assert phone.get_by_role("heading", name="Your pain").is_visible()
    choice = phone.get_by_role("radio", name="3", exact=True)
    box = phone.locator("label.choice").first.bounding_box()
    assert box is not None and box["height"] >= 44  # large enough to hit with a thumb
    choice.check()
    screenshot(phone, "questionnaire-phone")
    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("radio", name="Much improved", exact=True).check()
    phone.get_by_role("button", name="Next").click()
    assert phone.get_by_text("Wear your splint for 14 days").is_visible()
    phone.get_by_role("button", name="Send my answers").click()
    assert phone.get_by_role("heading", name="Thank you").is_visible()
    stored = {r.instrument: r.total for r in QuestionnaireResponse.objects.filter(follow_up=w2)}
    assert stored == {"nrs": 3.0, "pgic": 2.0}

    again = phone.goto(path)
    assert again.status == 410
    assert phone.get_by_text("already been answered").is_visible()
    phone.goto("/q/")
    assert phone.url.endswith("/q/done/")  # this browser sent them: it is thanked again, nothing reopens
    assert QuestionnaireResponse.objects.filter(follow_up=w2).count() == 2


def test_an_expired_or_wrong_link_shows_a_plain_page(phone, persona, make_episode, settings):
    nurse = persona("nurse")
    settings.HANDREGEN_LINK_DAYS = 0
    _, expired = due_link(nurse, make_episode)
    response = phone.goto(expired)
    assert response.status == 410 and phone.get_by_text("This link has expired.").is_visible()
    response = phone.goto("/q/" + "A" * 43)
    assert response.status == 404 and phone.get_by_text("This link does not work.").is_visible()
    assert "Your pain" not in phone.content()
