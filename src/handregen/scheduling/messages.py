"""Telling the patient: booking, change, cancellation and the day-before reminder, by e-mail with an .ics file.

`send_appointment_message` is the one door, so that the delivery path can later route it to another channel.
Sending happens after the booking commits: a refused or rolled-back booking never tells anyone anything.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from handregen.scheduling.calendars import patient_invitation
from handregen.scheduling.models import Appointment, AppointmentMessage

log = logging.getLogger("handregen.scheduling")

SUBJECTS = {
    "booked": "Your appointment is booked",
    "moved": "Your appointment has moved",
    "cancelled": "Your appointment is cancelled",
    "reminder": "Reminder: your appointment tomorrow",
}


def _when(moment: datetime, appointment: Appointment) -> str:
    local = moment.astimezone(appointment.site.zone)
    return f"{local:%A %-d %B %Y at %H:%M}"


def message_text(appointment: Appointment, event: str, previous_start: datetime | None = None) -> str:
    """The patient's message in plain words (and, for a procedure day, the preparation dates counted from it)."""
    site = appointment.site
    what = appointment.kind_label.lower()
    lines = [f"Dear {appointment.patient.given_name} {appointment.patient.family_name},", ""]
    if event == "cancelled":
        lines.append(f"Your {what} on {_when(appointment.starts_at, appointment)} is cancelled.")
        lines.append("The clinic will contact you to agree a new date.")
    else:
        opening = {
            "booked": f"Your {what} is booked for",
            "moved": f"Your {what} has moved to",
            "reminder": f"This is a reminder of your {what}",
        }[event]
        lines.append(f"{opening} {_when(appointment.starts_at, appointment)}, in {appointment.room.name}.")
        if previous_start is not None:
            lines.append(f"(It was booked for {_when(previous_start, appointment)}.)")
        if appointment.tentative:
            lines.append("This date is provisional: it is confirmed once your consent is signed.")
        if appointment.kind == "procedure_day":
            from handregen.preparation.selectors import instructions_of

            instructions = instructions_of(episode=appointment.episode)
            lines += ["", "How to prepare (the dates count from this procedure day):", *instructions.lines]
    lines += ["", f"Questions or a change: call {site.name}" + (f" on {site.phone}." if site.phone else ".")]
    return "\n".join(lines) + "\n"


def send_appointment_message(appointment: Appointment, event: str, *, previous_start: datetime | None = None) -> bool:
    """E-mail the patient about `event` on `appointment`, with the appointment as an .ics attachment.

    False (and nothing sent) when the patient has no e-mail address. A failure to send is logged without
    patient details and does not undo the booking.
    """
    patient = appointment.patient
    if not patient.email:
        return False
    message = EmailMessage(
        subject=f"{SUBJECTS[event]} — {appointment.site.name}",
        body=message_text(appointment, event, previous_start),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[patient.email],
    )
    message.attach("appointment.ics", patient_invitation(appointment, site_name=appointment.site.name), "text/calendar")
    try:
        message.send()
    except OSError:
        log.warning("appointment message not sent (%s, appointment %s)", event, appointment.pk)
        return False
    AppointmentMessage.objects.create(
        appointment=appointment, event=event, starts_at=appointment.starts_at, sent_at=timezone.now()
    )
    return True


def send_after_commit(appointment: Appointment, event: str, *, previous_start: datetime | None = None) -> None:
    """Send once the booking's transaction has committed (never for a rolled-back one)."""
    transaction.on_commit(partial(_send_fresh, appointment.pk, event, previous_start))


def _send_fresh(appointment_id: object, event: str, previous_start: datetime | None) -> None:
    appointment = Appointment.objects.select_related("site", "patient", "episode", "room").get(pk=appointment_id)
    send_appointment_message(appointment, event, previous_start=previous_start)


def reminders_due(now: datetime) -> list[Appointment]:
    """Booked appointments of tomorrow (each site's calendar day) whose reminder has not gone yet."""
    found: list[Appointment] = []
    candidates = (
        Appointment.objects.filter(status="booked", starts_at__gt=now, starts_at__lt=now + timedelta(days=3))
        .select_related("site", "patient", "episode", "room")
        .order_by("starts_at")
    )
    for appointment in candidates:
        zone = appointment.site.zone
        if appointment.starts_at.astimezone(zone).date() != (now.astimezone(zone) + timedelta(days=1)).date():
            continue
        if AppointmentMessage.objects.filter(
            appointment=appointment, event="reminder", starts_at=appointment.starts_at
        ).exists():
            continue
        found.append(appointment)
    return found


def reminders_send(now: datetime | None = None) -> int:
    """Send the day-before reminders; safe to rerun (a reminder goes once per appointment time)."""
    sent = 0
    for appointment in reminders_due(now or timezone.now()):
        sent += send_appointment_message(appointment, "reminder")
    return sent
