"""Reads about users, sites and tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import ApiToken, Membership, User
from handregen.accounts.roles import Permission


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
    """The actor a bearer token stands for, or None when it is unknown, revoked or expired. A token also ends at
    the maximum lifetime after its creation (tokens made when "never" was allowed included), and when its
    owner's sessions were ended after it was made (an MFA reset)."""
    digest = hashlib.sha256(raw_token.encode()).hexdigest()
    token = ApiToken.objects.select_related("user", "site").filter(token_hash=digest, revoked_at__isnull=True).first()
    if token is None:
        return None
    cut = token.user.sessions_valid_after
    if token_ends_at(token) <= timezone.now() or (cut is not None and token.created_at < cut):
        return None
    return actor_for(user=token.user, site_code=token.site.code)


def token_ends_at(token: ApiToken) -> datetime:
    """When the token stops working: its expiry, and never later than the maximum lifetime after its creation."""
    ends = token.created_at + timedelta(days=int(getattr(settings, "HANDREGEN_TOKEN_MAX_DAYS", 90)))
    return ends if token.expires_at is None else min(ends, token.expires_at)


def token_state(token: ApiToken) -> str:
    """The token's state in words: revoked, expired or live until which day (UTC)."""
    if token.revoked_at is not None:
        return f"revoked {token.revoked_at:%-d %b %Y}"
    ends = token_ends_at(token)
    return "expired" if ends <= timezone.now() else f"live until {ends:%-d %b %Y}"


def tokens_visible(*, actor: Actor) -> list[ApiToken]:
    """The tokens the actor may see and revoke: their own, and for a site admin every token of their site."""
    found = ApiToken.objects.select_related("user", "site")
    if actor.can(Permission.USER_MANAGE):
        found = found.filter(Q(site=actor.site) | Q(user=actor.user))
    else:
        found = found.filter(user=actor.user)
    return list(found.order_by("-created_at"))
