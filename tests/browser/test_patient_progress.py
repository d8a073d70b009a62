"""On a 375 px phone (real Chromium) the patient reads their progress in large text, with no sideways scrolling."""

import os
from datetime import timedelta

import pytest

from handregen.outcomes.links import questionnaire_link_create
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import baseline_response_record, followups_schedule, response_record

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 740}


def test_the_progress_sentence_is_large_and_fits_a_375_px_screen(new_tab, persona, make_episode, screenshot):
    nurse = persona("nurse")
    episode = make_episode(actor=nurse)
    baseline_response_record(actor=nurse, episode=episode, instrument="nrs", answers={"pain": 7})
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(days=91))
    m3 = FollowUp.objects.get(episode=episode, timepoint="m3")
    response_record(actor=nurse, follow_up=m3, instrument="nrs", answers={"pain": 4})
    url = questionnaire_link_create(actor=nurse, follow_up=m3)

    phone = new_tab(viewport=PHONE, is_mobile=True, has_touch=True)
    assert phone.goto("/q/" + url.rsplit("/q/", 1)[1]).status == 200
    phone.goto("/q/review/")  # the progress comes after the questions, so it sways no answer
    line = phone.get_by_text("Your average hand pain was 7 out of 10 before treatment and 4 out of 10 at 3 months.")
    line.scroll_into_view_if_needed()
    assert line.is_visible()
    assert phone.get_by_text("Changes like this can have many causes").is_visible()
    font_px = float(line.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
    assert font_px >= 20  # larger than the page's 18 px body text
    box = line.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing scrolls sideways
    screenshot(phone, "patient-progress-375")
