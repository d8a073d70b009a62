"""Follow-up time points as dates and their status on a day (pure: no database)."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handregen.outcomes.schedule import (
    COMPLETED,
    DUE,
    MISSED,
    SUPERSEDED,
    UPCOMING,
    age_on,
    schedule,
    status_on,
)
from handregen.pathway.protocol import parse_protocol, shipped_protocol_documents

SHIPPED = parse_protocol(shipped_protocol_documents()[0])


def test_the_shipped_schedule_for_an_injection_on_2_march_2026_has_these_exact_dates():
    points = schedule(date(2026, 3, 2), SHIPPED.follow_up)
    assert [(p.code, p.due_on, p.due_from, p.due_until) for p in points] == [
        ("w2", date(2026, 3, 16), date(2026, 3, 13), date(2026, 3, 23)),
        ("w6", date(2026, 4, 13), date(2026, 4, 6), date(2026, 4, 27)),
        ("m3", date(2026, 6, 1), date(2026, 5, 18), date(2026, 6, 22)),
        ("m6", date(2026, 8, 31), date(2026, 8, 10), date(2026, 9, 28)),
        ("m12", date(2027, 3, 2), date(2027, 1, 31), date(2027, 4, 16)),
    ]
    assert points[0].instruments == ("nrs", "pgic")
    assert points[2].instruments == ("nrs", "quickdash", "prwe", "pgic", "grip")


def test_a_window_crossing_a_leap_day_counts_calendar_days():
    points = schedule(date(2028, 2, 15), SHIPPED.follow_up[:1])
    assert points[0].due_on == date(2028, 2, 29)


@dataclass(frozen=True)
class Point:
    code: str
    days: int
    window_before: int = 0
    window_after: int = 0
    label: str = "x"
    instruments: tuple[str, ...] = ()


def test_a_negative_window_or_a_repeated_code_is_refused():
    with pytest.raises(ValueError, match="window_before"):
        schedule(date(2026, 1, 1), [Point("a", 10, window_before=-1)])
    with pytest.raises(ValueError, match="repeated"):
        schedule(date(2026, 1, 1), [Point("a", 10), Point("a", 20)])
    with pytest.raises(ValueError, match="reserved"):
        schedule(date(2026, 1, 1), [Point("baseline", 0)])


WINDOW = {"due_from": date(2026, 3, 13), "due_until": date(2026, 3, 23)}


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 12), UPCOMING),
        (date(2026, 3, 13), DUE),  # the first day of the window is in it
        (date(2026, 3, 23), DUE),  # and so is the last
        (date(2026, 3, 24), MISSED),
    ],
)
def test_the_status_follows_the_window(today, expected):
    assert status_on(today, completed=False, **WINDOW) == expected


def test_completion_wins_over_a_passed_window_and_supersession_over_the_dates():
    assert status_on(date(2026, 5, 1), completed=True, **WINDOW) == COMPLETED
    assert status_on(date(2026, 3, 1), completed=False, superseded=True, **WINDOW) == SUPERSEDED


def test_an_open_ended_baseline_stays_due_until_the_injection_date_is_known():
    assert status_on(date(2030, 1, 1), due_from=date(2026, 1, 1), due_until=None, completed=False) == DUE


def test_age_is_counted_in_whole_years_up_to_the_birthday():
    assert age_on(date(1964, 3, 2), date(2026, 3, 1)) == 61
    assert age_on(date(1964, 3, 2), date(2026, 3, 2)) == 62


points_strategy = st.lists(
    st.builds(
        Point,
        code=st.text(alphabet="abcdefgh", min_size=1, max_size=4),
        days=st.integers(0, 3000),
        window_before=st.integers(0, 120),
        window_after=st.integers(0, 120),
    ),
    max_size=8,
    unique_by=lambda p: p.code,
).filter(lambda ps: all(p.code != "baseline" for p in ps))


@given(injected=st.dates(date(2000, 1, 1), date(2090, 1, 1)), points=points_strategy)
def test_every_scheduled_window_contains_its_target_day_and_keeps_protocol_order(injected, points):
    scheduled = schedule(injected, points)
    assert [p.code for p in scheduled] == [p.code for p in points]
    for spec, point in zip(points, scheduled, strict=True):
        assert point.due_from <= point.due_on <= point.due_until
        assert (point.due_on - injected).days == spec.days
        assert (point.due_until - point.due_from).days == spec.window_before + spec.window_after


@given(
    start=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    length=st.integers(0, 90),
    days=st.lists(st.integers(-200, 200), min_size=2, max_size=20),
)
def test_over_time_an_open_time_point_only_moves_from_upcoming_to_due_to_missed(start, length, days):
    window = {"due_from": start, "due_until": start + timedelta(days=length)}
    order = {UPCOMING: 0, DUE: 1, MISSED: 2}
    seen = [status_on(start + timedelta(days=d), completed=False, **window) for d in sorted(days)]
    assert [order[s] for s in seen] == sorted(order[s] for s in seen)
    assert all(s == COMPLETED for s in (status_on(start + timedelta(days=d), completed=True, **window) for d in days))
