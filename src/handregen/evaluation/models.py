"""The consultation (history, examination, baseline measures), imaging studies and the candidacy decision."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from handregen.evaluation.codes import (
    AFFECTED_SIDES,
    CANDIDACY_DECISIONS,
    EATON_LITTLER_STAGES,
    KL_DEFINITIONS,
    MODALITIES,
)
from handregen.patients.models import HAND_CHOICES
from handregen.records import ClinicalModel


class Consultation(ClinicalModel):
    """What the physician heard and found at the consultation, with the baseline measures.

    Lists hold coded entries (see `evaluation.codes`): `prior_treatments` items are
    `{kind, date, joint, side, notes}`, `medications` items `{name, drug_class, dose}`, `comorbidities`
    codes, `symptoms` codes, `examination` `{tenderness, swelling, deformity, grind_test, findings}`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="consultations")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consultations")
    seen_on = models.DateField()
    complaint = models.TextField()
    symptoms = models.JSONField(default=list)
    symptom_duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    affected_joints = models.JSONField(default=list)
    affected_side = models.CharField(max_length=8, choices=AFFECTED_SIDES)
    dominant_hand = models.CharField(max_length=12, choices=HAND_CHOICES)
    occupation = models.CharField(max_length=120, blank=True)
    prior_treatments = models.JSONField(default=list)
    medications = models.JSONField(default=list)
    comorbidities = models.JSONField(default=list)
    comorbidity_notes = models.TextField(blank=True)
    examination = models.JSONField(default=dict)
    nrs_pain_rest = models.PositiveSmallIntegerField()
    nrs_pain_load = models.PositiveSmallIntegerField()
    grip_kg_affected = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    grip_kg_other = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["episode", "recorded_at"])]

    def __str__(self) -> str:
        return f"consultation of {self.seen_on:%Y-%m-%d}"

    @property
    def grind_test(self) -> str:
        return str(self.examination.get("grind_test", "not_done"))

    @property
    def flagged_medications(self) -> list[dict[str, str]]:
        """Anticoagulants and antiplatelets (bleeding risk at harvest), flagged for the physician."""
        return [m for m in self.medications if m.get("drug_class") in ("anticoagulant", "antiplatelet")]


class ImagingStudy(ClinicalModel):
    """One imaging study of the affected hand: modality, date, findings and the grade or stage read from it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="imaging_studies")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="imaging_studies")
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="imaging_studies")
    modality = models.CharField(max_length=12, choices=MODALITIES)
    study_date = models.DateField()
    joint = models.CharField(max_length=16, blank=True)
    findings = models.TextField(blank=True)
    kl_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    kl_definition = models.CharField(max_length=24, choices=KL_DEFINITIONS, default="possible_narrowing")
    eaton_littler_stage = models.CharField(max_length=3, choices=EATON_LITTLER_STAGES, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["episode", "study_date"])]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} of {self.study_date:%Y-%m-%d}"

    @property
    def staged(self) -> bool:
        return self.kl_grade is not None or bool(self.eaton_littler_stage)


class CandidacyDecision(ClinicalModel):
    """The physician's decision against the episode's protocol, with every criterion's answer.

    `answers` has every criterion code of the protocol; `derived` says which answers were read from the
    record (medications, dated prior treatments) and on what basis; `soft_flags` the flags that were present
    and decided on with the rationale.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="candidacy_decisions")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="candidacy_decisions")
    protocol_code = models.CharField(max_length=64)
    protocol_version = models.CharField(max_length=32)
    answers = models.JSONField(default=dict)
    derived = models.JSONField(default=dict)
    soft_flags = models.JSONField(default=list)
    decision = models.CharField(max_length=12, choices=CANDIDACY_DECISIONS)
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["episode", "decided_at"])]

    def __str__(self) -> str:
        return f"candidacy: {self.decision} ({self.decided_at:%Y-%m-%d})"
