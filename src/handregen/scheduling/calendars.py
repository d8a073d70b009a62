"""iCalendar (RFC 5545) documents: a resource's feed for staff calendars and one appointment for the patient.

A staff feed leaves handregen, so it carries no patient identity beyond initials and the link back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from handregen.scheduling.models import Appointment
from handregen.scheduling.slots import initials

PRODID = "-//handregen//appointments//EN"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(appointment: Appointment, summary: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{appointment.pk}@handregen")
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("sequence", appointment.version)
    event.add("summary", summary)
    event.add(
        "status",
        "CANCELLED" if appointment.status == "cancelled" else "TENTATIVE" if appointment.tentative else "CONFIRMED",
    )
    return event


def staff_feed(*, name: str, appointments: Iterable[Appointment], link_base: str) -> bytes:
    """A resource's appointments: kind, the patient's initials, the rooms, and the handregen link."""
    calendar = _calendar(name)
    stamp = timezone.now()
    for appointment in appointments:
        who = initials(appointment.patient.given_name, appointment.patient.family_name)
        tentative = " (tentative)" if appointment.tentative else ""
        event = _event(appointment, f"{appointment.kind_label}{tentative} — {who}", stamp)
        event.add("location", appointment.room.name)
        event.add("url", f"{link_base}/episodes/{appointment.episode_id}/")
        calendar.add_component(event)
    return calendar.to_ical()


def patient_invitation(appointment: Appointment, *, site_name: str) -> bytes:
    """The single appointment the patient's message attaches (their own calendar, so their own words)."""
    calendar = _calendar(site_name)
    calendar.add("method", "CANCEL" if appointment.status == "cancelled" else "PUBLISH")
    event = _event(appointment, f"{appointment.kind_label} at {site_name}", timezone.now())
    event.add("location", f"{appointment.room.name}, {site_name}")
    calendar.add_component(event)
    return calendar.to_ical()


def link_base() -> str:
    return str(getattr(settings, "HANDREGEN_BASE_URL", "") or "").rstrip("/")
