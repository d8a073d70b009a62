"""Sites (the tenancy boundary), staff users, their per-site roles and API tokens."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from handregen.accounts.roles import Role
from handregen.records import REFERENCE


class Site(models.Model):
    """One clinic. Staff see only their site's patients."""

    record_kind: ClassVar[str] = REFERENCE
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    phone = models.CharField(max_length=40, blank=True)
    # Five characters placed at the front of product identifiers (an ICCBBA facility number where held).
    facility_code = models.CharField(max_length=5, default="X0000")
    default_protocol_code = models.CharField(max_length=64, default="hand-oa-autologous")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone, or the installation's when the site names none that exists."""
        try:
            return ZoneInfo(self.time_zone or settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(settings.TIME_ZONE)

    def today(self) -> date:
        """Today's date where the clinic is (follow-up windows and date rules are calendar days there)."""
        return timezone.localdate(timezone=self.zone)

    def local(self, moment: datetime) -> datetime:
        """`moment` as the clinic's wall clock shows it."""
        return timezone.localtime(moment, self.zone)


class User(AbstractUser):
    """A staff member; what they may do depends on their role at a site (see Membership)."""

    record_kind: ClassVar[str] = REFERENCE
    # Sessions started before this moment are over (set when MFA devices are removed).
    sessions_valid_after = models.DateTimeField(null=True, blank=True)

    def sessions_valid_after_now(self) -> None:
        from django.utils import timezone

        self.sessions_valid_after = timezone.now()
        self.save(update_fields=["sessions_valid_after"])


class Membership(models.Model):
    """A user's role at one site."""

    record_kind: ClassVar[str] = REFERENCE
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=[(r.value, r.value.replace("_", " ")) for r in Role])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site"], name="one_role_per_user_and_site")]

    def __str__(self) -> str:
        return f"{self.user.username} @ {self.site.code}: {self.role}"


class ApiToken(models.Model):
    """A bearer token for the REST API, stored only as its SHA-256 (the token itself has 256 random bits)."""

    record_kind: ClassVar[str] = REFERENCE
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    site = models.ForeignKey(Site, on_delete=models.PROTECT)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix}… of {self.user_id}"
