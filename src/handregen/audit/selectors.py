"""Reads of the audit trail for those who review it (site admins): the audit report and the break-glass report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.roles import Permission
from handregen.audit.models import AccessEvent, AuditEvent
from handregen.errors import NotFound
from handregen.patients.models import BreakGlassGrant, Patient

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
        for g in BreakGlassGrant.objects.filter(site=site, pk__in=[e.object_id for e in events]).select_related(
            "patient", "actor_site"
        )
    }
    # one read of the access log for every grant (not one count per grant), matched to each grant's window here
    reads_of: dict[tuple[int, uuid.UUID], list[datetime]] = {}
    if grants:
        logged = AccessEvent.objects.filter(
            site=site,
            actor_id__in={g.user_id for g in grants.values()},
            patient_id__in={g.patient_id for g in grants.values()},
            occurred_at__gte=min(g.granted_at for g in grants.values()),
        ).values_list("actor_id", "patient_id", "occurred_at")
        for actor_id, patient_id, at in logged:
            reads_of.setdefault((actor_id, patient_id), []).append(at)
    rows = []
    for event in events:
        grant = grants[event.object_id]
        reads = sum(
            grant.granted_at <= at < grant.expires_at for at in reads_of.get((grant.user_id, grant.patient_id), [])
        )
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


REPORT_LIMIT = 5000  # rows per answer; a longer period is asked for in parts


@dataclass(frozen=True)
class AuditReportRow:
    """One write, refused attempt or read, as the report shows it: who, when, what kind; never the values."""

    at: datetime
    kind: str  # write | refused | read
    by: str
    role: str
    what: str  # the action of a write, the kind of data of a read
    object_type: str
    patient_id: str | None
    channel: str  # how a read was made (web, api, fhir, pdf, export); "" for writes


def audit_report(
    *,
    actor: Actor,
    patient_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditReportRow], bool]:
    """The actor's site's writes and reads, newest first, for one patient and/or one period; and whether the
    answer was cut at `REPORT_LIMIT` rows. Another site's patient is NotFound, as everywhere."""
    actor.require(Permission.AUDIT_VIEW)
    if patient_id is not None and not Patient.objects.filter(site=actor.site, pk=patient_id).exists():
        raise NotFound("patient")
    return audit_rows(site=actor.site, patient_id=patient_id, since=since, until=until)


def audit_rows(
    *,
    site: Site,
    patient_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = REPORT_LIMIT,
) -> tuple[list[AuditReportRow], bool]:
    """`audit_report`'s rows for `site`; also for the operator's CLI (`handregen audit report`)."""
    writes = AuditEvent.objects.filter(site=site)
    reads = AccessEvent.objects.filter(site=site)
    if patient_id is not None:
        writes, reads = writes.filter(patient_id=patient_id), reads.filter(patient_id=patient_id)
    if since is not None:
        writes, reads = writes.filter(occurred_at__gte=since), reads.filter(occurred_at__gte=since)
    if until is not None:
        writes, reads = writes.filter(occurred_at__lt=until), reads.filter(occurred_at__lt=until)
    # `limit + 1` of each kind is enough to fill the newest `limit` of both and to know whether there are more
    write_rows = writes.order_by("-occurred_at", "-seq").values_list(
        "occurred_at", "outcome", "actor_label", "actor_role", "action", "object_type", "patient_id"
    )[: limit + 1]
    read_rows = reads.order_by("-occurred_at", "-pk").values_list(
        "occurred_at",
        "actor__username",
        "actor__first_name",
        "actor__last_name",
        "category",
        "patient_id",
        "channel",
    )[: limit + 1]
    rows = [
        AuditReportRow(
            at,
            "refused" if outcome == "refused" else "write",
            label,
            role,
            action,
            object_type,
            str(patient) if patient else None,
            "",
        )
        for at, outcome, label, role, action, object_type, patient in write_rows
    ] + [
        AuditReportRow(
            at, "read", f"{first} {last}".strip() or username, "", category, "patient", str(patient), channel
        )
        for at, username, first, last, category, patient, channel in read_rows
    ]
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit], len(rows) > limit
