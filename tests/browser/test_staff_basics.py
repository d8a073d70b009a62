"""A physician signs in, registers a patient, opens an episode and sees it on the worklist (real Chromium)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_physician_registers_a_patient_and_opens_an_episode(page, sign_in, screenshot, demo_site):
    sign_in(page, "physician")
    assert page.get_by_role("heading", name="Worklists at Demo Hand Clinic").is_visible()
    page.get_by_role("link", name="Find or register a patient").click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN (hospital number)").fill("E2E-1")
    page.get_by_label("Given name").fill("Nora")
    page.get_by_label("Family name").fill("Quinn")
    page.get_by_label("Date of birth").fill("1957-06-15")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Dominant hand").select_option("right")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_text("Registered Nora Quinn.").is_visible()
    page.get_by_label("Indication").select_option("thumb_cmc_oa")
    page.get_by_label("Side").select_option("right")
    page.get_by_label("Target joints").fill("CMC1")  # chosen, not pre-filled
    page.get_by_role("button", name="Open episode").click()
    assert page.get_by_text("Referred — to see in consultation").is_visible()
    assert page.get_by_role("link", name="Withdraw from the pathway").is_visible()
    screenshot(page, "episode-referred")
    page.get_by_role("link", name="Worklists").click()
    page.get_by_role("link", name="To see in consultation").click()
    assert page.get_by_role("cell", name="Quinn, Nora").is_visible()
    screenshot(page, "worklist-to-evaluate")


def test_a_wrong_password_is_refused_on_the_page(page, persona):
    persona("physician")
    page.goto("/login/")
    page.get_by_label("Username").fill("physician.demo")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Your username and password did not match")
