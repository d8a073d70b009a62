"""Staff two-factor authentication: TOTP devices, single-use backup codes, and the verified session.

Every staff role needs a confirmed TOTP device and a verified session before any page with patient data
(requirement A3). django-otp refuses a replayed TOTP code and deletes a backup code once used.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from handregen.accounts.models import User
from handregen.accounts.services import user_tokens_revoke
from handregen.audit.services import audit_record

BACKUP_CODES = 10


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_enrolment(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (created on first call), whose key they add to their app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    return device


@transaction.atomic
def totp_confirm(request: HttpRequest, user: User, code: str) -> list[str] | None:
    """Confirm the enrolment with a first code; return fresh backup codes (shown once), or None if wrong."""
    device = totp_enrolment(user)
    if not device.verify_token(code.strip()):
        return None
    device.confirmed = True
    device.save()
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    _verified(request, device)
    audit_record(
        actor=None,
        action="mfa.enrol",
        object_type="user",
        object_id=user.pk,
        changes={"device": [None, "totp"], "backup_codes": [None, BACKUP_CODES]},
    )
    return codes


def _verified(request: HttpRequest, device: Device) -> None:
    """Mark the session verified under a new session key: a key seen before the second factor (fixed by an
    attacker, or read over the shoulder) must not become a verified session."""
    request.session.cycle_key()
    otp_login(request, device)


def mfa_verify(request: HttpRequest, user: User, code: str) -> bool:
    """Accept a current TOTP code or an unused backup code and mark the session verified."""
    code = code.strip().replace(" ", "")
    for device in [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]:
        if device.verify_token(code):
            _verified(request, device)
            return True
    return False


def mfa_reset(*, user: User) -> None:
    """Remove the user's devices (after a lost phone): every session of theirs ends (the staff middleware in
    web/security.py refuses sessions begun before `sessions_valid_after`) and every API token of theirs is revoked."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        user.sessions_valid_after_now()
        audit_record(
            actor=None, action="mfa.reset", object_type="user", object_id=user.pk, changes={"devices": ["any", None]}
        )
        user_tokens_revoke(user=user, reason="the owner's two-factor devices were reset")
