"""Writing the chain of identity: identifiers, collection, receipt, processing, release, custody, discard.

Every product write locks the product row, appends its custody event and audits itself in the same
transaction. A refused product step is rolled back and audited as a refusal (`product_refusals_audited`).
Harvest and injection, which also move the episode, live in `procedures.services` and call in here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.reauth import VERIFIER_REFUSED, Verification, reauthenticate, verifier_confirm, with_failures
from handregen.accounts.refusals import Subject, refusals_audited_as
from handregen.accounts.roles import Permission, Role
from handregen.audit.services import audit_record
from handregen.cellproducts.identifiers import ProductCode, format_product_code
from handregen.cellproducts.lifecycle import ProductStatus, moved, step_refusal
from handregen.cellproducts.models import (
    CellProduct,
    CustodyEvent,
    Donor,
    ProcessingRecord,
    ProductSequence,
    ReleaseDecision,
    SiteProductPolicy,
)
from handregen.cellproducts.regulatory import (
    METHODS,
    METHODS_FOR_SOURCE,
    REGULATORY_CLASSES,
    approval_refusals,
    class_against_policy,
    default_regulatory_class,
)
from handregen.cellproducts.release import HOURS_SINCE_HARVEST, evaluate_release, hours_between, release_refusals
from handregen.cellproducts.signing import PRODUCT_RELEASE, RELEASE_VERIFICATION
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_lock, episode_move, step_refusals
from handregen.pathway.stages import Stage
from handregen.signatures.services import lock_refusals, signature_write
from handregen.timeorder import (
    INJECTION_AFTER_RELEASE,
    PROCESSING_AFTER_HARVEST,
    RELEASE_AFTER_PROCESSING,
    OrderRule,
    future_message,
    in_future,
    order_refusal,
)

P = ParamSpec("P")
R = TypeVar("R")

LAB = "Cell lab"
PROCEDURE_ROOM = "Procedure room"
MAX_CELLS = 10**13  # far above any hand injection; catches a mistyped exponent


# --- small helpers ------------------------------------------------------------------------------------


def shown_time(moment: datetime, site: Site) -> str:
    """A moment as staff read it: the site's local time with its zone, to the minute."""
    return timezone.localtime(moment, ZoneInfo(site.time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def aware(moment: datetime | None, site: Site) -> datetime | None:
    """A time as given, or a naive one read as the site's local time."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, ZoneInfo(site.time_zone))


def product_policy(site: Site) -> tuple[str, ...]:
    """The regulatory classes that need an approval reference at `site` (the default when none is set)."""
    policy = SiteProductPolicy.objects.filter(site=site).first()
    if policy is None:
        return SiteProductPolicy.default_classes()
    return tuple(policy.classes_needing_approval)


def product_lock(*, actor: Actor, product: CellProduct | Any) -> CellProduct:
    """The product row locked for this transaction, scoped to the actor's site."""
    pk = product.pk if isinstance(product, CellProduct) else product
    try:
        return CellProduct.objects.select_for_update().get(pk=pk, site=actor.site)
    except (CellProduct.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("product") from exc


def product_find(*, actor: Actor, product: CellProduct | Any) -> CellProduct:
    """The product (unlocked) if it belongs to the actor's site, else NotFound."""
    pk = product.pk if isinstance(product, CellProduct) else product
    try:
        return CellProduct.objects.get(pk=pk, site=actor.site)
    except (CellProduct.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("product") from exc


def _product_subject(kwargs: Mapping[str, Any], actor: Actor) -> Subject:
    ref = kwargs.get("product")
    try:
        found: CellProduct | None = product_find(actor=actor, product=ref)
    except NotFound:
        found = None
    pk = ref.pk if isinstance(ref, CellProduct) else ref
    return Subject("cell_product", pk, found.patient_id if found else None, found.episode_id if found else None)


def product_refusals_audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a product step (keyword arguments `actor` and `product`, a CellProduct or its id) in its own
    transaction; when a guard refuses, roll back and audit the refusal as `action`."""
    return refusals_audited_as(action, _product_subject)


def _decimal(value: Any, field: str, errors: list[tuple[str, str]]) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append((field, "must be a number"))
        return None
    if not number.is_finite():
        errors.append((field, "must be a number"))
        return None
    return number


def _order(rule: OrderRule, earlier_at: datetime, later_at: datetime, site: Site) -> list[str]:
    """The time-order refusal of `rule` as a list of reasons ([] when the order is right)."""
    refusal = order_refusal(
        rule, earlier_at=earlier_at, later_at=later_at, shown=lambda moment: shown_time(moment, site)
    )
    return [refusal] if refusal else []


# --- identifiers -------------------------------------------------------------------------------------


def product_code_allocate(*, site: Site, now: datetime | None = None) -> ProductCode:
    """The next identifier for `site`'s facility code in the current year; never handed out twice.

    The counter row of (facility code, year) is locked for the rest of the transaction, so concurrent
    harvests queue for their numbers; a rolled-back harvest gives its number back unused (nothing was
    printed or stored with it).
    """
    year = timezone.localtime(now or timezone.now(), ZoneInfo(site.time_zone)).year
    facility = site.facility_code.upper()
    if not ProductSequence.objects.filter(facility_code=facility, year=year).exists():
        try:
            with transaction.atomic():
                ProductSequence.objects.create(facility_code=facility, year=year, last_sequence=0)
        except IntegrityError:
            pass  # a concurrent first harvest of the year created it
    counter = ProductSequence.objects.select_for_update().get(facility_code=facility, year=year)
    counter.last_sequence += 1
    code = format_product_code(facility, year, counter.last_sequence)  # refuses a seventh digit
    counter.save(update_fields=["last_sequence"])
    return code


# --- custody -----------------------------------------------------------------------------------------


def custody_append(
    *, actor: Actor, product: CellProduct, event: str, location: str, note: str = "", at: datetime | None = None
) -> CustodyEvent:
    """Append one custody event to a product locked by the caller (positions count from 1, no gaps)."""
    last = CustodyEvent.objects.filter(product=product).order_by("-position").values_list("position", flat=True)
    return CustodyEvent.objects.create(
        site=product.site,
        product=product,
        position=(last.first() or 0) + 1,
        event=event,
        occurred_at=at or timezone.now(),
        actor=actor.user,
        actor_label=actor.label,
        actor_role=actor.role,
        location=(location or "").strip()[:120] or "not stated",
        note=note[:500],
    )


def _save_product(product: CellProduct, fields: list[str]) -> None:
    product.version += 1
    product.save(update_fields=[*fields, "version"])


# --- collection (called by the harvest) --------------------------------------------------------------


def product_collect(
    *,
    actor: Actor,
    episode: Episode,
    source: str,
    origin: str,
    donor: Donor | None,
    collected_at: datetime,
    approval_reference: str = "",
    location: str = PROCEDURE_ROOM,
) -> CellProduct:
    """Create the product of a harvest: a new identifier, the protocol's expiry, custody 'collected'.

    Runs inside the harvest's transaction with the episode locked; the harvest checks the guards.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("product_collect runs inside the harvest's transaction")
    code = product_code_allocate(site=actor.site)
    hours = episode.protocol.definition.expiry_hours_after_harvest
    product = CellProduct.objects.create(
        site=actor.site,
        episode=episode,
        patient=episode.patient,
        cycle=episode.cycle,
        din=code.din,
        source=source,
        origin=origin,
        donor=donor,
        status=ProductStatus.COLLECTED,
        collected_at=collected_at,
        expires_at=collected_at + timedelta(hours=hours),
        regulatory_class=default_regulatory_class(origin=origin, method=None),
        approval_reference=approval_reference.strip(),
    )
    custody_append(actor=actor, product=product, event="collected", location=location, at=collected_at)
    audit_record(
        actor=actor,
        action="product.collect",
        object_type="cell_product",
        object_id=product.pk,
        changes={
            "code": [None, code.scanned],
            "source": [None, source],
            "origin": [None, origin],
            "donor": [None, donor.code if donor else None],
            "status": [None, "collected"],
            "expires_at": [None, product.expires_at],
            "regulatory_class": [None, product.regulatory_class],
        },
        patient_id=episode.patient_id,
        episode_id=episode.pk,
    )
    return product


# --- receipt in the lab ------------------------------------------------------------------------------


def _receive(*, actor: Actor, product: CellProduct, location: str, note: str = "") -> None:
    product.status = moved(product.status, "receive")
    _save_product(product, ["status"])
    custody_append(actor=actor, product=product, event="received", location=location or LAB, note=note)
    audit_record(
        actor=actor,
        action="product.receive",
        object_type="cell_product",
        object_id=product.pk,
        changes={"status": ["collected", "received"], "location": [None, location or LAB]},
        patient_id=product.patient_id,
        episode_id=product.episode_id,
    )


@product_refusals_audited("product.receive")
def product_receive(*, actor: Actor, product: CellProduct | Any, location: str = LAB) -> CellProduct:
    """Record that the lab received a collected product."""
    actor.require(Permission.PRODUCT_PROCESS)
    locked = product_lock(actor=actor, product=product)
    if locked.status != "collected":
        raise GuardRefused([f"The product is {locked.get_status_display()}; only a collected product is received."])
    _receive(actor=actor, product=locked, location=location)
    return locked


# --- processing --------------------------------------------------------------------------------------

PROCESSING_FIELDS = (
    "method",
    "device",
    "device_lot",
    "kit_lot",
    "output_volume_ml",
    "total_nucleated_cells",
    "viability_percent",
    "markers",
    "sterility_sample_taken",
    "sterility_sample_id",
    "started_at",
    "ended_at",
)


def _processing_values(
    *,
    product: CellProduct,
    method: str,
    output_volume_ml: Any,
    total_nucleated_cells: Any,
    viability_percent: Any,
    markers: Mapping[str, Any] | None,
    started_at: datetime | None,
    ended_at: datetime | None,
    regulatory_class: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Validated processing values; InvalidInput names every impossible one."""
    errors: list[tuple[str, str]] = []
    if method not in METHODS:
        errors.append(("method", f"must be one of {', '.join(METHODS)}"))
    elif method not in METHODS_FOR_SOURCE[product.source]:
        allowed = ", ".join(METHODS_FOR_SOURCE[product.source])
        errors.append(("method", f"{method} is not a method for {product.get_source_display().lower()}; use {allowed}"))
    volume = _decimal(output_volume_ml, "output_volume_ml", errors)
    if volume is not None and not Decimal(0) < volume <= Decimal(1000):
        errors.append(("output_volume_ml", "must be more than 0 and at most 1000 mL"))
    viability = _decimal(viability_percent, "viability_percent", errors)
    if viability is not None and not Decimal(0) <= viability <= Decimal(100):
        errors.append(("viability_percent", "must be between 0 and 100 %"))
    cells: int | None = None
    if isinstance(total_nucleated_cells, bool) or not isinstance(total_nucleated_cells, int | float | Decimal):
        errors.append(("total_nucleated_cells", "must be a whole number of cells"))
    else:
        count = _decimal(total_nucleated_cells, "total_nucleated_cells", errors)
        if count is not None and (count != count.to_integral_value() or not 0 <= count <= MAX_CELLS):
            errors.append(("total_nucleated_cells", f"must be a whole number from 0 to {MAX_CELLS:.0e}"))
        elif count is not None:
            cells = int(count)
    clean_markers: dict[str, float] = {}
    for name, value in (markers or {}).items():
        number = _decimal(value, f"markers.{name}", errors)
        if not str(name).strip() or len(str(name)) > 40:
            errors.append(("markers", "marker names are 1 to 40 characters"))
        elif number is not None:
            clean_markers[str(name).strip()] = float(number)
    ended = ended_at or now
    started = started_at or ended
    if started > ended:
        errors.append(("started_at", "is after the end of processing"))
    if in_future(ended, now):
        errors.append(("ended_at", future_message("the end of processing")))
    after_harvest = order_refusal(
        PROCESSING_AFTER_HARVEST,
        earlier_at=product.collected_at,
        later_at=started,
        shown=lambda moment: shown_time(moment, product.site),
    )
    if after_harvest:
        errors.append(("started_at", after_harvest))
    if regulatory_class is not None and regulatory_class not in REGULATORY_CLASSES:
        errors.append(("regulatory_class", f"must be one of {', '.join(REGULATORY_CLASSES)}"))
    if errors:
        raise InvalidInput(errors)
    return {
        "method": method,
        "output_volume_ml": volume,
        "total_nucleated_cells": cells,
        "viability_percent": viability,
        "markers": clean_markers,
        "started_at": started,
        "ended_at": ended,
    }


@product_refusals_audited("product.processing")
def processing_record(
    *,
    actor: Actor,
    product: CellProduct | Any,
    method: str,
    output_volume_ml: Any,
    total_nucleated_cells: Any,
    viability_percent: Any,
    device: str = "",
    device_lot: str = "",
    kit_lot: str = "",
    markers: Mapping[str, Any] | None = None,
    sterility_sample_taken: bool = False,
    sterility_sample_id: str = "",
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    regulatory_class: str | None = None,
    approval_reference: str = "",
    location: str = LAB,
    correction_reason: str = "",
    class_justification: str = "",
    class_verifier_username: str = "",
    class_verifier_password: str = "",
    class_verifier_otp_code: str = "",
) -> ProcessingRecord:
    """Record how the product was processed and what was measured; before release it may be corrected
    with a reason (the earlier values stay in the audit trail).

    The regulatory class defaults to the one suggested for the method; a class the site's policy names
    needs an approval reference, here or recorded earlier. A class chosen against the policy (one that
    sidesteps the approval the suggested class needs) needs a written `class_justification` and a second
    person's verification (`class_verifier_*`), as a release does.
    """
    actor.require(Permission.PRODUCT_PROCESS)
    locked = product_lock(actor=actor, product=product)
    now = timezone.now()
    started_at, ended_at = aware(started_at, actor.site), aware(ended_at, actor.site)
    values = _processing_values(
        product=locked,
        method=method,
        output_volume_ml=output_volume_ml,
        total_nucleated_cells=total_nucleated_cells,
        viability_percent=viability_percent,
        markers=markers,
        started_at=started_at,
        ended_at=ended_at,
        regulatory_class=regulatory_class,
        now=now,
    )
    values |= {
        "device": device.strip(),
        "device_lot": device_lot.strip(),
        "kit_lot": kit_lot.strip(),
        "sterility_sample_taken": bool(sterility_sample_taken),
        "sterility_sample_id": sterility_sample_id.strip(),
    }
    episode = Episode.objects.get(pk=locked.episode_id)
    existing = ProcessingRecord.objects.filter(product=locked).first()
    reasons: list[str] = lock_refusals(locked)
    if locked.status in ("released", "administered", "discarded"):
        reasons.append(f"The product is {locked.get_status_display()}; its processing can no longer be changed.")
    elif existing is not None and not correction_reason.strip():
        reasons.append("Processing is already recorded for this product; give a reason to correct it.")
    if episode.stage != Stage.HARVESTED or locked.cycle != episode.cycle:
        reasons.append(f"The episode is at {episode.stage}; products are processed while it is at harvested.")
    suggested = default_regulatory_class(origin=locked.origin, method=method)
    new_class = regulatory_class or suggested
    reference = approval_reference.strip() or locked.approval_reference
    needing = product_policy(actor.site)
    reasons += approval_refusals(regulatory_class=new_class, approval_reference=reference, needing_approval=needing)
    against = class_against_policy(suggested=suggested, chosen=new_class, needing_approval=needing)
    class_verification: Verification | None = None
    if against:
        class_verification, class_reasons = _class_change_refusals(
            actor=actor,
            suggested=suggested,
            chosen=new_class,
            justification=class_justification,
            username=class_verifier_username,
            password=class_verifier_password,
            otp_code=class_verifier_otp_code,
        )
        reasons += class_reasons
    if reasons:
        failure = class_verification.failure if class_verification else None
        raise with_failures(GuardRefused(reasons), *([failure] if failure else []))
    class_verifier = class_verification.user if class_verification else None

    if locked.status == "collected":
        _receive(actor=actor, product=locked, location=location, note="Received when processing was recorded.")
    if existing is None:
        record = ProcessingRecord.objects.create(site=actor.site, product=locked, technician=actor.user, **values)
        before: dict[str, Any] = {}
    else:
        record = existing
        before = {k: getattr(record, k) for k in PROCESSING_FIELDS}
        for key, value in values.items():
            setattr(record, key, value)
        record.technician = actor.user
        record.version += 1
        record.save()
    product_before = {
        "regulatory_class": locked.regulatory_class,
        "approval_reference": locked.approval_reference,
        "class_justification": locked.class_justification,
        "class_verified_by": locked.class_verified_by.username if locked.class_verified_by else None,
    }
    locked.regulatory_class = new_class
    locked.approval_reference = reference
    locked.class_justification = class_justification.strip() if against else ""
    locked.class_verified_by = class_verifier
    status_before = locked.status
    locked.status = moved(locked.status, "process")
    _save_product(
        locked, ["regulatory_class", "approval_reference", "class_justification", "class_verified_by", "status"]
    )
    custody_append(
        actor=actor,
        product=locked,
        event="processed",
        location=location or LAB,
        note=f"Correction: {correction_reason.strip()}" if existing else METHODS[method],
    )
    after = {k: getattr(record, k) for k in PROCESSING_FIELDS}
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    product_after = {
        "regulatory_class": locked.regulatory_class,
        "approval_reference": locked.approval_reference,
        "class_justification": locked.class_justification,
        "class_verified_by": class_verifier.username if class_verifier else None,
    }
    changes |= {k: [product_before[k], v] for k, v in product_after.items() if product_before[k] != v}
    if status_before != "processed":
        changes["status"] = [status_before, "processed"]
    audit_record(
        actor=actor,
        action="product.processing",
        object_type="cell_product",
        object_id=locked.pk,
        changes=changes,
        reason="; ".join(r for r in (correction_reason.strip(), locked.class_justification) if r),
        patient_id=locked.patient_id,
        episode_id=locked.episode_id,
    )
    return record


def _class_change_refusals(
    *, actor: Actor, suggested: str, chosen: str, justification: str, username: str, password: str, otp_code: str
) -> tuple[Verification | None, list[str]]:
    """The verifier of a class chosen against the site's policy, or why the choice cannot stand."""
    rule = (
        f"Regulatory class rule: the site's policy classes this method as "
        f"'{REGULATORY_CLASSES[suggested]}', which needs an approval reference; recording it as "
        f"'{REGULATORY_CLASSES[chosen]}' instead"
    )
    reasons: list[str] = []
    if len(justification.strip()) < 20:
        reasons.append(f"{rule} needs a written justification (at least 20 characters).")
    if not username.strip():
        reasons.append(f"{rule} needs a second person to verify it: give their username and password.")
        return None, reasons
    verification, verifier_reasons = _verifier(actor=actor, username=username, password=password, otp_code=otp_code)
    # The release's verifier check, in the words of a class decision.
    words = {"releases the product": "records the class", "product releases": "a regulatory class"}
    for release_words, class_words in words.items():
        verifier_reasons = [r.replace(release_words, class_words) for r in verifier_reasons]
    return verification, reasons + verifier_reasons


# --- release -----------------------------------------------------------------------------------------


def release_measures(product: CellProduct, now: datetime) -> dict[str, Any]:
    """The values the protocol's release criteria are evaluated over."""
    measures: dict[str, Any] = {HOURS_SINCE_HARVEST: round(hours_between(product.collected_at, now), 2)}
    record = ProcessingRecord.objects.filter(product=product).first()
    if record is not None:
        measures |= {
            "viability_percent": float(record.viability_percent),
            "total_nucleated_cells": record.total_nucleated_cells,
            "output_volume_ml": float(record.output_volume_ml),
            "sterility_sample_taken": record.sterility_sample_taken,
        }
        measures |= {f"marker:{k}": v for k, v in record.markers.items()}
    return measures


def _verifier(*, actor: Actor, username: str, password: str, otp_code: str) -> tuple[Verification | None, list[str]]:
    """The second person's verification, or the reasons there is none: one generic reason whatever was wrong
    with the verifier's credentials (A7), so that the answer never confirms a password."""
    if not username.strip():
        return None, ["A second person must verify the release: give the verifier's username and password."]
    if username.strip() == actor.user.username:
        return None, ["The verifier must be a second person, not the one who releases the product."]
    verification = verifier_confirm(
        actor=actor, username=username, password=password, otp_code=otp_code, permission=Permission.PRODUCT_VERIFY
    )
    return verification, [VERIFIER_REFUSED] if verification.failure else []


@product_refusals_audited("episode.release")
def product_release(
    *,
    actor: Actor,
    product: CellProduct | Any,
    verifier_username: str,
    verifier_password: str,
    exceptional_justification: str = "",
    location: str = LAB,
    password: str = "",
    otp_code: str = "",
    verifier_otp_code: str = "",
) -> CellProduct:
    """Release a processed product when the protocol's criteria are met and a second person verifies.

    A failed criterion refuses the release with its reason. Exceptional release: for an autologous product
    (irreplaceable), a physician as the verifier with a documented justification may release despite
    failed criteria; the release is flagged on the product, its label and the audit trail. Expiry, status,
    the regulatory approval and the episode's stage are never overridden.

    Both sign: the technician with their `password` (and `otp_code`, if enrolled), the verifier with theirs
    (`verifier_password`, `verifier_otp_code`), all given now. A released product is locked.
    """
    actor.require(Permission.PRODUCT_RELEASE)
    reauthenticate(user=actor.user, password=password, otp_code=otp_code)
    pre = product_find(actor=actor, product=product)
    episode = episode_lock(actor=actor, episode=pre.episode_id)  # lock order: episode, then product
    locked = product_lock(actor=actor, product=pre)
    now = timezone.now()
    reasons: list[str] = []
    if locked.status != "processed":
        if locked.status in ("collected", "received"):
            reasons.append("The product has no processing record yet; record processing before release.")
        else:
            reasons.append(f"The product is already {locked.get_status_display()}.")
    if locked.cycle != episode.cycle:
        reasons.append("The product belongs to an earlier treatment cycle of this episode.")
    if now >= locked.expires_at:
        reasons.append(f"The product expired at {shown_time(locked.expires_at, actor.site)}; it cannot be released.")
    reasons += approval_refusals(
        regulatory_class=locked.regulatory_class,
        approval_reference=locked.approval_reference,
        needing_approval=product_policy(actor.site),
    )
    processing = ProcessingRecord.objects.filter(product=locked).first()
    if processing is not None:
        reasons += _order(RELEASE_AFTER_PROCESSING, processing.ended_at, now, actor.site)
    results = evaluate_release(episode.protocol.definition.release_criteria, release_measures(locked, now))
    failed = release_refusals(results)
    verification, verifier_reasons = _verifier(
        actor=actor, username=verifier_username, password=verifier_password, otp_code=verifier_otp_code
    )
    verifier = verification.user if verification else None
    verifier_role = verification.role if verification else ""
    justification = exceptional_justification.strip()
    exceptional = bool(failed) and bool(justification)
    if failed and not justification:
        reasons += failed
    elif exceptional:
        if not locked.autologous:
            reasons += failed
            reasons.append("Exceptional release is only for autologous products, which cannot be replaced.")
        if verifier is not None and verifier_role != Role.PHYSICIAN:
            reasons.append("An exceptional release needs a physician as the verifier, with the justification.")
        if len(justification) < 20:
            reasons.append("Document the justification for an exceptional release (at least 20 characters).")
    reasons += verifier_reasons
    reasons += step_refusals(actor=actor, episode=episode, action="release")
    if reasons:
        failure = verification.failure if verification else None
        raise with_failures(GuardRefused(reasons), *([failure] if failure else []))
    assert verifier is not None

    ReleaseDecision.objects.create(
        site=actor.site,
        product=locked,
        released_by=actor.user,
        released_by_label=actor.label,
        verified_by=verifier,
        verified_by_label=verifier.get_full_name() or verifier.username,
        verified_by_role=verifier_role,
        released_at=now,
        expires_at=locked.expires_at,
        criteria=[r.as_dict() for r in results],
        exceptional=exceptional,
        justification=justification if exceptional else "",
    )
    locked.status = moved(locked.status, "release")
    locked.released_at = now
    locked.exceptional_release = exceptional
    _save_product(locked, ["status", "released_at", "exceptional_release"])
    note = "EXCEPTIONAL RELEASE: " + "; ".join(failed) if exceptional else ""
    custody_append(actor=actor, product=locked, event="released", location=location or LAB, note=note, at=now)
    signature_write(actor=actor, record=locked, meaning=PRODUCT_RELEASE, signer=actor.user, signer_role=actor.role)
    signature_write(
        actor=actor, record=locked, meaning=RELEASE_VERIFICATION, signer=verifier, signer_role=verifier_role
    )
    audit_record(
        actor=actor,
        action="product.exceptional_release" if exceptional else "product.release",
        object_type="cell_product",
        object_id=locked.pk,
        changes={
            "status": ["processed", "released"],
            "expires_at": [None, locked.expires_at],
            "verified_by": [None, verifier.username],
            "criteria_failed": [None, failed],
            "exceptional": [False, exceptional],
        },
        reason=justification if exceptional else "",
        patient_id=locked.patient_id,
        episode_id=locked.episode_id,
    )
    episode_move(
        actor=actor,
        episode=episode,
        action="release",
        details={"product": [None, locked.code]} | ({"exceptional_release": [False, True]} if exceptional else {}),
    )
    return locked


# --- administration (called by the injection) ---------------------------------------------------------


def product_administration_refusals(*, product: CellProduct, episode: Episode, now: datetime) -> list[str]:
    """Why this product must not be given in this episode now ([] when it may)."""
    reasons: list[str] = []
    if product.patient_id != episode.patient_id:
        who = "this patient" if product.autologous else "the intended recipient"
        reasons.append(f"Product {product.code} was collected for another patient, not {who}: do not give it.")
    elif product.episode_id != episode.pk or product.cycle != episode.cycle:
        reasons.append(f"Product {product.code} belongs to another episode or treatment cycle of this patient.")
    if product.status == "administered":
        when = shown_time(product.administered_at, product.site) if product.administered_at else "earlier"
        reasons.append(f"Product {product.code} was already administered ({when}); a product is used once.")
    elif product.status == "discarded":
        reasons.append(f"Product {product.code} was discarded.")
    elif product.status != "released":
        reasons.append(f"Product {product.code} has not been released by the lab.")
    if product.status == "released" and product.released_at is not None:
        reasons += _order(INJECTION_AFTER_RELEASE, product.released_at, now, product.site)
    if product.status != "administered" and now >= product.expires_at:
        reasons.append(f"Product {product.code} expired at {shown_time(product.expires_at, product.site)}.")
    return reasons


def product_administer(
    *,
    actor: Actor,
    product: CellProduct,
    injection_id: Any,
    at: datetime,
    location: str = PROCEDURE_ROOM,
    details: str = "",
) -> CellProduct:
    """Mark a locked, verified product as given: custody 'dispensed' then 'administered', status, audit.

    `details` (joint, side, volume, guidance, anaesthetic) goes into the custody note, the product's history.
    """
    custody_append(actor=actor, product=product, event="dispensed", location=location, at=at)
    note = f"Injection {injection_id}" + (f": {details}" if details else "")
    custody_append(actor=actor, product=product, event="administered", location=location, at=at, note=note)
    product.status = moved(product.status, "administer")
    product.administered_at = at
    _save_product(product, ["status", "administered_at"])
    audit_record(
        actor=actor,
        action="product.administer",
        object_type="cell_product",
        object_id=product.pk,
        changes={"status": ["released", "administered"], "injection": [None, str(injection_id)]},
        patient_id=product.patient_id,
        episode_id=product.episode_id,
    )
    return product


# --- discard -----------------------------------------------------------------------------------------


@product_refusals_audited("product.discard")
def product_discard(*, actor: Actor, product: CellProduct | Any, reason: str, location: str = LAB) -> CellProduct:
    """Discard a product that will not be given (expired, failed release, episode withdrawn), with a reason."""
    actor.require(Permission.PRODUCT_PROCESS)
    if not reason.strip():
        raise InvalidInput([("reason", "say why the product is discarded")])
    locked = product_lock(actor=actor, product=product)
    refusal = step_refusal("discard", locked.status)
    if refusal:
        raise GuardRefused([refusal])
    before = locked.status
    locked.status = moved(locked.status, "discard")
    _save_product(locked, ["status"])
    custody_append(actor=actor, product=locked, event="discarded", location=location or LAB, note=reason.strip())
    audit_record(
        actor=actor,
        action="product.discard",
        object_type="cell_product",
        object_id=locked.pk,
        changes={"status": [before, "discarded"]},
        reason=reason.strip(),
        patient_id=locked.patient_id,
        episode_id=locked.episode_id,
    )
    return locked


# --- donors and site policy --------------------------------------------------------------------------

ELIGIBILITIES = ("eligible", "ineligible", "pending")


@transaction.atomic
def donor_register(*, actor: Actor, code: str, eligibility: str, eligibility_basis: str) -> Donor:
    """Record an allogeneic donor and the documented eligibility determination (screening and testing)."""
    actor.require(Permission.HARVEST_RECORD)
    errors: list[tuple[str, str]] = []
    if not code.strip():
        errors.append(("code", "give the donor's identifier"))
    if eligibility not in ELIGIBILITIES:
        errors.append(("eligibility", f"must be one of {', '.join(ELIGIBILITIES)}"))
    if not eligibility_basis.strip():
        errors.append(("eligibility_basis", "document the screening and tests the determination rests on"))
    if errors:
        raise InvalidInput(errors)
    if Donor.objects.filter(site=actor.site, code=code.strip()).exists():
        raise GuardRefused([f"Donor {code.strip()} is already recorded at this site."])
    donor = Donor.objects.create(
        site=actor.site,
        code=code.strip(),
        eligibility=eligibility,
        eligibility_basis=eligibility_basis.strip(),
        determined_by=actor.user,
        determined_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="donor.register",
        object_type="donor",
        object_id=donor.pk,
        changes={"code": [None, donor.code], "eligibility": [None, eligibility]},
        reason=donor.eligibility_basis,
    )
    return donor


@transaction.atomic
def donor_eligibility_record(*, actor: Actor, donor: Donor | Any, eligibility: str, eligibility_basis: str) -> Donor:
    """A new eligibility determination for a donor (e.g. test results came back); the earlier one is audited."""
    actor.require(Permission.HARVEST_RECORD)
    if eligibility not in ELIGIBILITIES:
        raise InvalidInput([("eligibility", f"must be one of {', '.join(ELIGIBILITIES)}")])
    if not eligibility_basis.strip():
        raise InvalidInput([("eligibility_basis", "document the screening and tests the determination rests on")])
    pk = donor.pk if isinstance(donor, Donor) else donor
    try:
        locked = Donor.objects.select_for_update().get(pk=pk, site=actor.site)
    except (Donor.DoesNotExist, ValueError) as exc:
        raise NotFound("donor") from exc
    before = locked.eligibility
    locked.eligibility = eligibility
    locked.eligibility_basis = eligibility_basis.strip()
    locked.determined_by = actor.user
    locked.determined_at = timezone.now()
    locked.version += 1
    locked.save()
    audit_record(
        actor=actor,
        action="donor.eligibility",
        object_type="donor",
        object_id=locked.pk,
        changes={"eligibility": [before, eligibility]},
        reason=locked.eligibility_basis,
    )
    return locked


@transaction.atomic
def product_policy_set(*, actor: Actor, classes_needing_approval: list[str]) -> SiteProductPolicy:
    """Set which regulatory classes need an approval reference at the actor's site (site admins)."""
    actor.require(Permission.USER_MANAGE)
    unknown = sorted(set(classes_needing_approval) - set(REGULATORY_CLASSES))
    if unknown:
        raise InvalidInput([("classes_needing_approval", f"unknown class(es): {', '.join(unknown)}")])
    before = list(product_policy(actor.site))
    policy, _ = SiteProductPolicy.objects.get_or_create(site=actor.site)
    policy.classes_needing_approval = sorted(set(classes_needing_approval))
    policy.save()
    audit_record(
        actor=actor,
        action="site.product_policy",
        object_type="site",
        object_id=actor.site.pk,
        changes={"classes_needing_approval": [before, policy.classes_needing_approval]},
    )
    return policy
