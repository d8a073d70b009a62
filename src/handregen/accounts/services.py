"""Creating sites, staff users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import ApiToken, Membership, Site, User
from handregen.accounts.roles import Role
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


@transaction.atomic
def token_create(*, username: str, site_code: str | None = None, days: int | None = 90) -> str:
    """Create an API token for a user at their (first or named) site; return it once, store its hash."""
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
        expires_at=timezone.now() + timedelta(days=days) if days else None,
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
