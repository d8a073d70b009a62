"""REST endpoints for consent: take it with an electronic signature, read it, print it, withdraw it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from handregen.accounts.actor import actor_of
from handregen.consent import selectors, services
from handregen.consent.models import Consent
from handregen.consent.pdf import consent_pdf
from handregen.errors import NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.pathway.api import EpisodeOut, episode_out
from handregen.signatures.api import SignIn, StaffSignatureOut, signatures_out

router = Router(tags=["episodes"])
documents = Router(tags=["consent"])


class ConsentIn(Schema):
    """The consent discussion and the patient's electronic signature."""

    document_version: str = Field(
        min_length=1,
        max_length=32,
        description="The consent document version shown and signed; it must be the protocol's current "
        "`consent_document_version` (an older one → 409 outdated).",
    )
    discussed: dict[str, bool] = Field(
        description="`{risks, benefits, alternatives, expectations}`: each must be true (one missing or false "
        "→ 409 naming it; an unknown topic → 422)."
    )
    signer_name: str = Field(min_length=1, max_length=200, description="The signer's printed name")
    # The meanings a consent signature may carry (consent.services.SIGNATURE_MEANINGS), as an enumeration.
    signature_meaning: Literal["consent to harvest and injection"] = Field(
        "consent to harvest and injection", description="What the signature means"
    )
    expectation_shown: dict[str, Any] | None = Field(
        None, description="The figure about similar past patients shown during the discussion, stored as shown"
    )
    discussion_notes: str = Field("", max_length=4000)
    password: str = Field(
        "",
        max_length=200,
        description="The physician's own password: they witness the patient's signature "
        "with a signature of their own (missing or wrong → 422 naming `password`)",
    )
    otp_code: str = Field("", max_length=12, description="A current authenticator code, when the physician has one")
    reconsent_kind: Literal["", "new_document_version", "material_change"] = Field(
        "", description="Needed while a consent is active: why consent is taken again (else 409)"
    )
    reconsent_reason: str = Field("", max_length=2000, description="What changed, for a re-consent")


class AmendConsentIn(Schema):
    discussion_notes: str = Field(max_length=4000)
    reason: str = Field(min_length=1, max_length=2000)
    expected_version: int | None = Field(None, ge=1, description="The version you edited; a newer one → 409")


class ConsentOut(Schema):
    id: uuid.UUID
    status: str
    document_version: str
    document_sha256: str
    discussed: dict[str, bool]
    expectation_shown: dict[str, Any] | None
    recorded_at: datetime
    signer_name: str | None
    signature_meaning: str | None
    signed_at: datetime | None
    signature_digest: str | None
    signature_valid: bool
    withdrawn_at: datetime | None
    withdrawn_reason: str
    version: int
    staff_signatures: list[StaffSignatureOut]
    pdf_url: str


class ConsentState(Schema):
    consent: ConsentOut | None
    valid: bool
    refusals: list[str] = Field(
        description="Why the consent does not allow harvest or injection now (empty if it does)"
    )
    required_document_version: str


class EpisodeAfterConsent(EpisodeOut):
    consent: ConsentOut


class WithdrawConsentIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, description="How and why the patient withdrew consent")


class DocumentOut(Schema):
    version: str
    title: str
    text: str
    sha256: str


def consent_out(consent: Consent) -> dict[str, Any]:
    signature = selectors.signature_of(consent)
    return {
        "id": consent.pk,
        "status": consent.status,
        "document_version": consent.document.version,
        "document_sha256": consent.document.sha256,
        "discussed": consent.discussed,
        "expectation_shown": consent.expectation_shown,
        "recorded_at": consent.recorded_at,
        "signer_name": signature.signer_name if signature else None,
        "signature_meaning": signature.meaning if signature else None,
        "signed_at": signature.signed_at if signature else None,
        "signature_digest": signature.digest if signature else None,
        "signature_valid": bool(signature and signature.is_valid_for(consent)),
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_reason": consent.withdrawn_reason,
        "version": consent.version,
        "staff_signatures": signatures_out(consent),
        "pdf_url": f"/api/v1/episodes/{consent.episode_id}/consent/pdf",
    }


@router.post(
    "/{episode_id}/consent",
    response=EpisodeAfterConsent,
    summary="Record the consent discussion and the e-signature; stage 'consented'",
    description="At consented or later the new consent renews (supersedes) the active one without a stage change.",
)
def consent_create(request: HttpRequest, episode_id: uuid.UUID, payload: ConsentIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    consent = services.consent_record(
        actor=actor,
        episode=episode,
        document_version=payload.document_version,
        discussed=payload.discussed,
        signer_name=payload.signer_name,
        signature_meaning=payload.signature_meaning,
        expectation_shown=payload.expectation_shown,
        discussion_notes=payload.discussion_notes,
        password=payload.password,
        otp_code=payload.otp_code,
        reconsent_kind=payload.reconsent_kind,
        reconsent_reason=payload.reconsent_reason,
    )
    moved = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    return episode_out(request, moved) | {"consent": consent_out(consent)}


@router.get("/{episode_id}/consent", response=ConsentState, summary="The episode's consent and whether it is valid")
def consent_detail(request: HttpRequest, episode_id: uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    consent = selectors.consent_for_episode(actor=actor, episode=episode, channel="api")
    refusals = selectors.consent_refusals(episode=episode)
    return {
        "consent": consent_out(consent) if consent else None,
        "valid": not refusals,
        "refusals": refusals,
        "required_document_version": selectors.required_document_version(episode=episode),
    }


@router.post(
    "/{episode_id}/consent/withdraw",
    response=EpisodeAfterConsent,
    summary="Record that the patient withdrew consent (harvest and injection are blocked)",
)
def consent_withdraw(request: HttpRequest, episode_id: uuid.UUID, payload: WithdrawConsentIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    consent = services.consent_withdraw(actor=actor, episode=episode, reason=payload.reason)
    return episode_out(request, episode) | {"consent": consent_out(consent)}


@router.post(
    "/{episode_id}/consent/sign",
    response=ConsentOut,
    summary="The physician signs the active consent (again, after an unlock voided the earlier signature)",
)
def consent_sign(request: HttpRequest, episode_id: uuid.UUID, payload: SignIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    services.consent_countersign(actor=actor, episode=episode, password=payload.password, otp_code=payload.otp_code)
    consent = selectors.current_consent(episode=episode)
    assert consent is not None
    return consent_out(consent)


@router.post(
    "/{episode_id}/consent/amend",
    response=ConsentOut,
    summary="Correct the notes of the active consent's discussion (409 while it is locked)",
)
def consent_amend(request: HttpRequest, episode_id: uuid.UUID, payload: AmendConsentIn) -> dict[str, Any]:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    consent = selectors.current_consent(episode=episode)
    if consent is None:
        raise NotFound("consent")
    amended = services.consent_amend(
        actor=actor,
        consent=consent,
        discussion_notes=payload.discussion_notes,
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
    return consent_out(amended)


@router.get(
    "/{episode_id}/consent/pdf",
    response={200: None},
    summary="The signed consent as a printable PDF",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}, "description": "The PDF"}}},
)
def consent_pdf_download(request: HttpRequest, episode_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    episode = pathway_selectors.episode_get(actor=actor, episode_id=episode_id, channel="api")
    consent = selectors.consent_for_episode(actor=actor, episode=episode, channel="api")
    signature = selectors.signature_of(consent) if consent else None
    if consent is None or signature is None:
        raise NotFound("consent")
    response = HttpResponse(consent_pdf(consent=consent, signature=signature), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="consent-{consent.pk}.pdf"'
    return response


@documents.get("/{version}", response=DocumentOut, summary="A consent document version: its text and sha256")
def document_detail(request: HttpRequest, version: str) -> dict[str, Any]:
    actor_of(request)
    document = services.consent_document_ensure(version=version)
    if document is None:
        raise NotFound("consent document")
    return {"version": document.version, "title": document.title, "text": document.text, "sha256": document.sha256}
