"""Follow-up time points, scored questionnaire responses and measurements, patient links and reminders sent."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from handregen.records import AppendOnlyModel, ClinicalModel

SOURCES = [("staff", "entered by staff"), ("patient", "entered by the patient")]
COMPLETIONS = [("auto", "every instrument scored"), ("staff", "marked done by staff")]
REMINDER_KINDS = [("invitation", "invitation"), ("reminder", "reminder")]
PINCH_TYPES = [("tip", "tip pinch"), ("key", "key (lateral) pinch"), ("palmar", "palmar (three-jaw chuck) pinch")]


class FollowUp(ClinicalModel):
    """One time point of one treatment cycle (or the cycle's baseline) with its window and instruments.

    The status (upcoming / due / missed) follows from the dates; only completion and supersession are stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="follow_ups")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="follow_ups")
    cycle = models.PositiveSmallIntegerField(default=1)
    timepoint = models.CharField(max_length=32)
    label = models.CharField(max_length=64)
    days = models.IntegerField(null=True, blank=True)  # None for the baseline
    injected_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    due_from = models.DateField(null=True, blank=True)
    due_until = models.DateField(null=True, blank=True)
    instruments = models.JSONField(default=list)
    completed_at = models.DateTimeField(null=True, blank=True)
    completion = models.CharField(max_length=8, choices=COMPLETIONS, blank=True)
    completion_note = models.TextField(blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "cycle", "timepoint"], name="follow_up_once_per_cycle"),
            models.CheckConstraint(
                condition=Q(due_from__isnull=True) | Q(due_until__isnull=True) | Q(due_from__lte=F("due_until")),
                name="follow_up_window_in_order",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, completion="")
                | Q(completed_at__isnull=False, completion__gt=""),
                name="follow_up_completion_set_together",
            ),
        ]
        indexes = [models.Index(fields=["site", "due_from", "due_until"])]

    def __str__(self) -> str:
        return f"{self.label} (cycle {self.cycle})"

    @property
    def is_baseline(self) -> bool:
        return self.timepoint == "baseline"


class QuestionnaireResponse(ClinicalModel):
    """The answers to one instrument at one follow-up, with the scores computed when they were stored.

    Grip and pinch (clinician measurements) are stored here too, with the hand measured in `side`. One
    response per follow-up, instrument, hand and pinch type; a correction amends it (the audit keeps the
    previous answers and scores).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="+")
    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="responses")
    instrument = models.CharField(max_length=32)
    instrument_version = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=8, blank=True)  # hand measured (grip, pinch); "" for questionnaires
    variant = models.CharField(max_length=16, blank=True, choices=PINCH_TYPES)  # pinch type; "" otherwise
    device = models.CharField(max_length=80, blank=True)
    answers = models.JSONField(default=dict)
    options = models.JSONField(default=dict)  # scoring options used (hand, age, sex, side, missing_policy)
    total = models.FloatField(null=True, blank=True)
    subscales = models.JSONField(default=dict)
    scorable = models.BooleanField()
    reasons = models.JSONField(default=list)
    scoring_version = models.CharField(max_length=40)
    missing_policy = models.CharField(max_length=40, blank=True)
    label_set = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=8, choices=SOURCES)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField()
    amended_at = models.DateTimeField(null=True, blank=True)
    # A baseline answered after the cycle's injection: kept with its true date, left out of "before" unless
    # an analyst chooses to include it.
    late_baseline = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "instrument", "side", "variant"], name="response_once_per_follow_up_instrument"
            ),
            models.CheckConstraint(
                condition=Q(scorable=True, total__isnull=False) | Q(scorable=False, total__isnull=True),
                name="response_scorable_exactly_with_total",
            ),
        ]
        # Cohort analytics reads every score of a site: with these columns in the index, SQLite answers from
        # the index alone instead of visiting each (wide: answers, options) row.
        indexes = [
            models.Index(
                fields=["site", "follow_up", "episode", "instrument", "side", "total"], name="response_site_scores"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} at {self.follow_up_id}"


class QuestionnaireLink(ClinicalModel):
    """A patient's link to the questionnaires of one follow-up: only the SHA-256 of its token is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    first_used_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # the patient submitted through this link
    closed_at = models.DateTimeField(null=True, blank=True)  # no longer usable: answered, or a newer link
    # Answers saved page by page before sending, {instrument: {item id: value or "declined"}}; the link carries
    # them so that the patient resumes where they stopped until it expires.
    draft = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"questionnaire link {self.pk}"


class ReminderSent(AppendOnlyModel):
    """An invitation or reminder e-mail sent for a follow-up; the unique pair makes reruns send nothing twice."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=16, choices=REMINDER_KINDS)
    link = models.ForeignKey(QuestionnaireLink, null=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follow_up", "kind"], name="reminder_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.follow_up_id}"
