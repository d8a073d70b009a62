"""Cell-lab pages: products in the lab, one product with its custody timeline, processing, release, labels."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from handregen.accounts.roles import Permission
from handregen.cellproducts import selectors, services
from handregen.cellproducts.forms import DiscardForm, ProcessingForm, ReleaseForm, ScanForm
from handregen.cellproducts.models import IN_LAB_STATUSES, CellProduct, ProcessingRecord
from handregen.cellproducts.regulatory import METHODS, METHODS_FOR_SOURCE, REGULATORY_CLASSES, default_regulatory_class
from handregen.edge.access import StaffRequest, staff_page
from handregen.edge.form_rules import add_form_errors
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound
from handregen.pathway import selectors as pathway_selectors
from handregen.procedures.selectors import injection_of


def _product(request: StaffRequest, product_id: uuid.UUID) -> CellProduct:
    try:
        return selectors.product_get(actor=request.actor, product_id=product_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_page
def lab(request: StaffRequest) -> HttpResponse:
    """Products in the lab and released ones waiting for injection; a scan field finds one by its label."""
    actor = request.actor
    if not actor.can(Permission.PATIENT_VIEW):
        raise Http404
    form = ScanForm(request.GET or None)
    if form.is_bound and form.is_valid():
        try:
            found = selectors.product_by_scan(actor=actor, scanned=form.cleaned_data["code"])
        except InvalidInput as exc:
            form.add_error("code", exc.errors[0][1])
        except NotFound:
            form.add_error("code", "No product with this identifier at this site.")
        else:
            return redirect("cellproducts:product", found.pk)
    products = list(selectors.lab_worklist(actor=actor))
    return render(
        request,
        "cellproducts/lab.html",
        {"form": form, "products": products, "can_process": actor.can(Permission.PRODUCT_PROCESS)},
    )


@staff_page
def product(request: StaffRequest, product_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    found = _product(request, product_id)
    detail = selectors.product_detail(product=found)
    return render(
        request,
        "cellproducts/product.html",
        {
            "product": found,
            "detail": detail,
            "patient": found.patient,
            "can_process": actor.can(Permission.PRODUCT_PROCESS) and found.status in IN_LAB_STATUSES,
            "can_release": actor.can(Permission.PRODUCT_RELEASE) and found.status == "processed",
            "can_receive": actor.can(Permission.PRODUCT_PROCESS) and found.status == "collected",
            "can_discard": actor.can(Permission.PRODUCT_PROCESS) and found.status not in ("administered", "discarded"),
            **injection_of(product=found),
        },
    )


@staff_page
def episode_product(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """The current product of an episode (where the episode page's 'Release the product' leads)."""
    try:
        episode = pathway_selectors.episode_get(actor=request.actor, episode_id=episode_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    current = selectors.current_product(episode=episode)
    if current is None:
        raise Http404
    return redirect("cellproducts:product", current["id"])


@staff_page
@require_POST
def receive(request: StaffRequest, product_id: uuid.UUID) -> HttpResponse:
    found = _product(request, product_id)
    try:
        services.product_receive(actor=request.actor, product=found)
    except GuardRefused as exc:
        for reason in exc.reasons:
            messages.error(request, reason)
    else:
        messages.success(request, f"Product {found.code} received in the lab.")
    return redirect("cellproducts:product", found.pk)


@staff_page
def processing(request: StaffRequest, product_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    found = _product(request, product_id)
    existing = ProcessingRecord.objects.filter(product=found).first()
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {k: getattr(existing, k) for k in services.PROCESSING_FIELDS if k not in ("started_at", "ended_at")}
        initial["markers"] = ", ".join(f"{k}={v:g}" for k, v in existing.markers.items())
        initial["regulatory_class"] = found.regulatory_class  # a correction starts from what is recorded
    initial.setdefault("approval_reference", found.approval_reference)
    needing = services.product_policy(actor.site)
    form = ProcessingForm(request.POST or None, source=found.source, initial=initial, needing_approval=needing)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["regulatory_class"] = data["regulatory_class"] or None
        try:
            services.processing_record(actor=actor, product=found, **data)
        except InvalidInput as exc:
            add_form_errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, "Processing recorded.")
            return redirect("cellproducts:product", found.pk)
    policy = [
        {"method": METHODS[m], "class": REGULATORY_CLASSES[c], "needs_approval": c in needing}
        for m in METHODS_FOR_SOURCE[found.source]
        for c in [default_regulatory_class(origin=found.origin, method=m)]
    ]
    return render(
        request,
        "cellproducts/processing.html",
        {
            "product": found,
            "form": form,
            "reasons": reasons,
            "correcting": existing is not None,
            "policy": policy,
        },
    )


@staff_page
def release(request: StaffRequest, product_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    found = _product(request, product_id)
    form = ReleaseForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.product_release(actor=actor, product=found, **form.cleaned_data)
        except InvalidInput as exc:
            add_form_errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"Product {found.code} released.")
            return redirect("cellproducts:product", found.pk)
    criteria = selectors.release_preview(product=found) if found.status in IN_LAB_STATUSES else []
    return render(
        request, "cellproducts/release.html", {"product": found, "form": form, "reasons": reasons, "criteria": criteria}
    )


@staff_page
def discard(request: StaffRequest, product_id: uuid.UUID) -> HttpResponse:
    actor = request.actor
    found = _product(request, product_id)
    form = DiscardForm(request.POST or None)
    reasons: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.product_discard(actor=actor, product=found, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            add_form_errors(form, exc)
        except GuardRefused as exc:
            reasons = exc.reasons
        else:
            messages.success(request, f"Product {found.code} discarded.")
            return redirect("cellproducts:product", found.pk)
    return render(request, "cellproducts/discard.html", {"product": found, "form": form, "reasons": reasons})


@staff_page
def label(request: StaffRequest, product_id: uuid.UUID) -> HttpResponse:
    found = _product(request, product_id)
    return _pdf(selectors.product_label(actor=request.actor, product=found), f"product-{found.code}.pdf")


@staff_page
def wristband(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    try:
        pdf = selectors.wristband_label(actor=request.actor, patient_id=patient_id)
    except (NotFound, Forbidden) as exc:
        raise Http404 from exc
    return _pdf(pdf, "wristband.pdf")
