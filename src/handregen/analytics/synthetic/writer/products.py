"""The day of the procedure for a synthetic patient: harvest, product and its chain of custody, processing,
two-person release, the bedside-verified injection and post-procedure care."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from handregen.aftercare.models import PostCareRecord
from handregen.analytics.synthetic.cohort import SyntheticPatient
from handregen.analytics.synthetic.writer.batch import Batch
from handregen.analytics.synthetic.writer.clinical import Written
from handregen.analytics.synthetic.writer.context import SiteContext
from handregen.cellproducts.identifiers import format_product_code
from handregen.cellproducts.models import CellProduct, CustodyEvent, ProcessingRecord, ProductSequence, ReleaseDecision
from handregen.cellproducts.regulatory import HARVEST_SITES, METHODS, default_regulatory_class
from handregen.cellproducts.release import HOURS_SINCE_HARVEST, evaluate_release, hours_between, release_refusals
from handregen.cellproducts.services import LAB, PROCEDURE_ROOM
from handregen.procedures.models import Harvest, Injection

APPROVAL_REFERENCE = "SYNTHETIC-APPROVAL"
DEVICES = {
    "centrifugation_concentrate": "Marrow concentration system",
    "washed_lipoaspirate": "Closed washing system",
    "mechanical_microfragmentation": "Microfragmentation kit",
    "enzymatic_svf": "Enzymatic isolation system",
}
VOLUME_ML = {"thumb_cmc_oa": (1.0, 2.5), "finger_oa": (0.5, 1.2), "wrist_oa": (2.0, 4.0)}


def allocate_sequences(ctx: SiteContext, years: Iterable[int]) -> dict[int, list[int]]:
    """Sequence numbers for products collected in each year, taken from the facility's counters in the
    caller's transaction, so later real products continue after them (`product_code_allocate`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence numbers are allocated inside the batch's transaction")
    facility = ctx.site.facility_code.upper()
    numbers: dict[int, list[int]] = {}
    for year, count in sorted(Counter(years).items()):
        ProductSequence.objects.get_or_create(facility_code=facility, year=year, defaults={"last_sequence": 0})
        counter = ProductSequence.objects.select_for_update().get(facility_code=facility, year=year)
        first = counter.last_sequence + 1
        counter.last_sequence += count
        format_product_code(facility, year, counter.last_sequence)  # refuses a seventh digit
        counter.save(update_fields=["last_sequence"])
        numbers[year] = list(range(first, counter.last_sequence + 1))
    return numbers


def harvest_year(ctx: SiteContext, p: SyntheticPatient) -> int:
    return ctx.at(p.injected_on, 8, 30).astimezone(ctx.zone).year


def build_procedure(
    ctx: SiteContext, p: SyntheticPatient, w: Written, rnd: random.Random, sequence: int, batch: Batch
) -> Injection:
    """Harvest, product, processing, release, custody, injection and post-care of the first cycle."""
    site, day, pid, eid = ctx.site, p.injected_on, w.patient.pk, w.episode.pk
    started, ended, released, injected = ctx.at(day, 8), ctx.at(day, 8, 30), ctx.at(day, 9, 30), ctx.at(day, 10)
    code = format_product_code(ctx.site.facility_code.upper(), ended.astimezone(ctx.zone).year, sequence)
    regulatory_class = default_regulatory_class(origin="autologous", method=p.method)
    product = CellProduct(
        id=ctx.new_id(),
        site_id=site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        cycle=1,
        din=code.din,
        source=p.source,
        origin="autologous",
        status="administered",
        collected_at=ended,
        expires_at=ended + timedelta(hours=ctx.definition.expiry_hours_after_harvest),
        regulatory_class=regulatory_class,
        approval_reference=APPROVAL_REFERENCE if regulatory_class in ctx.needs_approval else "",
        released_at=released,
        administered_at=injected,
    )
    batch.add(
        product,
        actor=ctx.physician,
        action="product.collect",
        object_type="cell_product",
        patient_id=pid,
        episode_id=eid,
        changes={
            "code": [None, code.scanned],
            "source": [None, p.source],
            "origin": [None, "autologous"],
            "donor": [None, None],
            "status": [None, product.status],
            "expires_at": [None, product.expires_at],
            "regulatory_class": [None, regulatory_class],
        },
    )
    harvest = Harvest(
        id=ctx.new_id(),
        site_id=site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        cycle=1,
        product_id=product.pk,
        source=p.source,
        origin="autologous",
        volume_ml=Decimal(rnd.randint(30, 60)),
        harvest_site=rnd.choice(list(HARVEST_SITES[p.source])),
        anaesthesia="local",
        operator_id=ctx.physician.user.pk,
        started_at=started,
        ended_at=ended,
    )
    batch.add(
        harvest,
        actor=ctx.physician,
        action="harvest.record",
        object_type="harvest",
        patient_id=pid,
        episode_id=eid,
        changes={
            "source": [None, p.source],
            "origin": [None, "autologous"],
            "volume_ml": [None, harvest.volume_ml],
            "harvest_site": [None, harvest.harvest_site],
            "anaesthesia": [None, "local"],
            "started_at": [None, started],
            "ended_at": [None, ended],
            "complications": [None, ""],
            "product": [None, code.scanned],
        },
    )
    low, high = VOLUME_ML[p.indication]
    processing = ProcessingRecord(
        id=ctx.new_id(),
        site_id=site.pk,
        product_id=product.pk,
        method=p.method,
        device=DEVICES[p.method],
        kit_lot=f"SYN-{ended.year}",
        output_volume_ml=Decimal(str(round(rnd.uniform(low, high), 1))),
        total_nucleated_cells=rnd.randint(2, 60) * 1_000_000,
        viability_percent=Decimal(str(round(rnd.uniform(72, 96), 1))),
        sterility_sample_taken=True,
        sterility_sample_id=f"ST-{code.din}",
        technician_id=ctx.labtech.user.pk,
        started_at=ctx.at(day, 8, 40),
        ended_at=ctx.at(day, 9, 20),
    )
    batch.add(
        processing,
        actor=ctx.labtech,
        action="product.processing",
        object_type="cell_product",
        object_id=product.pk,
        patient_id=pid,
        episode_id=eid,
        changes={
            "method": [None, p.method],
            "output_volume_ml": [None, processing.output_volume_ml],
            "total_nucleated_cells": [None, processing.total_nucleated_cells],
            "viability_percent": [None, processing.viability_percent],
            "sterility_sample_taken": [None, True],
            "status": ["received", "processed"],
        },
    )
    measures = {
        HOURS_SINCE_HARVEST: round(hours_between(ended, released), 2),
        "viability_percent": float(processing.viability_percent),
        "total_nucleated_cells": processing.total_nucleated_cells,
        "output_volume_ml": float(processing.output_volume_ml),
        "sterility_sample_taken": True,
    }
    results = evaluate_release(ctx.definition.release_criteria, measures)
    if release_refusals(results):
        raise RuntimeError(f"synthetic product fails release: {release_refusals(results)}")
    release = ReleaseDecision(
        id=ctx.new_id(),
        site_id=site.pk,
        product_id=product.pk,
        released_by_id=ctx.labtech.user.pk,
        released_by_label=ctx.labtech.label,
        verified_by_id=ctx.physician.user.pk,
        verified_by_label=ctx.physician.label,
        verified_by_role=ctx.physician.role,
        released_at=released,
        expires_at=product.expires_at,
        criteria=[r.as_dict() for r in results],
    )
    batch.add(
        release,
        actor=ctx.labtech,
        action="product.release",
        object_type="cell_product",
        object_id=product.pk,
        patient_id=pid,
        episode_id=eid,
        changes={
            "status": ["processed", "released"],
            "expires_at": [None, product.expires_at],
            "verified_by": [None, ctx.physician.user.username],
            "criteria_failed": [None, []],
            "exceptional": [False, False],
        },
    )
    injection = Injection(
        id=ctx.new_id(),
        site_id=site.pk,
        episode_id=w.episode.pk,
        patient_id=w.patient.pk,
        cycle=1,
        product_id=product.pk,
        joint=p.joints[0],
        side=p.side,
        guidance="ultrasound" if rnd.random() < 0.8 else "fluoroscopy",
        anaesthetic="lidocaine 1 % 1 mL",
        volume_ml=processing.output_volume_ml,
        operator_id=ctx.physician.user.pk,
        performed_at=injected,
        scanned_product_code=code.scanned,
        scanned_wristband_code=w.patient.wristband_code,
        verification={
            "product": code.scanned,
            "wristband": w.patient.wristband_code,
            "same_patient": True,
            "released": True,
            "expires_at": product.expires_at.isoformat(),
            "consent_valid": True,
            "preparation_complete": True,
        },
    )
    _custody(ctx, product, p.method, injection, batch, pid, eid)
    batch.add(
        injection,
        actor=ctx.physician,
        action="injection.record",
        object_type="injection",
        patient_id=pid,
        episode_id=eid,
        changes={
            "product": [None, code.scanned],
            "joint": [None, injection.joint],
            "side": [None, p.side],
            "guidance": [None, injection.guidance],
            "anaesthetic": [None, injection.anaesthetic],
            "volume_ml": [None, injection.volume_ml],
            "performed_at": [None, injection.performed_at],
        },
    )
    _post_care(ctx, p, w, injection, rnd, batch)
    return injection


def _custody(
    ctx: SiteContext, product: CellProduct, method: str, injection: Injection, batch: Batch, pid: object, eid: object
) -> None:
    assert product.released_at is not None and product.administered_at is not None
    collected = product.collected_at
    steps = (
        ("collected", collected, PROCEDURE_ROOM, ctx.physician, ""),
        ("received", collected + timedelta(minutes=5), LAB, ctx.labtech, ""),
        ("processed", collected + timedelta(minutes=50), LAB, ctx.labtech, METHODS[method]),
        ("released", product.released_at, LAB, ctx.labtech, ""),
        ("dispensed", product.administered_at, PROCEDURE_ROOM, ctx.physician, ""),
        ("administered", product.administered_at, PROCEDURE_ROOM, ctx.physician, f"Injection {injection.pk}"),
    )
    for position, (event, at, location, actor, note) in enumerate(steps, start=1):
        row = CustodyEvent(
            site_id=ctx.site.pk,
            product_id=product.pk,
            position=position,
            event=event,
            occurred_at=at,
            actor_id=actor.user.pk,
            actor_label=actor.label,
            actor_role=actor.role,
            location=location,
            note=note,
        )
        batch.add(
            row,
            actor=actor,
            action=f"product.custody_{event}",
            object_type="cell_product",
            object_id=product.pk,
            patient_id=pid,
            episode_id=eid,
            changes={"event": [None, event], "position": [None, position], "location": [None, location]},
        )


def _post_care(
    ctx: SiteContext, p: SyntheticPatient, w: Written, injection: Injection, rnd: random.Random, batch: Batch
) -> None:
    observed = injection.performed_at + timedelta(minutes=30)
    systolic = rnd.randint(110, 150)
    observation = {
        "at": observed.isoformat(),
        "pain_nrs": max(0, min(10, round(p.baseline.pain * 0.5))),
        "heart_rate": rnd.randint(58, 92),
        "systolic_bp": systolic,
        "diastolic_bp": systolic - rnd.randint(35, 55),
        "injection_site": "normal",
        "harvest_site": "normal",
    }
    discharged = injection.performed_at + timedelta(minutes=60)
    record = PostCareRecord(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        cycle=1,
        injection_id=injection.pk,
        injected_at=injection.performed_at,
        monitoring=[observation],
        discharged_at=discharged,
        instructions_given=True,
        instructions=ctx.aftercare,
        recorded_by_id=ctx.nurse.user.pk,
        recorded_at=discharged,
    )
    batch.add(
        record,
        actor=ctx.nurse,
        action="post_care.record",
        object_type="post_care_record",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={
            "monitoring": [None, [observation]],
            "discharged_at": [None, discharged],
            "instructions_given": [None, True],
            "cycle": [None, 1],
        },
    )
