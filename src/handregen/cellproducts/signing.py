"""What a product's release and its verification cover (registered with handregen.signatures when ready)."""

from __future__ import annotations

from typing import Any

from handregen.accounts.roles import Permission
from handregen.cellproducts.models import CellProduct, ProcessingRecord, ReleaseDecision
from handregen.signatures.kinds import Kind, record_fields

PRODUCT_RELEASE = "product release"
RELEASE_VERIFICATION = "release verification"

PROCESSING_SIGNED = (
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


def _product_form(product: CellProduct) -> dict[str, Any]:
    processing = ProcessingRecord.objects.filter(product_id=product.pk).first()
    release = ReleaseDecision.objects.filter(product_id=product.pk).first()
    return record_fields(
        product,
        (
            "site_id",
            "episode_id",
            "patient_id",
            "cycle",
            "din",
            "source",
            "origin",
            "donor_id",
            "collected_at",
            "expires_at",
            "regulatory_class",
            "approval_reference",
        ),
    ) | {
        "processing": record_fields(processing, PROCESSING_SIGNED) if processing else None,
        "release": record_fields(
            release, ("released_by_id", "verified_by_id", "released_at", "criteria", "exceptional", "justification")
        )
        if release
        else None,
    }


KIND = Kind(
    "cell_product",
    CellProduct,
    "cell product",
    _product_form,
    {PRODUCT_RELEASE: Permission.PRODUCT_RELEASE, RELEASE_VERIFICATION: Permission.PRODUCT_VERIFY},
    locked_when=lambda p: p.status in ("released", "administered"),
)
