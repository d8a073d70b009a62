"""A data steward signs in and reads, in plain words, what the role does (real Chromium, 1280 and 320 px)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_data_steward_sees_what_the_role_does(page, sign_in, screenshot, demo_site):
    sign_in(page, "data_steward")
    assert page.get_by_role("heading", name="Worklists at Demo Hand Clinic").is_visible()
    text = page.locator("main").inner_text()
    assert "export this clinic's records in the standard FHIR format" in text
    assert "run 1 export at a time; the files are deleted 24 hours after it ends" in text
    assert "Cohort figures" not in text  # the role has no analytics pages
    assert "· data steward ·" in page.locator("header").inner_text()  # the role in words, not its code
    screenshot(page, "data-steward-home-1280")
    page.set_viewport_size({"width": 320, "height": 640})
    screenshot(page, "data-steward-home-320")
