"""Reads about users, sites and tokens."""

from __future__ import annotations

import hashlib

from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import ApiToken, Membership, User


def actor_for(*, user: User, site_code: str | None = None) -> Actor | None:
    """The user's actor at `site_code` (or at their first site); None without an active membership."""
    if not user.is_active:
        return None
    memberships = Membership.objects.select_related("site").filter(user=user).order_by("site__code")
    if site_code:
        memberships = memberships.filter(site__code=site_code)
    membership = memberships.first()
    if membership is None:
        return None
    return Actor(user=user, site=membership.site, role=membership.role)


def actor_for_token(raw_token: str) -> Actor | None:
    """The actor a bearer token stands for, or None when it is unknown, revoked or expired."""
    digest = hashlib.sha256(raw_token.encode()).hexdigest()
    token = ApiToken.objects.select_related("user", "site").filter(token_hash=digest, revoked_at__isnull=True).first()
    if token is None or (token.expires_at is not None and token.expires_at <= timezone.now()):
        return None
    return actor_for(user=token.user, site_code=token.site.code)
