"""Signatures as staff and patients read them: printed name, meaning, time (UTC kept, local shown with its
offset), and whether each still applies to the record as it is now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone

from handregen.signatures.services import signatures_of


def local_with_offset(moment: datetime, zone_name: str) -> str:
    """'2026-03-02 14:05 UTC+01:00 (Europe/Zurich)': the local time a reader knows, and how it maps to UTC."""
    try:
        zone = ZoneInfo(zone_name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(moment, zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]} ({zone.key})"


@dataclass(frozen=True)
class SignatureView:
    printed_name: str
    meaning: str
    signer_role: str
    signed_at: datetime  # UTC as stored
    signed_utc: str
    signed_local: str
    signed_version: int
    current_version: int
    void: bool
    valid: bool

    @property
    def state(self) -> str:
        """One line: void, valid for the current version, or which version it applies to."""
        changed = self.signed_version != self.current_version
        versions = f"signed version {self.signed_version}, current version {self.current_version}"
        if self.void:
            return "void (the record was unlocked)" + (f"; {versions}" if changed else "")
        if not self.valid:
            if changed:
                return f"{versions}: applies to the earlier version only"
            return "not valid: the record no longer matches what was signed"
        if changed:
            return f"{versions}: the signed content is unchanged"
        return f"valid for the current version ({self.signed_version})"


def signature_views(record: models.Model, *, zone_name: str) -> list[SignatureView]:
    """The staff signatures of `record`, oldest first, each checked against the record as stored now."""
    current_version = int(getattr(record, "version", 0))
    views = []
    for signature in signatures_of(record):
        void = hasattr(signature, "void")
        views.append(
            SignatureView(
                printed_name=signature.printed_name,
                meaning=signature.meaning,
                signer_role=signature.signer_role.replace("_", " "),
                signed_at=signature.signed_at,
                signed_utc=signature.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                signed_local=local_with_offset(signature.signed_at, zone_name),
                signed_version=signature.record_version,
                current_version=current_version,
                void=void,
                valid=not void and signature.digest_matches(record),
            )
        )
    return views


def episode_signature_views(episode: Any) -> list[tuple[str, SignatureView]]:
    """Every staff signature of an episode's records, oldest first, with the kind of record signed."""
    from handregen.signatures.kinds import KINDS
    from handregen.signatures.models import StaffSignature

    rows = StaffSignature.objects.filter(episode_id=episode.pk, site_id=episode.site_id).order_by("signed_at")
    records = {(r.record_type, r.record_id) for r in rows}
    zone_name = getattr(episode.site, "time_zone", "")
    views: list[tuple[str, SignatureView]] = []
    for record_type, record_id in sorted(records, key=str):
        kind = KINDS[record_type]
        record = kind.model.objects.filter(pk=record_id, site_id=episode.site_id).first()
        if record is not None:
            views += [(kind.words, view) for view in signature_views(record, zone_name=zone_name)]
    return sorted(views, key=lambda pair: pair[1].signed_at)
