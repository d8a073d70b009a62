"""The clinic's calendar: bookable resources, their hours and closures, and the appointments booked on them."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from handregen.records import APPEND_ONLY, REFERENCE, AppendOnlyModel, ClinicalModel
from handregen.scheduling.slots import KINDS, RESOURCE_KINDS, ROOM_KINDS, STATUS_LABELS, WEEKDAYS

_KIND_CHOICES = [(k.code, k.label) for k in KINDS.values()]


class Resource(models.Model):
    """A clinician, a room or the cell lab of one site, as the calendar books it.

    `daily_capacity` is the lab's number of processing places per day. `feed_token_hash` is the SHA-256 of
    the secret in this resource's calendar-feed address; empty when the feed is off (revoked).
    """

    record_kind: ClassVar[str] = REFERENCE
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=list(RESOURCE_KINDS.items()))
    name = models.CharField(max_length=120)
    room_kind = models.CharField(max_length=16, choices=list(ROOM_KINDS.items()), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    daily_capacity = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    feed_token_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="resource_name_unique_per_site"),
            models.CheckConstraint(
                condition=Q(kind="room", room_kind__in=list(ROOM_KINDS)) | (~Q(kind="room") & Q(room_kind="")),
                name="resource_room_kind_only_for_rooms",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """When a resource can be booked on one day of the week (0 = Monday); a day without a row is closed."""

    record_kind: ClassVar[str] = REFERENCE
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="hours")
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "weekday"], name="working_hours_one_span_per_day"),
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="working_hours_open_before_close"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday_0_to_6"),
        ]

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.opens:%H:%M} to {self.closes:%H:%M}"


class Closure(models.Model):
    """Days on which a resource (or, with no resource, the whole site) cannot be booked: leave, holidays."""

    record_kind: ClassVar[str] = REFERENCE
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    resource = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_on__lte=F("ends_on")), name="closure_start_before_end")
        ]

    def __str__(self) -> str:
        return f"closed {self.starts_on} to {self.ends_on}: {self.reason}"


class SlotLength(models.Model):
    """A site's own length of one kind of appointment, in minutes (otherwise slots.KINDS' default)."""

    record_kind: ClassVar[str] = REFERENCE
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=_KIND_CHOICES)
    minutes = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "kind"], name="slot_length_once_per_kind"),
            models.CheckConstraint(condition=Q(minutes__gt=0) & Q(minutes__lte=720), name="slot_length_positive"),
        ]

    def __str__(self) -> str:
        return f"{KINDS[self.kind].label}: {self.minutes} minutes"


class Appointment(ClinicalModel):
    """One booked visit of one patient's episode. Cancelled, never deleted; `version` refuses a stale move.

    A procedure day's `starts_at` is the harvest; `injection_at` the booked injection on the same day.
    `tentative` marks a procedure day booked before the patient was eligible and consented.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    episode = models.ForeignKey("pathway.Episode", on_delete=models.PROTECT, related_name="appointments")
    cycle = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=16, choices=_KIND_CHOICES)
    timepoint = models.CharField(max_length=32, blank=True)  # the follow-up time point of a follow-up visit
    timepoint_label = models.CharField(max_length=64, blank=True)  # its words ("6 weeks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    injection_at = models.DateTimeField(null=True, blank=True)
    clinician = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    lab = models.ForeignKey(Resource, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=list(STATUS_LABELS.items()), default="booked")
    tentative = models.BooleanField(default=False)
    outside_window_reason = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="appointment_starts_before_end"),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True, status__in=["booked", "attended", "no_show"])
                | Q(cancelled_at__isnull=False, status="cancelled"),
                name="appointment_cancelled_with_time",
            ),
        ]
        indexes = [models.Index(fields=["site", "starts_at"]), models.Index(fields=["episode", "kind"])]

    def __str__(self) -> str:
        return f"{KINDS[self.kind].label} on {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind].label


class SlotHold(ClinicalModel):
    """One slot of one resource held by one appointment: the database's guard against double booking.

    A clinician's or room's hold is one SLOT_MINUTES slot (`place` 0); a lab hold is one processing place
    (1..capacity) on a day. Only one active (unreleased) hold per (resource, slot, place) can exist: a
    partial unique index, a real constraint on SQLite and PostgreSQL. Holds are released, never deleted.
    """

    id = models.BigAutoField(primary_key=True)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="holds")
    slot = models.DateTimeField()
    place = models.PositiveSmallIntegerField(default=0)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "slot", "place"],
                condition=Q(released_at__isnull=True),
                name="one_active_hold_per_resource_slot",
            )
        ]


class AppointmentMessage(AppendOnlyModel):
    """A message sent to the patient about an appointment; the reminder's row makes the reminder run rerunnable."""

    record_kind: ClassVar[str] = APPEND_ONLY
    id = models.BigAutoField(primary_key=True)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="messages")
    event = models.CharField(max_length=16)  # booked, moved, cancelled, reminder
    starts_at = models.DateTimeField()  # the appointment's start the message was about
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "starts_at"], condition=Q(event="reminder"), name="one_reminder_per_start"
            )
        ]
