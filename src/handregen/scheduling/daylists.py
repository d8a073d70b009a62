"""Day lists and the week view of one resource: who comes, at which stage, and what must be ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from handregen.accounts.actor import Actor
from handregen.audit.services import access_record
from handregen.cellproducts.models import CellProduct
from handregen.consent.selectors import consent_refusals
from handregen.pathway.stages import STAGE_LABELS, Stage
from handregen.preparation.selectors import checklist_for_cycle
from handregen.scheduling.models import Appointment, Resource
from handregen.scheduling.selectors import appointments_of, day_bounds


@dataclass(frozen=True)
class Ready:
    label: str
    done: bool


@dataclass
class Row:
    appointment: Appointment
    stage: str
    ready: list[Ready] = field(default_factory=list)

    @property
    def all_ready(self) -> bool:
        return all(r.done for r in self.ready)


def readiness(appointment: Appointment) -> list[Ready]:
    """What must be in place before this appointment: for a procedure day consent, the checklist, the product."""
    if appointment.kind != "procedure_day":
        return []
    episode = appointment.episode
    checklist = checklist_for_cycle(episode=episode)
    released = CellProduct.objects.filter(
        episode_id=episode.pk, cycle=appointment.cycle, status__in=("released", "administered")
    ).exists()
    return [
        Ready("Consent signed", not consent_refusals(episode=episode)),
        Ready("Preparation checklist complete", bool(checklist and checklist.complete)),
        Ready("Product released", released),
    ]


def day_list(*, actor: Actor, resource: Resource, day: date) -> list[Row]:
    """The resource's appointments of one local day with each patient's stage and readiness (reads logged)."""
    start, end = day_bounds(actor.site, day)
    rows = []
    for appointment in appointments_of(actor=actor, resource=resource, starts_from=start, starts_before=end):
        access_record(actor=actor, patient_id=appointment.patient_id, category="appointments", channel="web")
        rows.append(Row(appointment, STAGE_LABELS[Stage(appointment.episode.stage)], readiness(appointment)))
    return rows


def week_of(*, actor: Actor, resource: Resource, first: date) -> list[tuple[date, list[Appointment]]]:
    """Seven local days from `first`, each with the resource's appointments (no readiness: a glance)."""
    start, _ = day_bounds(actor.site, first)
    _, end = day_bounds(actor.site, first + timedelta(days=6))
    by_day: dict[date, list[Appointment]] = {first + timedelta(days=i): [] for i in range(7)}
    zone = actor.site.zone
    for appointment in appointments_of(actor=actor, resource=resource, starts_from=start, starts_before=end):
        by_day[appointment.starts_at.astimezone(zone).date()].append(appointment)
    return list(by_day.items())
