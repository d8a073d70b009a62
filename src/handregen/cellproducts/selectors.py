"""Reads of cell products, their custody and labels, scoped to the actor's site; patient reads are logged."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import access_record, audit_record
from handregen.cellproducts.identifiers import ProductCodeError, parse_scanned_code
from handregen.cellproducts.models import IN_LAB_STATUSES, CellProduct, CustodyEvent, Donor, ProcessingRecord
from handregen.cellproducts.regulatory import REGULATORY_CLASSES, product_description
from handregen.cellproducts.release import CriterionResult, evaluate_release
from handregen.cellproducts.services import release_measures
from handregen.errors import InvalidInput, NotFound
from handregen.pathway.models import Episode
from handregen.patients.models import Patient


def products_visible_to(actor: Actor) -> QuerySet[CellProduct]:
    actor.require(Permission.PATIENT_VIEW)
    return CellProduct.objects.filter(site=actor.site).select_related("patient", "episode", "donor")


def product_get(*, actor: Actor, product_id: uuid.UUID | str, channel: str = "web") -> CellProduct:
    """The product if it belongs to the actor's site, else NotFound; the read is logged."""
    try:
        product = products_visible_to(actor).get(pk=product_id)
    except (CellProduct.DoesNotExist, ValueError) as exc:
        raise NotFound("product") from exc
    access_record(actor=actor, patient_id=product.patient_id, category="cell_product", channel=channel)
    return product


def product_by_scan(*, actor: Actor, scanned: str, channel: str = "web") -> CellProduct:
    """The product a scanned or typed identifier names; a wrong check character is InvalidInput."""
    try:
        code = parse_scanned_code(scanned)
    except ProductCodeError as exc:
        raise InvalidInput([("code", str(exc))]) from exc
    product = products_visible_to(actor).filter(din=code.din).first()
    if product is None:
        raise NotFound("product")
    access_record(actor=actor, patient_id=product.patient_id, category="cell_product", channel=channel)
    return product


def lab_worklist(*, actor: Actor) -> QuerySet[CellProduct]:
    """Products in the lab (collected, received, processed) and released ones not yet given, oldest first."""
    return (
        products_visible_to(actor)
        .filter(status__in=[*IN_LAB_STATUSES, "released"])
        .select_related("processing")
        .order_by("collected_at")
    )


def current_product(*, episode: Episode) -> dict[str, Any] | None:
    """The product of the episode's current treatment cycle, as the episode shows it; None before harvest."""
    product = (
        CellProduct.objects.filter(episode=episode, site_id=episode.site_id, cycle=episode.cycle)
        .exclude(status="discarded")
        .order_by("-created_at")
        .first()
    )
    if product is None:
        return None
    return {"id": product.pk, "code": product.code, "status": product.status, "expires_at": product.expires_at}


def custody_timeline(*, product: CellProduct) -> list[dict[str, Any]]:
    """The product's custody events in order: what, when, who (and role), where."""
    events = CustodyEvent.objects.filter(product=product).order_by("position")
    labels = dict(CustodyEvent._meta.get_field("event").choices or [])
    return [
        {
            "position": e.position,
            "event": e.event,
            "what": labels.get(e.event, e.event),
            "at": e.occurred_at,
            "by": e.actor_label,
            "role": e.actor_role,
            "location": e.location,
            "note": e.note,
        }
        for e in events
    ]


def release_preview(*, product: CellProduct) -> list[CriterionResult]:
    """The protocol's release criteria evaluated now (what the release would decide on)."""
    criteria = product.episode.protocol.definition.release_criteria
    return evaluate_release(criteria, release_measures(product, timezone.now()))


def _processing_dict(record: ProcessingRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "method": record.method,
        "method_label": record.get_method_display(),
        "device": record.device,
        "device_lot": record.device_lot,
        "kit_lot": record.kit_lot,
        "output_volume_ml": float(record.output_volume_ml),
        "total_nucleated_cells": record.total_nucleated_cells,
        "viability_percent": float(record.viability_percent),
        "markers": record.markers,
        "sterility_sample_taken": record.sterility_sample_taken,
        "sterility_sample_id": record.sterility_sample_id,
        "technician": record.technician.get_full_name() or record.technician.username,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "version": record.version,
    }


def product_detail(*, product: CellProduct) -> dict[str, Any]:
    """Everything a product page or the API shows: identity, status, results, release and custody."""
    code = product.product_code
    record = ProcessingRecord.objects.select_related("technician").filter(product=product).first()
    release = getattr(product, "release", None)
    now = timezone.now()
    if release is not None:
        criteria = release.criteria
    elif product.status in IN_LAB_STATUSES:
        criteria = [r.as_dict() for r in release_preview(product=product)]
    else:
        criteria = []
    harvest = getattr(product, "harvest", None)
    return {
        "id": product.pk,
        "code": code.scanned,
        "identifier": code.din,
        "check_character": code.check,
        "eye_readable": code.eye_readable,
        "status": product.status,
        "episode_id": product.episode_id,
        "patient_id": product.patient_id,
        "cycle": product.cycle,
        "source": product.source,
        "origin": product.origin,
        "donor_id": product.donor_id,
        "description": product_description(
            source=product.source,
            method=record.method if record else None,
            volume_ml=float(record.output_volume_ml) if record else None,
        ),
        "regulatory_class": product.regulatory_class,
        "regulatory_class_label": REGULATORY_CLASSES.get(product.regulatory_class, product.regulatory_class),
        "approval_reference": product.approval_reference,
        "collected_at": product.collected_at,
        "expires_at": product.expires_at,
        "expired": product.status in (*IN_LAB_STATUSES, "released") and now >= product.expires_at,
        "harvest": None
        if harvest is None
        else {
            "id": harvest.pk,
            "volume_ml": float(harvest.volume_ml),
            "harvest_site": harvest.harvest_site,
            "anaesthesia": harvest.anaesthesia,
            "started_at": harvest.started_at,
            "ended_at": harvest.ended_at,
            "complications": harvest.complications,
        },
        "results": {"processing": _processing_dict(record), "criteria": criteria},
        "release": None
        if release is None
        else {
            "released_at": release.released_at,
            "released_by": release.released_by_label,
            "verified_by": release.verified_by_label,
            "verified_by_role": release.verified_by_role,
            "exceptional": release.exceptional,
            "justification": release.justification,
        },
        "exceptional_release": product.exceptional_release,
        "administered_at": product.administered_at,
        "custody": custody_timeline(product=product),
        "version": product.version,
    }


def _local(moment: Any, tz: str) -> Any:
    return timezone.localtime(moment, ZoneInfo(tz))


def product_label(*, actor: Actor, product: CellProduct, channel: str = "web") -> bytes:
    """The product's label PDF (identifier with check character, barcode, description, expiry, patient for
    autologous products); printing is audited, since a label carries the chain of identity."""
    from handregen.cellproducts.labels import ProductLabel, product_label_pdf  # weasyprint: load when printing

    record = ProcessingRecord.objects.filter(product=product).first()
    description = product_description(
        source=product.source,
        method=record.method if record else None,
        volume_ml=float(record.output_volume_ml) if record else None,
    )
    if product.origin == "allogeneic":
        description = f"Allogeneic, donor {product.donor.code if product.donor else '?'}: {description}"
    if product.exceptional_release:
        description += " — EXCEPTIONAL RELEASE (criteria not met; see the release record)"
    elif product.status in IN_LAB_STATUSES:
        description += " — NOT RELEASED"
    patient = product.patient
    label = ProductLabel(
        code=product.product_code,
        description=description,
        expires=_local(product.expires_at, actor.site.time_zone),
        autologous=product.autologous,
        patient_name=patient.display_name if product.autologous else "",
        mrn=patient.mrn if product.autologous else "",
        birth_date=patient.birth_date if product.autologous else None,
        site_name=actor.site.name,
    )
    pdf = product_label_pdf(label)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="product.label_print",
            object_type="cell_product",
            object_id=product.pk,
            changes={"channel": [None, channel], "status": [None, product.status]},
            patient_id=product.patient_id,
            episode_id=product.episode_id,
        )
    return pdf


def wristband_label(*, actor: Actor, patient_id: uuid.UUID | str, channel: str = "web") -> bytes:
    """The patient's wristband insert (PDF) with a barcode of the wristband code; printing is audited."""
    from handregen.cellproducts.labels import WristbandLabel, wristband_label_pdf  # weasyprint: load when printing

    actor.require(Permission.PATIENT_VIEW)
    try:
        patient = Patient.objects.get(pk=patient_id, site=actor.site)
    except (Patient.DoesNotExist, ValueError) as exc:
        raise NotFound("patient") from exc
    access_record(actor=actor, patient_id=patient.pk, category="wristband", channel=channel)
    pdf = wristband_label_pdf(
        WristbandLabel(
            wristband_code=patient.wristband_code,
            patient_name=patient.display_name,
            mrn=patient.mrn,
            birth_date=patient.birth_date,
            site_name=actor.site.name,
        )
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="patient.wristband_print",
            object_type="patient",
            object_id=patient.pk,
            changes={"channel": [None, channel]},
            patient_id=patient.pk,
        )
    return pdf


def donor_get(*, actor: Actor, donor_id: uuid.UUID | str) -> Donor:
    actor.require(Permission.PATIENT_VIEW)
    try:
        return Donor.objects.get(pk=donor_id, site=actor.site)
    except (Donor.DoesNotExist, ValueError) as exc:
        raise NotFound("donor") from exc
