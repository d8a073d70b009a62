"""Taking consent with an electronic signature (the `consent` step), renewing it, and withdrawing it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.reauth import reauthenticate
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.consent.documents import read_document
from handregen.consent.models import (
    DEFAULT_MEANING,
    DISCUSSION_TOPICS,
    RECONSENT_KINDS,
    Consent,
    ConsentDocument,
    Signature,
    content_digest,
    signed_content,
    text_sha256,
)
from handregen.consent.selectors import current_consent, required_document_version, signature_of
from handregen.consent.signing import CONSENT_WITNESS
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_lock, episode_move, refusals_audited, step_refusals
from handregen.pathway.stages import Stage
from handregen.signatures.models import StaffSignature
from handregen.signatures.services import lock_refusals, record_sign, signature_write

# The meanings a signature may carry; the signer affirms exactly this.
SIGNATURE_MEANINGS = (DEFAULT_MEANING,)
# Stages at which a consent already given may be renewed (a new document version, or after a withdrawal)
# without moving the episode: the new consent supersedes the old one.
RENEWAL_STAGES = frozenset({Stage.CONSENTED, Stage.PREPARED, Stage.HARVESTED, Stage.RELEASED, Stage.FOLLOW_UP})
TOPIC_WORDS = {
    "risks": "the risks",
    "benefits": "the possible benefits",
    "alternatives": "the alternatives",
    "expectations": "realistic expectations (what happened to similar patients)",
}


def consent_document_ensure(*, version: str) -> ConsentDocument | None:
    """The stored document of `version`, loading its template file the first time; None when there is none.

    Once loaded, a version's text never changes here: an edited template needs a new version.
    """
    existing = ConsentDocument.objects.filter(version=version).first()
    if existing is not None:
        return existing
    found = read_document(version)
    if found is None:
        return None
    with transaction.atomic():
        document = ConsentDocument.objects.create(
            version=found.version,
            title=found.title,
            text=found.text,
            sha256=text_sha256(found.text),
            source=found.source,
        )
        audit_record(
            actor=None,
            action="consent_document.load",
            object_type="consent_document",
            object_id=document.pk,
            changes={"version": [None, document.version], "sha256": [None, document.sha256]},
        )
    return document


def _normal(text: str) -> str:
    return " ".join(str(text or "").split())


@refusals_audited("consent")
def consent_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    document_version: str,
    discussed: Mapping[str, bool],
    signer_name: str,
    signature_meaning: str = DEFAULT_MEANING,
    expectation_shown: Mapping[str, Any] | None = None,
    discussion_notes: str = "",
    password: str = "",
    otp_code: str = "",
    reconsent_kind: str = "",
    reconsent_reason: str = "",
) -> Consent:
    """Record the consent discussion and the patient's electronic signature; the episode becomes `consented`.

    One active consent, changed only on purpose: while a consent is active, a new one is a re-consent and needs
    `reconsent_kind` (a new document version, or a material change) and `reconsent_reason`; the old one is
    superseded visibly. Harvests and injections keep the consent they relied on.

    Needs the document version the protocol requires now (an older one is refused as outdated), every topic
    of the discussion (risks, benefits, alternatives, expectations) recorded as discussed, the signer's printed
    name and the meaning they sign. At a later stage (consented and beyond) the new consent renews the old one,
    which becomes superseded; the stage does not change. `expectation_shown` stores the figure about similar
    past patients as it was shown, when there was one. The physician witnesses the patient's signature with a
    signature of their own, for which they give their `password` (and `otp_code`, if enrolled) now.
    """
    actor.require(Permission.CONSENT_RECORD)
    errors: list[tuple[str, str]] = []
    name = _normal(signer_name)
    if not name:
        errors.append(("signer_name", "the signer's printed name is needed"))
    meaning = _normal(signature_meaning).lower()
    if meaning not in SIGNATURE_MEANINGS:
        errors.append(("signature_meaning", f"must be {' or '.join(repr(m) for m in SIGNATURE_MEANINGS)}"))
    unknown = sorted(set(discussed) - set(DISCUSSION_TOPICS))
    errors += [(f"discussed.{topic}", "is not a topic of the consent discussion") for topic in unknown]
    errors += [(f"discussed.{t}", "answer true or false") for t, v in discussed.items() if not isinstance(v, bool)]
    if not str(document_version or "").strip():
        errors.append(("document_version", "name the consent document version signed"))
    if errors:
        raise InvalidInput(errors)
    reauthenticate(user=actor.user, password=password, otp_code=otp_code)

    locked = episode_lock(actor=actor, episode=episode)
    renewal = locked.stage in RENEWAL_STAGES
    reasons = [] if renewal else step_refusals(actor=actor, episode=locked, action="consent")
    required = required_document_version(episode=locked)
    if document_version != required:
        reasons.append(
            f"Consent document version {document_version} is outdated or unknown; the protocol requires "
            f"version {required}. Show the patient the current document."
        )
    for topic in DISCUSSION_TOPICS:
        if discussed.get(topic) is not True:
            reasons.append(f"The discussion of {TOPIC_WORDS[topic]} is not recorded as done.")
    document = consent_document_ensure(version=required)
    if document is None:
        reasons.append(f"Consent document version {required} is not installed; ask the site admin to add it.")
    elif not document.text_intact:
        reasons.append(f"The stored text of consent document {required} does not match its hash; it cannot be signed.")
    if reasons:
        raise GuardRefused(reasons)
    assert document is not None

    now = timezone.now()
    previous = current_consent(episode=locked)
    _reconsent_check(previous=previous, required=required, kind=reconsent_kind, reason=reconsent_reason)
    consent = Consent.objects.create(
        reconsent_kind=reconsent_kind if previous is not None else "",
        reconsent_reason=reconsent_reason.strip() if previous is not None else "",
        site=actor.site,
        episode=locked,
        patient=locked.patient,
        document=document,
        discussed_risks=True,
        discussed_benefits=True,
        discussed_alternatives=True,
        discussed_expectations=True,
        expectation_shown=dict(expectation_shown) if expectation_shown is not None else None,
        discussion_notes=str(discussion_notes or "").strip(),
        recorded_by=actor.user,
        recorded_at=now,
    )
    consent.refresh_from_db()  # the stored values (timestamps as the database keeps them) are what is signed
    signed_at_iso = consent.recorded_at.isoformat()
    content = signed_content(
        consent=consent,
        signer_name=name,
        meaning=meaning,
        signed_at_iso=signed_at_iso,
        document_version=document.version,
        document_sha256=document.sha256,
    )
    signature = Signature.objects.create(
        site=actor.site,
        consent=consent,
        signer_name=name,
        meaning=meaning,
        signed_at=consent.recorded_at,
        signed_at_iso=signed_at_iso,
        document_version=document.version,
        document_sha256=document.sha256,
        digest=content_digest(content),
        witnessed_by=actor.user,
    )
    audit_record(
        actor=actor,
        action="consent.record",
        object_type="consent",
        object_id=consent.pk,
        changes={
            "status": [None, "active"],
            "document_version": [None, document.version],
            "discussed": [None, consent.discussed],
            "expectation_shown": [None, consent.expectation_shown],
            "signer_name": [None, name],
            "signature_meaning": [None, meaning],
            "signed_at": [None, signed_at_iso],
            "signature_digest": [None, signature.digest],
        },
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    signature_write(actor=actor, record=consent, meaning=CONSENT_WITNESS, signer=actor.user, signer_role=actor.role)
    if previous is not None:
        _supersede(actor=actor, old=previous, new=consent)
    if renewal:
        return consent
    episode_move(
        actor=actor,
        episode=locked,
        action="consent",
        details={"consent": [None, str(consent.pk)], "document_version": [None, document.version]},
    )
    return consent


def _reconsent_check(*, previous: Consent | None, required: str, kind: str, reason: str) -> None:
    """Refuse a second active consent unless it is an explicit re-consent with its kind and reason."""
    if previous is None:
        return
    rule = "Consent rule 'one active consent, changed only on purpose'"
    kinds = dict(RECONSENT_KINDS)
    if kind not in kinds:
        raise GuardRefused(
            [
                f"{rule}: a consent is already on file (signed {previous.recorded_at:%d %b %Y}). To take it again, "
                "use Re-consent and say whether the document changed or the plan changed materially, and why; "
                "otherwise nothing needs to be signed."
            ]
        )
    if kind == "new_document_version" and previous.document.version == required:
        raise GuardRefused(
            [
                f"{rule}: the consent on file is already on document version {required}; a re-consent for a new "
                "document version needs a newer version. For new information, choose a material change."
            ]
        )
    if len(reason.strip()) < 10:
        raise InvalidInput([("reconsent_reason", "say what changed and why consent is taken again")])


def _supersede(*, actor: Actor, old: Consent, new: Consent) -> None:
    old.status = "superseded"
    old.superseded_at = new.recorded_at
    old.superseded_by = new
    old.version += 1
    old.save(update_fields=["status", "superseded_at", "superseded_by", "version"])
    audit_record(
        actor=actor,
        action="consent.supersede",
        object_type="consent",
        object_id=old.pk,
        changes={"status": ["active", "superseded"], "superseded_by": [None, str(new.pk)]},
        reason=new.reconsent_reason or f"Renewed on document version {new.document.version}",
        patient_id=old.patient_id,
        episode_id=old.episode_id,
    )


@refusals_audited("consent_withdraw")
def consent_withdraw(*, actor: Actor, episode: Episode | Any, reason: str) -> Consent:
    """Record that the patient withdrew consent; harvest and injection are blocked from then on.

    Any clinician who records consent or withdrawals may record it: a patient's withdrawal is never held up by
    a role. The episode keeps its stage (the patient may consent again, or the episode may be withdrawn).
    """
    if not (actor.can(Permission.CONSENT_RECORD) or actor.can(Permission.EPISODE_WITHDRAW)):
        raise Forbidden(f"The {actor.role.replace('_', ' ')} role may not record a withdrawal of consent.")
    if not str(reason or "").strip():
        raise InvalidInput([("reason", "say how and why the patient withdrew consent")])
    locked = episode_lock(actor=actor, episode=episode)
    consent = current_consent(episode=locked)
    if consent is None:
        raise GuardRefused(["There is no active consent to withdraw."])
    consent.status = "withdrawn"
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor.user
    consent.withdrawn_reason = str(reason).strip()
    consent.version += 1
    consent.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason", "version"])
    audit_record(
        actor=actor,
        action="consent.withdraw",
        object_type="consent",
        object_id=consent.pk,
        changes={"status": ["active", "withdrawn"], "withdrawn_at": [None, consent.withdrawn_at]},
        reason=consent.withdrawn_reason,
        patient_id=locked.patient_id,
        episode_id=locked.pk,
    )
    return consent


def consent_amend(
    *, actor: Actor, consent: Consent | Any, discussion_notes: str, reason: str, expected_version: int | None = None
) -> Consent:
    """Correct the notes of the consent discussion, with a reason. A signed consent is locked: it must be
    unlocked (with a reason, voiding its staff signatures) first, and the physician signs the new version again."""
    actor.require(Permission.CONSENT_RECORD)
    if not str(reason or "").strip():
        raise InvalidInput([("reason", "a correction needs a reason")])
    pk = consent.pk if isinstance(consent, Consent) else consent
    with transaction.atomic():
        try:
            found = Consent.objects.select_for_update().select_related("document").get(pk=pk, site=actor.site)
        except (Consent.DoesNotExist, ValueError) as exc:
            raise NotFound("consent") from exc
        reasons = lock_refusals(found)
        if expected_version is not None and found.version != expected_version:
            reasons.append(
                f"The consent changed since you opened it (version {found.version}, yours "
                f"{expected_version}); reload and apply your change again."
            )
        if found.status != "active":
            reasons.append(f"Only an active consent is corrected; this one is {found.status}.")
        if reasons:
            raise GuardRefused(reasons)
        before = found.discussion_notes
        found.discussion_notes = str(discussion_notes or "").strip()
        found.version += 1
        found.save(update_fields=["discussion_notes", "version"])
        audit_record(
            actor=actor,
            action="consent.amend",
            object_type="consent",
            object_id=found.pk,
            changes={
                "discussion_notes": [before, found.discussion_notes],
                "version": [found.version - 1, found.version],
            },
            reason=str(reason).strip(),
            patient_id=found.patient_id,
            episode_id=found.episode_id,
        )
    return found


def consent_countersign(*, actor: Actor, episode: Episode | Any, password: str, otp_code: str = "") -> StaffSignature:
    """The physician signs the episode's active consent (again, after an unlock voided the earlier signature)."""
    actor.require(Permission.CONSENT_RECORD)
    pk = episode.pk if isinstance(episode, Episode) else episode
    consent = Consent.objects.filter(episode_id=pk, site=actor.site, status="active").order_by("-recorded_at").first()
    if consent is None:
        raise GuardRefused(["There is no active consent to sign."])
    return record_sign(
        actor=actor,
        record_type="consent",
        record_id=consent.pk,
        meaning=CONSENT_WITNESS,
        password=password,
        otp_code=otp_code,
    )


def consent_verify(*, consent: Consent) -> bool:
    """True when the consent's signature recomputes over the consent as stored now."""
    signature = signature_of(consent)
    return signature is not None and signature.is_valid_for(consent)
