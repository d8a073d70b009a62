"""With JavaScript, the baseline questionnaire link appears in place on the episode page (htmx, served locally)."""

import os

import pytest

from handregen.outcomes.models import QuestionnaireLink

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_baseline_link_appears_on_the_episode_page_without_leaving_it(page, sign_in, make_episode, persona):
    episode = make_episode(actor=persona("nurse"))
    sign_in(page, "nurse")
    page.goto(f"/episodes/{episode.pk}/")
    page.get_by_role("button", name="Send link to patient (baseline questionnaires)").click()
    field = page.get_by_label("Baseline questionnaire link")
    field.wait_for()
    assert page.url.endswith(f"/episodes/{episode.pk}/")  # no page load: the fragment was swapped in
    assert "/q/" in field.input_value()
    assert QuestionnaireLink.objects.filter(patient=episode.patient).count() == 1
