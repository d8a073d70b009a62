"""Twenty desks book the last free slot at the same moment on PostgreSQL: exactly one booking stands."""

from __future__ import annotations

import threading
from datetime import time

import pytest
from django.db import connection, connections

from handregen.errors import GuardRefused
from handregen.scheduling import availability
from handregen.scheduling.models import Appointment, SlotHold
from handregen.scheduling.services import appointment_book
from tests.scheduling.conftest import next_weekday


def _race(attempts: int, book) -> tuple[list[str], list[list[str]]]:
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    reasons: list[list[str]] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            book(index)
            result = "booked"
        except GuardRefused as refusal:
            result = "refused"
            with lock:
                reasons.append(refusal.reasons)
        except Exception as exc:  # anything else is a failure of the test, reported below
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()  # each thread used its own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes, reasons


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_the_last_free_slot_give_exactly_one(
    persona, physician, make_episode, calendar, at, demo_site
):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers on separate connections: run scripts/with-postgres .venv/bin/pytest")
    day = next_weekday(4, demo_site)
    admin = persona("site_admin")
    for resource in (calendar.clinician, calendar.consultation_room):  # that day holds one consultation only
        availability.working_hours_set(
            actor=admin, resource=resource, weekday=day.weekday(), opens=time(10), closes=time(10, 45)
        )
    episodes = [make_episode() for _ in range(20)]

    def book(index: int) -> None:
        appointment_book(
            actor=physician,
            episode=episodes[index],
            kind="consultation",
            starts_at=at(day, "10:00"),
            clinician=calendar.clinician,
            room=calendar.consultation_room,
        )

    outcomes, reasons = _race(20, book)
    assert sorted(outcomes) == ["booked"] + ["refused"] * 19, outcomes
    assert all(any("already booked" in r or "a moment ago" in r for r in refusal) for refusal in reasons)
    assert Appointment.objects.filter(starts_at=at(day, "10:00")).count() == 1
    assert SlotHold.objects.filter(resource=calendar.clinician, released_at__isnull=True).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_procedure_days_fill_the_labs_places_and_no_more(persona, physician, make_episode, at, demo_site):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers on separate connections: run scripts/with-postgres .venv/bin/pytest")
    from tests.scheduling.conftest import build_calendar

    admin = persona("site_admin")
    calendars = [build_calendar(admin, physician, lab_places=2, prefix=f"{i} ") for i in range(6)]
    lab = calendars[0].lab
    availability.resource_update(actor=admin, resource=lab, daily_capacity=2)
    episodes = [make_episode() for _ in range(6)]
    day = next_weekday(8, demo_site)

    def book(index: int) -> None:
        appointment_book(
            actor=physician,
            episode=episodes[index],
            kind="procedure_day",
            tentative=True,
            starts_at=at(day, "08:00"),
            clinician=calendars[index].clinician,
            room=calendars[index].procedure_room,
            lab=lab,
        )

    outcomes, _ = _race(6, book)
    assert sorted(outcomes) == ["booked"] * 2 + ["refused"] * 4, outcomes
    assert sorted(SlotHold.objects.filter(resource=lab, released_at__isnull=True).values_list("place", flat=True)) == [
        1,
        2,
    ]
