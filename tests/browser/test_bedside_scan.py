"""At the bedside a scanner types each code and presses Enter: the page moves on to the next field instead of
submitting half a form, and the verified injection is recorded (real Chromium)."""

import pytest

from handregen.procedures.models import Injection
from tests.cellproducts.chain import make_team, released_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_scanning_product_and_wristband_then_recording_the_injection(page, sign_in, screenshot, persona, make_episode):
    product = released_product(make_episode, make_team(persona))
    episode = product.episode
    sign_in(page, "physician")
    page.goto(f"/episodes/{episode.pk}/injection/")
    product_field = page.get_by_label("Scan the product label")
    assert product_field.evaluate("el => el === document.activeElement")  # ready for the first scan
    page.keyboard.type(product.code)
    page.keyboard.press("Enter")  # what a scanner sends after the code
    wristband_field = page.get_by_label("Scan the patient's wristband")
    assert wristband_field.evaluate("el => el === document.activeElement")
    assert not Injection.objects.exists()  # Enter did not submit
    page.keyboard.type(episode.patient.wristband_code)
    page.keyboard.press("Enter")
    assert page.get_by_label("Joint").evaluate("el => el === document.activeElement")
    page.get_by_label("Image guidance").select_option("ultrasound")
    page.get_by_label("Local anaesthetic and dose (or 'none')").fill("lidocaine 1 % 1 mL")
    page.get_by_label("Volume injected (mL)").fill("2")
    screenshot(page, "bedside-scan")
    page.get_by_role("button", name="Verify and record the injection").click()
    assert page.get_by_text(f"Verified and recorded: product {product.code} injected.").is_visible()
    assert Injection.objects.filter(product=product).count() == 1
