"""Reads of patients, always scoped to the actor's site (or to one patient of another site under break-glass)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record
from handregen.errors import Forbidden, NotFound
from handregen.patients.models import BreakGlassGrant, Patient


def patients_visible_to(actor: Actor) -> QuerySet[Patient]:
    actor.require(Permission.PATIENT_VIEW)
    return Patient.objects.filter(site=actor.site)


def break_glass_grant_active(*, actor: Actor, patient_id: uuid.UUID | str) -> BreakGlassGrant | None:
    """The actor's unexpired break-glass grant to this patient of another site, or None.

    The grant counts only while the actor acts from the site and holds a role that carry it, so a user whose
    role changed since loses the access with it.
    """
    if not actor.can(Permission.BREAK_GLASS):
        return None
    try:
        return (
            BreakGlassGrant.objects.select_related("patient", "site")
            .filter(user=actor.user, actor_site=actor.site, patient_id=patient_id, expires_at__gt=timezone.now())
            .exclude(site=actor.site)
            .order_by("-expires_at")
            .first()
        )
    except (ValueError, ValidationError):
        return None


def patient_get(
    *, actor: Actor, patient_id: uuid.UUID | str, channel: str = "web", allow_break_glass: bool = False
) -> Patient:
    """The patient if it belongs to the actor's site, else NotFound; the read is logged on the patient's site.

    `allow_break_glass`: read-only views also accept a patient of another site that the actor opened by
    break-glass (`patients.services.break_glass_open`) while the grant lasts.
    """
    try:
        patient = patients_visible_to(actor).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, ValidationError, Forbidden) as exc:
        grant = break_glass_grant_active(actor=actor, patient_id=patient_id) if allow_break_glass else None
        if grant is None:
            if isinstance(exc, Forbidden):
                raise
            raise NotFound("patient") from exc
        access_record(
            actor=actor, patient_id=grant.patient_id, category="demographics", channel=channel, site=grant.site
        )
        return grant.patient
    access_record(actor=actor, patient_id=patient.pk, category="demographics", channel=channel)
    return patient


def patient_search(*, actor: Actor, q: str = "") -> QuerySet[Patient]:
    """Patients of the site whose name or MRN contains every word of `q`."""
    qs = patients_visible_to(actor)
    for word in q.split():
        qs = qs.filter(Q(mrn__icontains=word) | Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return qs.order_by("family_name", "given_name", "mrn")
