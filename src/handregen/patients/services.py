"""Registering and amending patients."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record, changes_between
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.input_rules import control_character_problem
from handregen.patients.models import HAND_CHOICES, PATIENT_LANGUAGES, SEX_CHOICES, BreakGlassGrant, Patient
from handregen.patients.wristband import new_wristband_code
from handregen.versions import version_check

_SEXES = {v for v, _ in SEX_CHOICES}
_HANDS = {v for v, _ in HAND_CHOICES}
_LANGUAGES = {v for v, _ in PATIENT_LANGUAGES} | {""}
DEMOGRAPHIC_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "dominant_hand",
    "occupation",
    "phone",
    "email",
    "preferred_language",
    "postal_code",
)


def _validate(fields: dict[str, Any]) -> None:
    errors: list[tuple[str, str]] = []
    for name in ("mrn", "given_name", "family_name"):
        if name in fields and not str(fields[name]).strip():
            errors.append((name, "must not be empty"))
    if "sex" in fields and fields["sex"] not in _SEXES:
        errors.append(("sex", f"must be one of {', '.join(sorted(_SEXES))}"))
    if "dominant_hand" in fields and fields["dominant_hand"] not in _HANDS:
        errors.append(("dominant_hand", f"must be one of {', '.join(sorted(_HANDS))}"))
    for name, value in fields.items():
        problem = control_character_problem(value) if isinstance(value, str) else None
        if problem:
            errors.append((name, problem))
    if fields.get("email"):
        try:
            validate_email(fields["email"])
        except ValidationError:
            errors.append(("email", "is not an e-mail address (name@example.org)"))
    if "preferred_language" in fields and fields["preferred_language"] not in _LANGUAGES:
        errors.append(("preferred_language", f"must be one of {', '.join(sorted(_LANGUAGES - {''}))} or empty"))
    birth = fields.get("birth_date")
    if isinstance(birth, date):
        today = timezone.localdate()
        if birth > today:
            errors.append(("birth_date", "is in the future"))
        elif birth.year < today.year - 125:
            errors.append(("birth_date", "is more than 125 years ago"))
    if errors:
        raise InvalidInput(errors)


@transaction.atomic
def patient_register(
    *,
    actor: Actor,
    mrn: str,
    given_name: str,
    family_name: str,
    birth_date: date,
    sex: str,
    dominant_hand: str,
    occupation: str = "",
    phone: str = "",
    email: str = "",
    postal_code: str = "",
    preferred_language: str = "",
    is_synthetic: bool = False,
) -> Patient:
    """Register a patient at the actor's site; an MRN already used there is refused."""
    actor.require(Permission.PATIENT_REGISTER)
    fields = {
        "mrn": mrn.strip(),
        "given_name": given_name.strip(),
        "family_name": family_name.strip(),
        "birth_date": birth_date,
        "sex": sex,
        "dominant_hand": dominant_hand,
        "occupation": occupation.strip(),
        "phone": phone.strip(),
        "email": email.strip(),
        "postal_code": postal_code.strip(),
        "preferred_language": preferred_language,
    }
    _validate(fields)
    if Patient.objects.filter(site=actor.site, mrn=fields["mrn"]).exists():
        raise GuardRefused([f"MRN {fields['mrn']} is already used by another patient at this site."])
    patient = Patient(site=actor.site, wristband_code=new_wristband_code(), is_synthetic=is_synthetic, **fields)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # a concurrent registration won the race for the same MRN
        raise GuardRefused([f"MRN {fields['mrn']} is already used by another patient at this site."]) from exc
    audit_record(
        actor=actor,
        action="patient.register",
        object_type="patient",
        object_id=patient.pk,
        changes={k: [None, v] for k, v in fields.items()} | {"wristband_code": [None, patient.wristband_code]},
        patient_id=patient.pk,
    )
    return patient


@transaction.atomic
def patient_amend(
    *, actor: Actor, patient: Patient, changes: dict[str, Any], reason: str, expected_version: int | None = None
) -> Patient:
    """Correct demographic fields with a reason; the previous values stay in the audit trail."""
    actor.require(Permission.PATIENT_REGISTER)
    unknown = sorted(set(changes) - set(DEMOGRAPHIC_FIELDS))
    if unknown:
        raise InvalidInput([(name, "cannot be changed here") for name in unknown])
    if not reason.strip():
        raise InvalidInput([("reason", "a correction needs a reason")])
    _validate(changes)
    locked = Patient.objects.select_for_update().get(pk=patient.pk, site=actor.site)
    version_check(
        what="patient's record",
        version=locked.version,
        expected_version=expected_version,
        current={k: getattr(locked, k) for k in DEMOGRAPHIC_FIELDS},
    )
    before = {k: getattr(locked, k) for k in changes}
    if "mrn" in changes and Patient.objects.filter(site=actor.site, mrn=changes["mrn"]).exclude(pk=locked.pk).exists():
        raise GuardRefused([f"MRN {changes['mrn']} is already used by another patient at this site."])
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.version += 1
    locked.save()
    audit_record(
        actor=actor,
        action="patient.amend",
        object_type="patient",
        object_id=locked.pk,
        changes=changes_between(before, changes),
        reason=reason,
        patient_id=locked.pk,
    )
    return locked


BREAK_GLASS_MAX_MINUTES = 60
BREAK_GLASS_MIN_REASON = 10  # characters: enough for "unconscious in ED" and not for "x"


@transaction.atomic
def break_glass_open(
    *, actor: Actor, patient_id: uuid.UUID | str, reason: str, minutes: int = BREAK_GLASS_MAX_MINUTES
) -> BreakGlassGrant:
    """Emergency read access to one patient of another site, for `minutes` (at most 60), with a reason.

    The grant and a flagged audit event go on the patient's site chain, so that site sees who opened its
    patient's record and why (its break-glass report). The grant lets the actor read, never write.
    """
    actor.require(Permission.BREAK_GLASS)
    errors: list[tuple[str, str]] = []
    why = reason.strip()
    if len(why) < BREAK_GLASS_MIN_REASON:
        errors.append(("reason", f"say why you need this record now (at least {BREAK_GLASS_MIN_REASON} characters)"))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= BREAK_GLASS_MAX_MINUTES:
        errors.append(("minutes", f"must be a whole number of minutes from 1 to {BREAK_GLASS_MAX_MINUTES}"))
    if errors:
        raise InvalidInput(errors)
    try:
        patient = Patient.objects.select_related("site").get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound("patient") from exc
    if patient.site_id == actor.site.pk:
        raise GuardRefused(["This patient is at your own site: open the record as usual, without emergency access."])
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        site=patient.site,
        patient=patient,
        user=actor.user,
        actor_site=actor.site,
        actor_role=actor.role,
        reason=why,
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    audit_record(
        actor=actor,
        action="break_glass.open",
        object_type="break_glass_grant",
        object_id=grant.pk,
        changes={
            "flagged": True,
            "from_site": [None, actor.site.code],
            "expires_at": [None, grant.expires_at],
        },
        reason=why,
        patient_id=patient.pk,
        site=patient.site,
    )
    return grant
