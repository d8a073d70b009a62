"""The harvest (which creates the cell product) and the injection after bedside verification.

Both are pathway steps: lock the episode, gather every guard's reason, write, then `episode_move`. A refused
step is rolled back and audited (`refusals_audited`): nothing is recorded but the refusal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.cellproducts import services as products
from handregen.cellproducts.identifiers import ProductCodeError, parse_scanned_code
from handregen.cellproducts.models import CellProduct, Donor, ProcessingRecord
from handregen.cellproducts.regulatory import (
    ANAESTHESIA,
    HARVEST_SITES,
    ORIGINS,
    SOURCES,
    approval_refusals,
    default_regulatory_class,
)
from handregen.consent.selectors import consent_refusals, current_consent, signature_of
from handregen.errors import GuardRefused, InvalidInput
from handregen.pathway.models import Episode
from handregen.pathway.services import JOINTS, episode_lock, episode_move, refusals_audited, step_refusals
from handregen.patients.wristband import WristbandCodeError, parse_wristband_code
from handregen.preparation.selectors import preparation_refusals
from handregen.procedures.models import GUIDANCE, Harvest, Injection
from handregen.procedures.selectors import ml_text
from handregen.timeorder import HARVEST_AFTER_CONSENT, future_message, in_future, order_refusal

MAX_HARVEST_ML = Decimal(1000)
MAX_INJECTION_ML = Decimal(20)
_GUIDANCE = {v for v, _ in GUIDANCE}


def _volume(value: Any, field: str, limit: Decimal, errors: list[tuple[str, str]]) -> Decimal | None:
    try:
        volume = Decimal(str(value))
    except ArithmeticError:
        volume = Decimal("NaN")
    if isinstance(value, bool) or not volume.is_finite():
        errors.append((field, "must be a number of mL"))
        return None
    if not Decimal(0) < volume <= limit:
        errors.append((field, f"must be more than 0 and at most {limit} mL"))
        return None
    return volume


# --- harvest -----------------------------------------------------------------------------------------


def _harvest_errors(
    *,
    source: str,
    origin: str,
    donor: Any,
    harvest_site: str,
    anaesthesia: str,
    started: datetime,
    ended: datetime,
    now: datetime,
    errors: list[tuple[str, str]],
) -> None:
    if source not in SOURCES:
        errors.append(("source", f"must be one of {', '.join(SOURCES)}"))
    if origin not in ORIGINS:
        errors.append(("origin", f"must be one of {', '.join(ORIGINS)}"))
    elif origin == "allogeneic" and donor is None:
        errors.append(("donor_id", "an allogeneic harvest needs the donor"))
    elif origin == "autologous" and donor is not None:
        errors.append(("donor_id", "an autologous harvest has no separate donor"))
    if source in SOURCES and harvest_site not in HARVEST_SITES[source]:
        sites = ", ".join(HARVEST_SITES[source])
        errors.append(("harvest_site", f"{SOURCES[source].lower()} is harvested from: {sites}"))
    if anaesthesia not in ANAESTHESIA:
        errors.append(("anaesthesia", f"must be one of {', '.join(ANAESTHESIA)}"))
    if started > ended:
        errors.append(("started_at", "is after the end of the harvest"))
    if in_future(ended, now):
        errors.append(("ended_at", future_message("the end of the harvest")))


def _donor_refusals(*, actor: Actor, donor: Donor | Any) -> tuple[Donor | None, list[str]]:
    pk = donor.pk if isinstance(donor, Donor) else donor
    try:
        found = Donor.objects.filter(pk=pk, site=actor.site).first()
    except (ValueError, ValidationError):  # a malformed id is as unknown as a missing one
        found = None
    if found is None:
        return None, ["No such donor is recorded at this site."]
    if found.eligibility != "eligible":
        return found, [f"Donor {found.code} is not documented as eligible (eligibility: {found.eligibility})."]
    return found, []


def _harvest_after_consent(*, episode: Episode, started: datetime) -> None:
    """Refuse a harvest that started before the consent it relies on was signed (InvalidInput on started_at)."""
    consent = current_consent(episode=episode)
    signature = signature_of(consent) if consent is not None else None
    if consent is None:
        return  # consent_refusals already says that none is on file
    signed_at = signature.signed_at if signature is not None else consent.recorded_at
    refusal = order_refusal(
        HARVEST_AFTER_CONSENT,
        earlier_at=signed_at,
        later_at=started,
        shown=lambda moment: products.shown_time(moment, episode.site),
    )
    if refusal:
        raise InvalidInput([("started_at", refusal)])


@refusals_audited("harvest")
def harvest_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    source: str,
    origin: str,
    volume_ml: Any,
    harvest_site: str,
    donor: Donor | Any = None,
    anaesthesia: str = "local",
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    complications: str = "",
    approval_reference: str = "",
    location: str = products.PROCEDURE_ROOM,
) -> Harvest:
    """Record a harvest and create its cell product (new identifier, expiry, custody 'collected').

    Needs the episode prepared, a valid consent and a complete preparation; an allogeneic harvest needs an
    eligible donor. The operator is the actor. Times default to now (the end of the harvest starts the
    product's expiry clock).
    """
    actor.require(Permission.HARVEST_RECORD)
    now = timezone.now()
    started_at, ended_at = products.aware(started_at, actor.site), products.aware(ended_at, actor.site)
    ended = ended_at or now
    started = started_at or ended
    errors: list[tuple[str, str]] = []
    volume = _volume(volume_ml, "volume_ml", MAX_HARVEST_ML, errors)
    _harvest_errors(
        source=source,
        origin=origin,
        donor=donor,
        harvest_site=harvest_site,
        anaesthesia=anaesthesia,
        started=started,
        ended=ended,
        now=now,
        errors=errors,
    )
    if errors:
        raise InvalidInput(errors)
    assert volume is not None
    locked = episode_lock(actor=actor, episode=episode)
    reasons = step_refusals(actor=actor, episode=locked, action="harvest")
    if not reasons:  # the stage is right: now the records the step depends on
        reasons += consent_refusals(episode=locked)
        reasons += preparation_refusals(episode=locked)
    _harvest_after_consent(episode=locked, started=started)
    donor_row = None
    if origin == "allogeneic":
        donor_row, donor_reasons = _donor_refusals(actor=actor, donor=donor)
        reasons += donor_reasons
        reasons += approval_refusals(
            regulatory_class=default_regulatory_class(origin=origin, method=None),
            approval_reference=approval_reference,
            needing_approval=products.product_policy(actor.site),
        )
    if reasons:
        raise GuardRefused(reasons)

    product = products.product_collect(
        actor=actor,
        episode=locked,
        source=source,
        origin=origin,
        donor=donor_row,
        collected_at=ended,
        approval_reference=approval_reference,
        location=location,
    )
    harvest = Harvest.objects.create(
        site=actor.site,
        episode=locked,
        patient=locked.patient,
        cycle=locked.cycle,
        product=product,
        source=source,
        origin=origin,
        donor=donor_row,
        volume_ml=volume,
        harvest_site=harvest_site,
        anaesthesia=anaesthesia,
        operator=actor.user,
        started_at=started,
        ended_at=ended,
        complications=complications.strip(),
        consent=current_consent(episode=locked),
    )
    audit_record(
        actor=actor,
        action="harvest.record",
        object_type="harvest",
        object_id=harvest.pk,
        changes={
            "source": [None, source],
            "origin": [None, origin],
            "volume_ml": [None, volume],
            "harvest_site": [None, harvest_site],
            "anaesthesia": [None, anaesthesia],
            "started_at": [None, started],
            "ended_at": [None, ended],
            "complications": [None, harvest.complications],
            "product": [None, product.code],
        },
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    episode_move(actor=actor, episode=locked, action="harvest", details={"product": [None, product.code]})
    return harvest


# --- injection ---------------------------------------------------------------------------------------


def _injection_errors(
    *, joint: str, side: str, guidance: str, anaesthetic: str, volume_ml: Any
) -> tuple[str, Decimal | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    joint_code = str(joint).strip().upper()
    if joint_code not in JOINTS:
        errors.append(("joint", "unknown joint; use e.g. CMC1, PIP2, DIP3, RADIOCARPAL"))
    if side not in ("left", "right"):
        errors.append(("side", "must be left or right"))
    if guidance not in _GUIDANCE:
        errors.append(("guidance", f"must be one of {', '.join(sorted(_GUIDANCE))}"))
    if not anaesthetic.strip():
        errors.append(("anaesthetic", "name the local anaesthetic and dose, or 'none'"))
    volume = _volume(volume_ml, "volume_ml", MAX_INJECTION_ML, errors)
    return joint_code, volume, errors


def _scanned_product(*, actor: Actor, product_code: str) -> tuple[CellProduct | None, list[str]]:
    """The product the scanned code names, locked, or why the scan is refused."""
    shown = product_code.strip()[:40]
    try:
        code = parse_scanned_code(product_code)
    except ProductCodeError as exc:
        return None, [f"Product code {shown!r} was not accepted: {exc}."]
    product = CellProduct.objects.select_for_update().filter(site=actor.site, din=code.din).first()
    if product is None:
        return None, [f"No product {code.scanned} is known at this site."]
    return product, []


def _scanned_wristband(*, episode: Episode, wristband_code: str) -> list[str]:
    shown = wristband_code.strip()[:40]
    try:
        band = parse_wristband_code(wristband_code)
    except WristbandCodeError as exc:
        return [f"Wristband code {shown!r} was not accepted: {exc}."]
    if band != episode.patient.wristband_code:
        return [
            f"The wristband scanned ({band}) is not the wristband of {episode.patient.display_name} "
            f"(MRN {episode.patient.mrn}), the patient of this episode."
        ]
    return []


def _volume_refusals(*, product: CellProduct, episode: Episode, joint: str, volume: Decimal) -> list[str]:
    """The product's numbers agree: no more than the product still holds, no more than the protocol allows."""
    reasons: list[str] = []
    processing = ProcessingRecord.objects.filter(product=product).first()
    if processing is not None:
        given = Injection.objects.filter(product=product).aggregate(total=Sum("volume_ml"))["total"] or Decimal(0)
        left = processing.output_volume_ml - given
        if volume > left:
            processed = ml_text(processing.output_volume_ml)
            reasons.append(
                f"Volume rule 'no more than the product holds': {ml_text(volume)} mL is more than product "
                f"{product.code} holds ({processed} mL processed, {ml_text(given)} mL given earlier, "
                f"{ml_text(left)} mL left). Check the volume drawn up and enter what was given."
            )
    if joint not in episode.target_joints:
        return reasons  # the joint is refused already; its limit would say nothing more
    limit = Decimal(str(episode.protocol.definition.max_injection_ml(joint)))
    if volume > limit:
        reasons.append(
            f"Volume rule 'protocol maximum per joint': the protocol allows at most {ml_text(limit)} mL into {joint}, "
            f"not {ml_text(volume)} mL. Give no more than {ml_text(limit)} mL."
        )
    return reasons


@refusals_audited("injection")
def injection_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    product_code: str,
    wristband_code: str,
    joint: str,
    side: str,
    guidance: str,
    anaesthetic: str,
    volume_ml: Any,
    location: str = products.PROCEDURE_ROOM,
) -> Injection:
    """Verify at the bedside and record the injection, all in one transaction.

    The scanned product code (check character verified) must name a released, unexpired product of this
    episode's patient (autologous) or intended recipient (allogeneic) that was never given; the scanned
    wristband must be this patient's; consent must still be valid and preparation complete; joint and side
    must be the episode's. The episode and then the product are locked, so of concurrent attempts with the
    same product exactly one succeeds; a unique constraint (one injection per product) backs this up.
    """
    actor.require(Permission.INJECTION_RECORD)
    joint_code, volume, errors = _injection_errors(
        joint=joint, side=side, guidance=guidance, anaesthetic=anaesthetic, volume_ml=volume_ml
    )
    if errors:
        raise InvalidInput(errors)
    assert volume is not None
    locked = episode_lock(actor=actor, episode=episode)  # lock order: episode, then product
    now = timezone.now()
    reasons = step_refusals(actor=actor, episode=locked, action="injection")
    product, product_reasons = _scanned_product(actor=actor, product_code=product_code)
    reasons += product_reasons
    reasons += _scanned_wristband(episode=locked, wristband_code=wristband_code)
    if product is not None:
        reasons += products.product_administration_refusals(product=product, episode=locked, now=now)
    if joint_code not in locked.target_joints:
        reasons.append(f"{joint_code} is not a target joint of this episode ({', '.join(locked.target_joints)}).")
    if side != locked.side:
        reasons.append(f"This episode treats the {locked.side} hand, not the {side}.")
    reasons += consent_refusals(episode=locked)
    reasons += preparation_refusals(episode=locked)
    if product is not None:
        reasons += _volume_refusals(product=product, episode=locked, joint=joint_code, volume=volume)
    if reasons:
        raise GuardRefused(dict.fromkeys(reasons))  # each reason once, in order
    assert product is not None

    injection = Injection(
        site=actor.site,
        episode=locked,
        patient=locked.patient,
        cycle=locked.cycle,
        product=product,
        joint=joint_code,
        side=side,
        guidance=guidance,
        anaesthetic=anaesthetic.strip(),
        volume_ml=volume,
        operator=actor.user,
        performed_at=now,
        scanned_product_code=product_code.strip()[:40],
        scanned_wristband_code=wristband_code.strip()[:40],
        consent=current_consent(episode=locked),
        verification={
            "product": product.code,
            "wristband": locked.patient.wristband_code,
            "same_patient": True,
            "released": True,
            "expires_at": product.expires_at.isoformat(),
            "consent_valid": True,
            "consent": str(current_consent(episode=locked).pk),  # type: ignore[union-attr]
            "preparation_complete": True,
        },
    )
    try:
        with transaction.atomic():
            injection.save()
    except IntegrityError as exc:  # the last line of defence; the locks above make it unreachable
        raise GuardRefused(
            [f"Product {product.code} was administered by another request at the same moment; a product is used once."]
        ) from exc
    details = (
        f"{joint_code}, {side} hand, {ml_text(volume)} mL, {injection.get_guidance_display().lower()} guidance, "
        f"anaesthetic: {injection.anaesthetic}"
    )
    products.product_administer(
        actor=actor, product=product, injection_id=injection.pk, at=now, location=location, details=details
    )
    audit_record(
        actor=actor,
        action="injection.record",
        object_type="injection",
        object_id=injection.pk,
        changes={
            "product": [None, product.code],
            "joint": [None, joint_code],
            "side": [None, side],
            "guidance": [None, guidance],
            "anaesthetic": [None, injection.anaesthetic],
            "volume_ml": [None, volume],
            "performed_at": [None, now],
            "consent": [None, str(injection.consent_id)],
        },
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    episode_move(actor=actor, episode=locked, action="injection", details={"product": [None, product.code]})
    return injection
