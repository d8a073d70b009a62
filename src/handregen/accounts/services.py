"""Creating sites and staff users; creating and revoking API tokens; deactivating users."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import ApiToken, Membership, Site, User
from handregen.accounts.roles import Permission, Role
from handregen.audit.services import audit_record
from handregen.errors import InvalidInput, NotFound


@transaction.atomic
def site_ensure(*, code: str, name: str, facility_code: str, phone: str = "") -> Site:
    """The site with `code`, created when missing (setup and demo use this; safe to rerun)."""
    site, created = Site.objects.get_or_create(
        code=code, defaults={"name": name, "facility_code": facility_code, "phone": phone}
    )
    if created:
        audit_record(
            actor=None,
            site=site,
            action="site.create",
            object_type="site",
            object_id=site.pk,
            changes={"code": [None, code], "name": [None, name]},
        )
    return site


@transaction.atomic
def staff_ensure(
    *, site: Site, username: str, role: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """A staff user with `role` at `site`, created when missing; the password is (re)set."""
    if role not in {r.value for r in Role}:
        raise InvalidInput([("role", f"unknown role {role!r}")])
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first_name, "last_name": last_name}
    )
    user.set_password(password)
    user.save()
    membership, m_created = Membership.objects.get_or_create(user=user, site=site, defaults={"role": role})
    if created or m_created or membership.role != role:
        before = None if m_created else membership.role
        membership.role = role
        membership.save()
        audit_record(
            actor=None,
            site=site,
            action="membership.set",
            object_type="user",
            object_id=user.pk,
            changes={"username": [None, username], "role": [before, role]},
        )
    return user


def token_max_days() -> int:
    """The longest an API token may live (`HANDREGEN_TOKEN_MAX_DAYS`, 90 by default): no token lives for ever."""
    return int(getattr(settings, "HANDREGEN_TOKEN_MAX_DAYS", 90))


@transaction.atomic
def token_create(*, username: str, site_code: str | None = None, days: int = 90) -> str:
    """Create an API token for a user at their (first or named) site, valid for `days` (1 to the maximum
    lifetime); return it once, store its hash."""
    longest = token_max_days()
    if not 1 <= days <= longest:
        raise InvalidInput([("days", f"a token lives from 1 to {longest} days; none lives for ever")])
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"user {username}")
    memberships = Membership.objects.select_related("site").filter(user=user).order_by("site__code")
    membership = memberships.filter(site__code=site_code).first() if site_code else memberships.first()
    if membership is None:
        raise NotFound(f"a role for {username} at {site_code or 'any site'}")
    raw = "hr_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        site=membership.site,
        token_hash=hashlib.sha256(raw.encode()).hexdigest(),
        prefix=raw[:10],
        expires_at=timezone.now() + timedelta(days=days),
    )
    actor = Actor(user=user, site=membership.site, role=membership.role)
    audit_record(
        actor=actor,
        action="token.create",
        object_type="api_token",
        object_id=token.pk,
        changes={"prefix": [None, token.prefix], "expires_at": [None, token.expires_at]},
    )
    return raw


@transaction.atomic
def token_revoke(*, actor: Actor | None, token: ApiToken, reason: str) -> ApiToken:
    """Revoke one token: its owner may, a site admin may for any token of their site; `actor` None is the operator
    at the command line. A token already revoked stays as it was."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if actor is not None and locked.user_id != actor.user.pk:
        actor.require(Permission.USER_MANAGE)
        if locked.site_id != actor.site.pk:
            raise NotFound("token")
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        site=locked.site,
        action="token.revoke",
        object_type="api_token",
        object_id=locked.pk,
        changes={"prefix": [locked.prefix, locked.prefix], "revoked_at": [None, locked.revoked_at]},
        reason=reason,
    )
    return locked


def user_tokens_revoke(*, user: User, reason: str) -> int:
    """Revoke every live token of `user` (a password change, an MFA reset, a deactivation); return how many.
    Runs inside the caller's transaction, each revocation audited on its token's site."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    count = 0
    for token in live:
        token_revoke(actor=None, token=token, reason=reason)
        count += 1
    return count


@transaction.atomic
def password_changed(*, user: User) -> int:
    """After a user changed their own password: their API tokens end with the old password; return how many."""
    return user_tokens_revoke(user=user, reason="the owner changed their password")


@transaction.atomic
def user_deactivate(*, actor: Actor | None, user: User, reason: str) -> User:
    """Deactivate a user: they can no longer sign in, their sessions end and their API tokens are revoked. A site
    admin may for a user of their site; `actor` None is the operator at the command line."""
    if actor is not None:
        actor.require(Permission.USER_MANAGE)
        if not Membership.objects.filter(user=user, site=actor.site).exists():
            raise NotFound("user")
    if not reason.strip():
        raise InvalidInput([("reason", "say why the user is deactivated")])
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        locked.sessions_valid_after_now()
        audit_record(
            actor=actor,
            action="user.deactivate",
            object_type="user",
            object_id=locked.pk,
            changes={"is_active": [True, False]},
            reason=reason.strip(),
        )
    user_tokens_revoke(user=locked, reason="the user was deactivated")
    return locked
