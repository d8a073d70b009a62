"""Re-authentication at signing time (requirement U6): the signer's password, plus a current TOTP code when
they have a confirmed authenticator. A signed-in session is not enough to sign: the signer proves again that
they are who the signature names.

A refusal raises `ReauthenticationRefused` (422 naming the field); the signing services roll back and audit
it. The log line names the user id and the field, never what was typed.
"""

from __future__ import annotations

import logging

from django_otp.plugins.otp_totp.models import TOTPDevice

from handregen.accounts.models import User
from handregen.errors import ReauthenticationRefused

logger = logging.getLogger("handregen.signatures")


def _refuse(user: User, field: str, message: str) -> ReauthenticationRefused:
    logger.warning("Signature re-authentication refused for user id %s (%s: %s)", user.pk, field, message)
    return ReauthenticationRefused([(field, message)])


def second_factor_check(*, user: User, otp_code: str, field: str = "otp_code") -> None:
    """Refuse unless `otp_code` is a current, unused code of the user's confirmed TOTP device (if they have one)."""
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return
    code = str(otp_code or "").strip().replace(" ", "")
    if not code:
        raise _refuse(user, field, "enter the current code from the authenticator app to sign")
    # verify_token refuses a code already used, so a code seen at sign-in cannot sign again.
    if not any(device.verify_token(code) for device in devices):
        raise _refuse(user, field, "the authenticator code is not right or was already used")


def reauthenticate(*, user: User, password: str, otp_code: str = "") -> None:
    """Raise `ReauthenticationRefused` unless `password` (and the TOTP code, if enrolled) is the user's own now."""
    if not password:
        raise _refuse(user, "password", "enter your password to sign")
    if not user.is_active or not user.check_password(password):
        raise _refuse(user, "password", "the password is not right")
    second_factor_check(user=user, otp_code=otp_code)
