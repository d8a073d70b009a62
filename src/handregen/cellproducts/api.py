"""REST endpoints for cell products (processing, release, custody, labels), donors and wristbands."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from handregen.accounts.actor import actor_of
from handregen.api_inputs import MAX_OFFSET, IsoDateTime
from handregen.cellproducts import selectors, services
from handregen.cellproducts.models import CellProduct, Donor
from handregen.signatures import services as signature_services
from handregen.signatures.api import SignIn, StaffSignatureOut, signatures_out

products = Router(tags=["cell products"])
donors = Router(tags=["cell products"])
wristbands = Router(tags=["patients"])

Method = Literal["centrifugation_concentrate", "washed_lipoaspirate", "mechanical_microfragmentation", "enzymatic_svf"]
RegulatoryClass = Literal["same_procedure_autologous", "minimally_manipulated_homologous", "investigational"]
PDF_RESPONSE = {"responses": {200: {"description": "A PDF label", "content": {"application/pdf": {}}}}}


class CustodyOut(Schema):
    position: int
    event: str
    what: str
    at: datetime
    by: str
    role: str
    location: str
    note: str


class ProductOut(Schema):
    id: uuid.UUID
    code: str = Field(description="Identifier with its check character, as in the barcode")
    identifier: str = Field(description="The 13-character donation identification number")
    check_character: str
    eye_readable: str
    status: str
    episode_id: uuid.UUID
    patient_id: uuid.UUID
    cycle: int
    source: str
    origin: str
    donor_id: uuid.UUID | None
    description: str
    regulatory_class: str
    regulatory_class_label: str
    approval_reference: str
    collected_at: datetime
    expires_at: datetime
    expired: bool
    harvest: dict[str, Any] | None
    results: dict[str, Any]
    release: dict[str, Any] | None
    exceptional_release: bool
    administered_at: datetime | None
    custody: list[CustodyOut]
    version: int
    staff_signatures: list[StaffSignatureOut] = Field(
        default_factory=list, description="Release and verification signatures, each checked against the product"
    )


class ProductSummary(Schema):
    id: uuid.UUID
    code: str
    status: str
    episode_id: uuid.UUID
    patient_id: uuid.UUID
    source: str
    collected_at: datetime
    expires_at: datetime


class ProductList(Schema):
    items: list[ProductSummary]
    count: int


class ProductQuery(Schema):
    code: str = Field("", max_length=100, description="A scanned or typed identifier with its check character")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ProcessingIn(Schema):
    method: Method
    output_volume_ml: float = Field(gt=0, le=1000)
    total_nucleated_cells: int = Field(ge=0, le=10**13)
    viability_percent: float = Field(ge=0, le=100)
    device: str = Field("", max_length=120)
    device_lot: str = Field("", max_length=60)
    kit_lot: str = Field("", max_length=60)
    markers: dict[str, float] = Field(default_factory=dict, description="e.g. {'CD34_percent': 1.2}")
    sterility_sample_taken: bool = False
    sterility_sample_id: str = Field("", max_length=60)
    started_at: IsoDateTime | None = None
    ended_at: IsoDateTime | None = None
    regulatory_class: RegulatoryClass | None = None
    approval_reference: str = Field("", max_length=80)
    location: str = Field(services.LAB, max_length=120)
    correction_reason: str = Field("", max_length=2000, description="Needed to correct a recorded processing")
    class_justification: str = Field(
        "", max_length=4000, description="Needed for a regulatory class chosen against the site's policy"
    )
    class_verifier_username: str = Field("", max_length=150, description="The second person verifying that class")
    class_verifier_password: str = Field("", max_length=200)
    class_verifier_otp_code: str = Field("", max_length=12)


class ReleaseIn(Schema):
    verifier_username: str = Field("", max_length=150, description="The second person who verifies the release")
    verifier_password: str = Field("", max_length=200)
    verifier_otp_code: str = Field("", max_length=12, description="The verifier's authenticator code, if enrolled")
    password: str = Field("", max_length=200, description="The releasing technician's own password (they sign)")
    otp_code: str = Field("", max_length=12, description="The technician's authenticator code, if enrolled")
    exceptional_justification: str = Field(
        "", max_length=4000, description="Exceptional release of an autologous product despite failed criteria"
    )
    location: str = Field(services.LAB, max_length=120)


class ReceiptIn(Schema):
    location: str = Field(services.LAB, max_length=120)


class DiscardIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    location: str = Field(services.LAB, max_length=120)


def _detail(request: HttpRequest, product: CellProduct | uuid.UUID) -> dict[str, Any]:
    actor = actor_of(request)
    pk = product.pk if isinstance(product, CellProduct) else product
    found = selectors.product_get(actor=actor, product_id=pk, channel="api")
    return selectors.product_detail(product=found) | {"staff_signatures": signatures_out(found)}


@products.get("", response=ProductList, summary="Products of the site: in the lab and released; or find one by code")
def product_list(request: HttpRequest, query: Query[ProductQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    if query.code:
        found = selectors.product_by_scan(actor=actor, scanned=query.code, channel="api")
        return {"items": [_summary(found)], "count": 1}
    qs = selectors.lab_worklist(actor=actor)
    return {"items": [_summary(p) for p in qs[query.offset : query.offset + query.limit]], "count": qs.count()}


def _summary(product: CellProduct) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "status": product.status,
        "episode_id": product.episode_id,
        "patient_id": product.patient_id,
        "source": product.source,
        "collected_at": product.collected_at,
        "expires_at": product.expires_at,
    }


@products.get("/{product_id}", response=ProductOut, summary="A product: status, results, expiry and custody")
def product_detail(request: HttpRequest, product_id: uuid.UUID) -> dict[str, Any]:
    return _detail(request, product_id)


@products.post("/{product_id}/receipt", response=ProductOut, summary="Record receipt of the product in the lab")
def product_receive(request: HttpRequest, product_id: uuid.UUID, payload: ReceiptIn) -> dict[str, Any]:
    product = services.product_receive(actor=actor_of(request), product=product_id, location=payload.location)
    return _detail(request, product)


@products.post(
    "/{product_id}/processing",
    response={201: ProductOut, 200: ProductOut},
    summary="Record processing (method, counts, viability); 200 when it corrects an earlier record",
)
def product_processing(request: HttpRequest, product_id: uuid.UUID, payload: ProcessingIn) -> Status[dict[str, Any]]:
    record = services.processing_record(actor=actor_of(request), product=product_id, **payload.dict())
    return Status(200 if record.version > 1 else 201, _detail(request, product_id))


@products.post(
    "/{product_id}/release",
    response=ProductOut,
    summary="Release the product (criteria met, second person verifies); unmet criteria → 409 naming each",
)
def product_release(request: HttpRequest, product_id: uuid.UUID, payload: ReleaseIn) -> dict[str, Any]:
    product = services.product_release(actor=actor_of(request), product=product_id, **payload.dict())
    return _detail(request, product)


class ProductSignIn(SignIn):
    meaning: Literal["product release", "release verification"] = Field(
        description="'product release' (lab technicians) or 'release verification' (a second person)"
    )


@products.post(
    "/{product_id}/sign",
    response=ProductOut,
    summary="Sign a released product again (after an unlock voided the earlier signatures)",
)
def product_sign(request: HttpRequest, product_id: uuid.UUID, payload: ProductSignIn) -> dict[str, Any]:
    actor = actor_of(request)
    found = selectors.product_get(actor=actor, product_id=product_id, channel="api")
    signature_services.record_sign(
        actor=actor,
        record_type="cell_product",
        record_id=found.pk,
        meaning=payload.meaning,
        password=payload.password,
        otp_code=payload.otp_code,
    )
    return _detail(request, found)


@products.post("/{product_id}/discard", response=ProductOut, summary="Discard the product, with a reason")
def product_discard(request: HttpRequest, product_id: uuid.UUID, payload: DiscardIn) -> dict[str, Any]:
    product = services.product_discard(
        actor=actor_of(request), product=product_id, reason=payload.reason, location=payload.location
    )
    return _detail(request, product)


@products.get(
    "/{product_id}/label.pdf", summary="The product label (PDF, Code 128 barcode)", openapi_extra=PDF_RESPONSE
)
def product_label(request: HttpRequest, product_id: uuid.UUID) -> HttpResponse:
    actor = actor_of(request)
    product = selectors.product_get(actor=actor, product_id=product_id, channel="api")
    pdf = selectors.product_label(actor=actor, product=product, channel="api")
    return _pdf(pdf, f"product-{product.code}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- donors ------------------------------------------------------------------------------------------


class DonorIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    eligibility: Literal["eligible", "ineligible", "pending"]
    eligibility_basis: str = Field(min_length=1, max_length=4000, description="Screening and tests it rests on")


class DonorOut(Schema):
    id: uuid.UUID
    code: str
    eligibility: str
    eligibility_basis: str
    determined_at: datetime
    version: int


@donors.post("", response={201: DonorOut}, summary="Record an allogeneic donor and the eligibility determination")
def donor_create(request: HttpRequest, payload: DonorIn) -> Status[Donor]:
    return Status(201, services.donor_register(actor=actor_of(request), **payload.dict()))


@donors.get("/{donor_id}", response=DonorOut, summary="One donor")
def donor_detail(request: HttpRequest, donor_id: uuid.UUID) -> Donor:
    return selectors.donor_get(actor=actor_of(request), donor_id=donor_id)


# --- wristbands --------------------------------------------------------------------------------------


@wristbands.get(
    "/{patient_id}/wristband.pdf", summary="The patient's wristband insert (PDF, Code 128)", openapi_extra=PDF_RESPONSE
)
def wristband_pdf(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    pdf = selectors.wristband_label(actor=actor_of(request), patient_id=patient_id, channel="api")
    return _pdf(pdf, "wristband.pdf")
