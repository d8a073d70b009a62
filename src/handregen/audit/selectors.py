"""Reads of the audit trail for those who review it (site admins): the break-glass report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.roles import Permission
from handregen.audit.models import AccessEvent, AuditEvent
from handregen.patients.models import BreakGlassGrant

BREAK_GLASS_ACTION = "break_glass.open"


@dataclass(frozen=True)
class BreakGlassRow:
    """One flagged break-glass event of the site's chain, with its grant and the reads made under it."""

    seq: int
    at: datetime
    by: str
    role: str
    from_site: str
    patient_id: str
    mrn: str
    reason: str
    expires_at: datetime
    reads: int


def break_glass_report(
    *, actor: Actor, since: datetime | None = None, until: datetime | None = None
) -> list[BreakGlassRow]:
    """Every break-glass opening of a patient of the actor's site, newest first: who, when, patient, reason, expiry.

    Read from the site's audit chain (the tamper-evident record) and joined to the grants for expiry and
    the patient's MRN; `reads` counts the accesses logged under each grant.
    """
    actor.require(Permission.AUDIT_VIEW)
    return break_glass_rows(site=actor.site, since=since, until=until)


def break_glass_rows(
    *, site: Site, since: datetime | None = None, until: datetime | None = None
) -> list[BreakGlassRow]:
    """The report's rows for `site`; for the operator's CLI (`handregen audit break-glass`) and the report."""
    found = AuditEvent.objects.filter(site=site, action=BREAK_GLASS_ACTION, outcome="done")
    if since is not None:
        found = found.filter(occurred_at__gte=since)
    if until is not None:
        found = found.filter(occurred_at__lt=until)
    events = list(found.order_by("-seq"))
    grants = {
        str(g.pk): g
        for g in BreakGlassGrant.objects.filter(site=site, pk__in=[e.object_id for e in events])
        .select_related("patient", "actor_site")
    }
    rows = []
    for event in events:
        grant = grants[event.object_id]
        reads = AccessEvent.objects.filter(
            site=site,
            actor_id=grant.user_id,
            patient_id=grant.patient_id,
            occurred_at__gte=grant.granted_at,
            occurred_at__lt=grant.expires_at,
        ).count()
        rows.append(
            BreakGlassRow(
                seq=event.seq,
                at=event.occurred_at,
                by=event.actor_label,
                role=event.actor_role,
                from_site=grant.actor_site.code,
                patient_id=str(grant.patient_id),
                mrn=grant.patient.mrn,
                reason=event.reason,
                expires_at=grant.expires_at,
                reads=reads,
            )
        )
    return rows
