"""Issue 14's "What was seen", in Chromium: each situation is refused or handled, and the pages are looked at
(screenshots at 1280 and 320 px in test-artifacts/)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from handregen.consent.models import Consent
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.services import followups_schedule, response_record
from handregen.safety.models import AdverseEvent
from tests.journeys import to_consented

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _both_widths(tab, screenshot, name: str) -> None:
    screenshot(tab, f"{name}-1280")
    tab.set_viewport_size({"width": 320, "height": 800})
    screenshot(tab, f"{name}-320")
    tab.set_viewport_size({"width": 1280, "height": 900})


def _fill_event(tab) -> None:
    tab.locator('select[name="term"]').select_option("infection")
    tab.locator('input[name="onset_date"]').fill(timezone.localdate().isoformat())
    tab.locator('input[name="grade"][value="2"]').check()
    tab.locator('input[name="serious"][value="no"]').check()
    tab.locator('select[name="relatedness"]').select_option("possible")
    tab.locator('select[name="action_taken"]').select_option("none")
    tab.locator('select[name="outcome"]').select_option("recovering")


def test_back_and_resubmit_of_an_adverse_event_stores_it_once(page, sign_in, make_episode, persona, screenshot):
    episode = make_episode(actor=persona("nurse"))
    sign_in(page, "nurse")
    page.goto(f"/episodes/{episode.pk}/adverse-events/new/")
    assert page.locator('select[name="term"]').input_value() == ""  # nothing pre-selected
    _fill_event(page)
    page.get_by_role("button", name="Record").click()
    page.wait_for_url(f"**/episodes/{episode.pk}/adverse-events/")
    page.go_back()
    page.wait_for_load_state()
    if page.locator('select[name="term"]').input_value() == "":  # the browser did not restore the form: refill
        _fill_event(page)
    page.get_by_role("button", name="Record").click()
    page.wait_for_load_state()
    assert AdverseEvent.objects.filter(episode=episode).count() == 1, page.content()[:3000]
    _both_widths(page, screenshot, "integrity-ae-resubmitted")


def test_two_tabs_correcting_one_score_the_stale_tab_sees_both_values(
    new_tab, sign_in, make_episode, persona, screenshot
):
    nurse = persona("nurse")
    episode = make_episode(actor=nurse)
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(days=14))
    w2 = FollowUp.objects.get(episode=episode, timepoint="w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 4})
    first, second = new_tab(), new_tab()
    sign_in(first, "nurse")
    sign_in(second, "coordinator")
    url = f"/follow-ups/{w2.pk}/enter/nrs/"
    for tab in (first, second):
        tab.goto(url)
    for tab, value, why in ((first, "5", "patient corrected it"), (second, "6", "read from the paper form")):
        field = tab.locator('[name="pain"]')
        if field.first.get_attribute("type") == "radio":
            tab.locator(f'input[name="pain"][value="{value}"]').check()
        elif field.first.evaluate("e => e.tagName") == "SELECT":
            field.first.select_option(value)
        else:
            field.first.fill(value)
        tab.get_by_label("Reason for the correction").fill(why)
        tab.get_by_role("button", name="Save").click()
        tab.wait_for_load_state()
    assert "Saved by someone else meanwhile" in second.content()
    assert second.get_by_label("Reason for the correction").input_value() == "read from the paper form"
    assert QuestionnaireResponse.objects.get(follow_up=w2).total == 5
    _both_widths(second, screenshot, "integrity-score-conflict")


def test_with_consent_on_file_the_page_offers_only_withdraw_or_re_consent(
    page, sign_in, make_episode, persona, screenshot
):
    episode = to_consented(make_episode(), persona("physician"))
    sign_in(page, "physician")
    page.goto(f"/episodes/{episode.pk}/consent/")
    assert page.get_by_role("button", name="Record consent and signature").count() == 0
    assert page.get_by_role("link", name="Record a withdrawal of consent").count() == 1
    page.get_by_role("link", name="Re-consent (a new document version or a material change)").click()
    assert page.get_by_label("Why consent is taken again").input_value() == ""
    assert page.get_by_label("Patient's printed name, typed by the patient").input_value() == ""
    _both_widths(page, screenshot, "integrity-reconsent")
    assert Consent.objects.filter(episode=episode).count() == 1


def test_the_product_and_event_pages_show_what_the_record_holds(new_tab, sign_in, make_episode, persona, screenshot):
    from handregen.procedures.services import injection_record
    from handregen.safety.services import adverse_event_record
    from tests.cellproducts.chain import harvested, make_team, released

    team = make_team(persona)
    adipose = harvested(make_episode(), team, source="adipose", harvest_site="abdomen", volume_ml=120)
    page = new_tab()
    sign_in(page, "lab_technician")
    page.goto(f"/lab/products/{adipose.pk}/processing/")
    assert page.locator('select[name="regulatory_class"]').input_value() == ""
    assert "needs an approval reference at this site" in page.content()
    _both_widths(page, screenshot, "integrity-processing-form")

    product = released(harvested(make_episode(), team), team)
    episode = product.episode
    injection_record(
        actor=team.physician,
        episode=episode,
        product_code=product.code,
        wristband_code=episode.patient.wristband_code,
        joint="CMC1",
        side=episode.side,
        guidance="ultrasound",
        anaesthetic="lidocaine 1 % 1 mL",
        volume_ml=1.5,
    )
    event = adverse_event_record(
        actor=team.nurse,
        episode=episode,
        term="injection_site_swelling",
        onset_date=timezone.localdate(),
        grade=1,
        serious=False,
        relatedness="probable",
    )
    page = new_tab()
    sign_in(page, "physician")
    page.goto(f"/episodes/{episode.pk}/")
    assert page.get_by_role("heading", name="Injection").count() == 1
    assert page.get_by_role("heading", name="Adverse events").count() == 1
    _both_widths(page, screenshot, "integrity-episode-page")
    page.goto(f"/adverse-events/{event.pk}/")
    assert page.get_by_role("heading", name="Versions").count() == 1
    _both_widths(page, screenshot, "integrity-event-page")
