"""Adverse events, alerts to the physician for serious ones, and later re-interventions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from handregen.records import ClinicalModel
from handregen.safety.terms import ACTIONS, OUTCOMES, REINTERVENTION_TYPES, RELATEDNESS, TERMS

_RELATEDNESS = list(RELATEDNESS.items())


class AdverseEvent(ClinicalModel):
    """An unfavourable event after the harvest or injection: CTCAE grade and ICH E2A seriousness recorded
    independently, relatedness (WHO-UMC) to the treatment as a whole and to each of its parts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="adverse_events")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="adverse_events")
    cycle = models.PositiveSmallIntegerField(default=1)
    term = models.CharField(max_length=32, choices=list(TERMS.items()))
    other_text = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    onset_date = models.DateField()
    grade = models.PositiveSmallIntegerField()
    serious = models.BooleanField()
    seriousness_criteria = models.JSONField(default=list)
    relatedness = models.CharField(max_length=16, choices=_RELATEDNESS)
    relatedness_harvest = models.CharField(max_length=16, choices=_RELATEDNESS, blank=True)
    relatedness_injection = models.CharField(max_length=16, choices=_RELATEDNESS, blank=True)
    relatedness_product = models.CharField(max_length=16, choices=_RELATEDNESS, blank=True)
    action_taken = models.CharField(max_length=16, choices=list(ACTIONS.items()), default="none")
    outcome = models.CharField(max_length=24, choices=list(OUTCOMES.items()), default="unknown")
    resolution_date = models.DateField(null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    # Entered in error: kept (struck through where shown), left out of rates and exports.
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retracted_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="adverse_event_grade_1_to_5"),
            models.CheckConstraint(
                condition=Q(resolution_date__isnull=True) | Q(resolution_date__gte=F("onset_date")),
                name="adverse_event_resolved_after_onset",
            ),
            models.CheckConstraint(condition=~Q(grade=5, serious=False), name="adverse_event_grade_5_is_serious"),
        ]
        indexes = [models.Index(fields=["site", "onset_date"])]

    def __str__(self) -> str:
        return f"{self.get_term_display()} (grade {self.grade})"

    @property
    def state(self) -> str:
        """Where the event stands, in words: retracted, resolved (with its outcome) or ongoing."""
        if self.retracted_at is not None:
            return "retracted (entered in error)"
        if self.resolution_date is not None:
            return f"resolved: {self.get_outcome_display().lower()}"
        return f"ongoing: {self.get_outcome_display().lower()}"

    @property
    def term_label(self) -> str:
        return self.other_text if self.term == "other" and self.other_text else self.get_term_display()


class SafetyAlert(ClinicalModel):
    """A serious adverse event flagged to the responsible physician (or the site's physicians) until reviewed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="+")
    adverse_event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="alerts")
    # None: no responsible physician on the episode, so every physician of the site is alerted.
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    emailed_to = models.PositiveSmallIntegerField(default=0)  # how many addresses the alert e-mail went to
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="safety_alert_acknowledged_who_and_when",
            )
        ]

    def __str__(self) -> str:
        return f"alert for adverse event {self.adverse_event_id}"


class Reintervention(ClinicalModel):
    """A later procedure on the treated joint (e.g. trapeziectomy) or a repeat injection: the event for
    time-to-re-intervention analyses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="reinterventions")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="reinterventions")
    performed_on = models.DateField()
    type = models.CharField(max_length=24, choices=list(REINTERVENTION_TYPES.items()))
    joint = models.CharField(max_length=16)
    side = models.CharField(max_length=8, choices=[("left", "left"), ("right", "right")])
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_type_display()} on {self.performed_on}"
