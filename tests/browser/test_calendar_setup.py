"""A site admin sets up the calendar in Chromium: a room and its Monday hours, read back in plain words."""

from __future__ import annotations

import os

import pytest

from handregen.scheduling.models import Resource, WorkingHours

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_site_admin_adds_a_room_and_its_hours(page, sign_in, screenshot, demo_site):
    sign_in(page, "site_admin")
    page.goto("/schedule/setup/")
    add = page.locator("form").filter(has=page.get_by_role("button", name="Add"))
    add.get_by_label("What it is").select_option(label="Room")
    add.get_by_label("Name people know it by").fill("Room 7")
    add.get_by_label("Kind of room (rooms only)").select_option(label="Consultation room")
    add.get_by_role("button", name="Add").click()
    page.get_by_text("Room 7 added.").wait_for()
    hours = page.locator("form").filter(has=page.get_by_role("button", name="Save hours"))
    hours.get_by_label("Resource").select_option(label="Room 7")
    hours.get_by_label("Day").select_option(label="Monday")
    hours.get_by_label("Opens").fill("08:30")
    hours.get_by_label("Closes").fill("16:00")
    hours.get_by_role("button", name="Save hours").click()
    page.get_by_text("Hours saved.").wait_for()
    assert "Mon 08:30 to 16:00" in page.get_by_role("row", name="Room 7").inner_text()
    room = Resource.objects.get(name="Room 7")
    assert room.room_kind == "consultation" and WorkingHours.objects.filter(resource=room, weekday=0).exists()
    screenshot(page, "calendar-setup-1280")
    page.set_viewport_size({"width": 320, "height": 900})
    screenshot(page, "calendar-setup-320")
