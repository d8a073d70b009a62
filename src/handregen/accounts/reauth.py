"""Re-authentication at signing time (U6) and second-person verification, without a credential oracle (A7).

A signed-in session is not enough to sign: the signer gives their password, plus a current TOTP code when they
have a confirmed authenticator, now. A second person who verifies (a product release) gives theirs too, and is
looked up only among the actor's site's users whose role carries the needed permission.

Whatever was wrong (unknown user, another site's user, a role without the permission, a wrong password, a wrong
or missing code, a locked account) the answer is one generic message; what was wrong goes only to the audit
trail (`auth.signing_refused`). Password and code are checked together, so a right password alone changes
nothing in the answer. Failures count towards the same lockout as sign-in (`signing_throttle`), and every path
(unknown, locked, wrong, right) does the same password-hashing work, so its time tells nothing either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from handregen.accounts.actor import Actor
from handregen.accounts.models import Membership, User
from handregen.accounts.roles import Permission, Role, role_has
from handregen.accounts.signing_throttle import CredentialFailure, signing_locked, signing_succeeded
from handregen.errors import HandregenError, ReauthenticationRefused

logger = logging.getLogger("handregen.signatures")

SIGNER_REFUSED = (
    "Your signature was not accepted: check your password and, if you use one, the code from your authenticator "
    "app. After repeated failures signing pauses for a while."
)
VERIFIER_REFUSED = (
    "The verifier was not accepted: check the verifier's username, password and, if they use one, the code from "
    "their authenticator app. After repeated failures verification pauses for a while."
)


def with_failures(refusal: HandregenError, *failures: CredentialFailure) -> HandregenError:
    """`refusal` carrying the credential failures that the catching service counts after its rollback."""
    refusal.failed_credentials = (*refusal.failed_credentials, *failures)
    return refusal


def _password_matches(user: User | None, password: str) -> bool:
    """Check `password`; with no user to check it against, hash it anyway, so that both take the same time."""
    if user is None:
        make_password(password)
        return False
    return user.check_password(password)


def _second_factor_matches(user: User, otp_code: str) -> bool:
    """True when the user has no confirmed authenticator, or `otp_code` is a current, unused code of it."""
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return True
    code = str(otp_code or "").strip().replace(" ", "")
    # verify_token refuses a code already used, so a code seen at sign-in cannot sign again.
    return bool(code) and any(device.verify_token(code) for device in devices)


def _credentials_problem(
    *, named: str, user: User | None, absent: str, password: str, otp_code: str, by: User | None
) -> str:
    """'' when `user` proved themselves now, else what was wrong (for the audit trail only). `by` is the acting
    user when they name someone else (a verifier), whose own failed tries count too."""
    locked = signing_locked(named=named, by_user_id=by.pk if by is not None else None)
    password_ok = _password_matches(None if locked else user, password or "")
    if locked:
        return "locked after repeated failures"
    if user is None:
        return absent
    if not password:
        return "no password given"
    if not password_ok:
        return "wrong password"
    # the code only once the password is right: a code tried with a wrong password would use up django-otp's
    # own throttle for the real user
    if not _second_factor_matches(user, otp_code):
        return "missing, wrong or used authenticator code"
    signing_succeeded(named=named)
    return ""


def reauthenticate(*, user: User, password: str, otp_code: str = "") -> None:
    """Raise `ReauthenticationRefused` (on `password`, one generic message) unless `password`, and the TOTP code
    if enrolled, are the user's own now and the user is not locked out of signing."""
    problem = _credentials_problem(
        named=user.username,
        user=user if user.is_active else None,
        absent="inactive user",
        password=password,
        otp_code=otp_code,
        by=None,
    )
    if problem:
        logger.warning("Signature re-authentication refused for user id %s (%s)", user.pk, problem)
        refusal = ReauthenticationRefused([("password", SIGNER_REFUSED)])
        raise with_failures(refusal, CredentialFailure(named=user.username, by_user_id=user.pk, detail=problem))


@dataclass(frozen=True)
class Verification:
    """The outcome of a second person's verification: the verifier and their role, or the failure to count."""

    user: User | None
    role: str
    failure: CredentialFailure | None


def verifier_confirm(
    *, actor: Actor, username: str, password: str, otp_code: str, permission: Permission
) -> Verification:
    """The verifier named by `username`, when they are an active user of the actor's site (not the actor) whose
    role carries `permission`, and give their password and code now; else a failure to count and audit."""
    username = username.strip()[:150]
    roles = [role.value for role in Role if role_has(role.value, permission)]
    membership = (
        Membership.objects.select_related("user")
        .filter(site=actor.site, role__in=roles, user__username=username, user__is_active=True)
        .exclude(user=actor.user)
        .first()
    )
    user = membership.user if membership is not None else None
    # asked whoever was named, so that a real verifier's check costs the same queries as anyone else's
    why_not = _why_not_a_verifier(actor=actor, username=username)
    problem = _credentials_problem(
        named=username,
        user=user,
        absent=why_not,
        password=password,
        otp_code=otp_code,
        by=actor.user,
    )
    if problem:
        logger.warning("Release verification refused for acting user id %s (%s)", actor.user.pk, problem)
        return Verification(None, "", CredentialFailure(named=username, by_user_id=actor.user.pk, detail=problem))
    assert membership is not None and user is not None
    return Verification(user, membership.role, None)


def _why_not_a_verifier(*, actor: Actor, username: str) -> str:
    """Why `username` is no verifier at the actor's site, for the audit trail (never for the answer)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        return "unknown user"
    if not user.is_active:
        return "inactive user"
    if user.pk == actor.user.pk:
        return "the actor named themselves"
    if not Membership.objects.filter(user=user, site=actor.site).exists():
        return "not a user of this site"
    return "role may not verify"
