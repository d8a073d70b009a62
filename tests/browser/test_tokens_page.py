"""A site admin sees the clinic's API tokens and revokes one (A8), in real Chromium, at desktop and phone width."""

import pytest

from handregen.accounts.services import token_create
from tests.conftest import ApiClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_site_admin_revokes_a_nurses_token_on_the_tokens_page(page, sign_in, screenshot, persona):
    nurse = persona("nurse")
    raw = token_create(username=nurse.user.username, site_code="demo", days=30)
    token_create(username=persona("site_admin").user.username, site_code="demo")
    sign_in(page, "site_admin")
    page.goto("/account/tokens/")
    assert page.get_by_role("heading", name="API tokens").is_visible()
    assert page.get_by_role("cell", name=f"{raw[:10]}…").is_visible()
    screenshot(page, "tokens-1280")
    page.set_viewport_size({"width": 320, "height": 800})
    screenshot(page, "tokens-320")
    page.set_viewport_size({"width": 1280, "height": 800})
    row = page.get_by_role("row").filter(has_text=raw[:10])
    row.get_by_role("button", name="Revoke").click()
    assert page.get_by_text(f"The token {raw[:10]}… was revoked").is_visible()
    assert page.get_by_role("row").filter(has_text=raw[:10]).get_by_text("revoked").is_visible()
    assert ApiClient(raw).get("/api/v1/patients").status_code == 401
