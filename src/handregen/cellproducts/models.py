"""Cell products and their chain of identity: identifiers, processing, release, custody, donors."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from handregen.cellproducts.identifiers import ProductCode
from handregen.cellproducts.lifecycle import IN_LAB, STATUS_WORDS, ProductStatus
from handregen.cellproducts.regulatory import (
    DEFAULT_CLASSES_NEEDING_APPROVAL,
    METHODS,
    ORIGINS,
    REGULATORY_CLASSES,
    SOURCES,
)
from handregen.records import REFERENCE, AppendOnlyModel, ClinicalModel


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return list(mapping.items())


class ProductSequence(models.Model):
    """The last sequence number given out for one facility code and year; numbers are never reused."""

    record_kind: ClassVar[str] = REFERENCE
    facility_code = models.CharField(max_length=5)
    year = models.PositiveSmallIntegerField()
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility_code", "year"], name="product_sequence_per_facility_year")
        ]

    def __str__(self) -> str:
        return f"{self.facility_code} {self.year}: {self.last_sequence}"


class SiteProductPolicy(models.Model):
    """A site's regulatory configuration: the product classes that need an approval reference."""

    record_kind: ClassVar[str] = REFERENCE
    site = models.OneToOneField("accounts.Site", on_delete=models.PROTECT, related_name="product_policy")
    classes_needing_approval = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"product policy of {self.site_id}"

    @staticmethod
    def default_classes() -> tuple[str, ...]:
        return DEFAULT_CLASSES_NEEDING_APPROVAL


ELIGIBILITY = [("eligible", "eligible"), ("ineligible", "ineligible"), ("pending", "pending")]


class Donor(ClinicalModel):
    """An allogeneic donor as the product records need it: a code and the documented eligibility."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="donors")
    code = models.CharField(max_length=40)
    eligibility = models.CharField(max_length=12, choices=ELIGIBILITY)
    eligibility_basis = models.TextField()
    determined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    determined_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "code"], name="donor_code_unique_per_site")]

    def __str__(self) -> str:
        return f"donor {self.code} ({self.eligibility})"


STATUSES = [(status.value, STATUS_WORDS[status]) for status in ProductStatus]
IN_LAB_STATUSES = tuple(sorted(IN_LAB))


class CellProduct(ClinicalModel):
    """One cell product, from collection to administration or discard, identified by its DIN."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="cell_products")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="cell_products")
    # The recipient: for autologous products also the person the cells came from.
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="cell_products")
    cycle = models.PositiveSmallIntegerField(default=1)
    din = models.CharField("identifier", max_length=13, unique=True)
    source = models.CharField(max_length=16, choices=_choices(SOURCES))
    origin = models.CharField(max_length=16, choices=_choices(ORIGINS))
    donor = models.ForeignKey(Donor, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    status = models.CharField(max_length=16, choices=STATUSES, default="collected")
    collected_at = models.DateTimeField(help_text="End of the harvest: the clock of expiry starts here.")
    expires_at = models.DateTimeField()
    regulatory_class = models.CharField(max_length=40, choices=_choices(REGULATORY_CLASSES))
    approval_reference = models.CharField(max_length=80, blank=True)
    # A class chosen against the site's policy for the method: why, and the second person who verified it.
    class_justification = models.TextField(blank=True)
    class_verified_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    exceptional_release = models.BooleanField(default=False)
    administered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["site", "status"]), models.Index(fields=["episode", "cycle"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(origin="allogeneic") | models.Q(donor__isnull=False),
                name="allogeneic_product_has_donor",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def product_code(self) -> ProductCode:
        return ProductCode(self.din)

    @property
    def code(self) -> str:
        """The identifier with its check character, as printed in the barcode and typed by staff."""
        return self.product_code.scanned

    @property
    def autologous(self) -> bool:
        return self.origin == "autologous"


class ProcessingRecord(ClinicalModel):
    """How the lab turned the harvested tissue into the product, and what it measured."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    product = models.OneToOneField(CellProduct, on_delete=models.PROTECT, related_name="processing")
    method = models.CharField(max_length=40, choices=_choices(METHODS))
    device = models.CharField(max_length=120, blank=True)
    device_lot = models.CharField(max_length=60, blank=True)
    kit_lot = models.CharField(max_length=60, blank=True)
    output_volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    total_nucleated_cells = models.BigIntegerField()
    viability_percent = models.DecimalField(max_digits=5, decimal_places=2)
    markers = models.JSONField(default=dict, blank=True)
    sterility_sample_taken = models.BooleanField(default=False)
    sterility_sample_id = models.CharField(max_length=60, blank=True)
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"processing of {self.product_id}"


class ReleaseDecision(AppendOnlyModel):
    """A product's release: the technician, the second person who verified, and the criteria as evaluated."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    product = models.OneToOneField(CellProduct, on_delete=models.PROTECT, related_name="release")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_by_label = models.CharField(max_length=200)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_by_label = models.CharField(max_length=200)
    verified_by_role = models.CharField(max_length=32)
    released_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    criteria = models.JSONField()
    exceptional = models.BooleanField(default=False)
    justification = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"release of {self.product_id}"


CUSTODY_EVENTS = [
    ("collected", "Collected"),
    ("received", "Received in the lab"),
    ("processed", "Processed"),
    ("released", "Released"),
    ("dispensed", "Dispensed to the procedure room"),
    ("administered", "Administered"),
    ("discarded", "Discarded"),
]


class CustodyEvent(AppendOnlyModel):
    """One step in a product's chain of custody: what happened, who, when, where. Never changed."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(CellProduct, on_delete=models.PROTECT, related_name="custody_events")
    position = models.PositiveIntegerField()
    event = models.CharField(max_length=16, choices=CUSTODY_EVENTS)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=32)
    location = models.CharField(max_length=120)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["product", "position"]
        constraints = [models.UniqueConstraint(fields=["product", "position"], name="custody_position_unique")]

    def __str__(self) -> str:
        return f"{self.event} of {self.product_id} at {self.occurred_at:%Y-%m-%d %H:%M}"
