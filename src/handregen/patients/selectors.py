"""Reads of patients, always scoped to the actor's site."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record
from handregen.errors import NotFound
from handregen.patients.models import Patient


def patients_visible_to(actor: Actor) -> QuerySet[Patient]:
    actor.require(Permission.PATIENT_VIEW)
    return Patient.objects.filter(site=actor.site)


def patient_get(*, actor: Actor, patient_id: uuid.UUID | str, channel: str = "web") -> Patient:
    """The patient if it belongs to the actor's site, else NotFound; the read is logged."""
    try:
        patient = patients_visible_to(actor).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError) as exc:
        raise NotFound("patient") from exc
    access_record(actor=actor, patient_id=patient.pk, category="demographics", channel=channel)
    return patient


def patient_search(*, actor: Actor, q: str = "") -> QuerySet[Patient]:
    """Patients of the site whose name or MRN contains every word of `q`."""
    qs = patients_visible_to(actor)
    for word in q.split():
        qs = qs.filter(Q(mrn__icontains=word) | Q(family_name__icontains=word) | Q(given_name__icontains=word))
    return qs.order_by("family_name", "given_name", "mrn")
