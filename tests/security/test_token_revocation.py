"""A8 revocable tokens: listed and revoked by their owner and by a site admin, revoked by a password change, an
MFA reset and a deactivation, and never living longer than the maximum lifetime.

The hostile tester found no way to set `revoked_at`, a token that outlived its owner's password change and MFA
reset, and `--days 0` meaning "never expires". Each case below makes an old token answer 401.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from handregen.accounts.mfa import mfa_reset
from handregen.accounts.models import ApiToken
from handregen.accounts.services import token_create, user_deactivate
from handregen.audit.models import AuditEvent
from tests.conftest import PASSWORD, ApiClient


def _works(token: str) -> bool:
    status = ApiClient(token).get("/api/v1/patients").status_code
    assert status in (200, 401), status
    return status == 200


@pytest.fixture
def token_of(persona: Any) -> Any:
    def make(role: str = "physician", site_code: str = "demo", **kwargs: Any) -> str:
        raw = token_create(username=persona(role, site_code).user.username, site_code=site_code, **kwargs)
        assert _works(raw)
        return raw

    return make


def _revocations() -> list[str]:
    return list(AuditEvent.objects.filter(action="token.revoke").values_list("reason", flat=True))


def test_the_operator_lists_and_revokes_a_token_by_its_prefix(token_of, physician):
    raw = token_of()
    out = StringIO()
    call_command("token", "list", "--user", physician.user.username, stdout=out)
    assert raw[:10] in out.getvalue() and "live until" in out.getvalue() and raw not in out.getvalue()
    call_command("token", "revoke", raw[:10], "--reason", "laptop stolen", stdout=StringIO())
    assert not _works(raw)
    assert _revocations() == ["laptop stolen"]
    out = StringIO()
    call_command("token", "list", stdout=out)
    assert "revoked" in out.getvalue()


def test_a_password_change_revokes_the_owners_tokens(token_of, signed_in):
    raw = token_of()
    client = signed_in()
    new = "a brand new long passphrase here"
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": new,
                                                  "new_password2": new})  # fmt: skip
    assert response.status_code == 302
    assert not _works(raw)
    assert _revocations() == ["the owner changed their password"]


def test_an_mfa_reset_revokes_the_owners_tokens(token_of, physician):
    raw = token_of()
    mfa_reset(user=physician.user)
    assert not _works(raw)
    assert _revocations() == ["the owner's two-factor devices were reset"]


def test_deactivation_revokes_the_tokens_for_good(token_of, persona):
    raw = token_of("nurse")
    nurse = persona("nurse").user
    user_deactivate(actor=persona("site_admin"), user=nurse, reason="left the clinic")
    assert not _works(raw)
    nurse.is_active = True  # even switched back on by hand, the token stays revoked
    nurse.save()
    assert not _works(raw)
    assert ApiToken.objects.get(user=nurse).revoked_at is not None
    assert AuditEvent.objects.filter(action="user.deactivate", reason="left the clinic").exists()


def test_deactivation_at_the_command_line_revokes_the_tokens(token_of, persona):
    raw = token_of("coordinator")
    call_command("user", "deactivate", persona("coordinator").user.username, "--reason", "left", stdout=StringIO())
    assert not _works(raw)
    assert _revocations() == ["the user was deactivated"]


@pytest.mark.parametrize("days", ["0", "-1", "91"])
def test_a_token_that_never_expires_cannot_be_made(physician, days):
    with pytest.raises(CommandError, match="from 1 to 90 days; none lives for ever"):
        call_command("token", "create", physician.user.username, "--days", days, stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_an_old_token_without_expiry_ends_at_the_maximum_lifetime(token_of):
    raw = token_of()
    # a token made when "never" was allowed, 91 days ago
    ApiToken.objects.update(expires_at=None, created_at=timezone.now() - timedelta(days=91))
    assert not _works(raw)


# --- the page ---------------------------------------------------------------------------------------------------


def _revoke_on_page(client: Client, token: ApiToken) -> int:
    return client.post("/account/tokens/", {"token": str(token.pk)}).status_code


def test_a_user_sees_and_revokes_their_own_tokens_only(token_of, signed_in):
    mine, theirs = token_of(), token_of("nurse")
    client = signed_in()
    page = client.get("/account/tokens/").content.decode()
    assert mine[:10] in page and theirs[:10] not in page and mine not in page
    nurse_token = ApiToken.objects.get(prefix=theirs[:10])
    assert _revoke_on_page(client, nurse_token) == 404 and _works(theirs)
    assert _revoke_on_page(client, ApiToken.objects.get(prefix=mine[:10])) == 302
    assert not _works(mine)
    assert _revocations() == ["revoked on the API tokens page"]


def test_a_site_admin_revokes_anyones_token_at_their_site_and_no_other(token_of, signed_in):
    demo_nurse, north_nurse = token_of("nurse"), token_of("nurse", "north")
    admin = signed_in("site_admin")
    page = admin.get("/account/tokens/").content.decode()
    assert demo_nurse[:10] in page and north_nurse[:10] not in page
    assert _revoke_on_page(admin, ApiToken.objects.get(prefix=north_nurse[:10])) == 404 and _works(north_nurse)
    assert _revoke_on_page(admin, ApiToken.objects.get(prefix=demo_nurse[:10])) == 302
    assert not _works(demo_nurse)
