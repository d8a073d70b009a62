"""A6 emergency (break-glass) access: a reason first, read only, 60 minutes at most, flagged and reported.

The actors are North's staff; the patient is Demo's. Without a grant every read of Demo's patient is a 404
(tests/security/test_site_isolation.py); these tests break the glass and check what it opens, for how long,
and what it leaves on Demo's audit trail.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from handregen.audit.models import AccessEvent, AuditEvent
from handregen.audit.verify import verify_all
from handregen.errors import RecordProtected
from handregen.patients.models import BreakGlassGrant
from tests.cellproducts.chain import Clock

REASON = "Unconscious in our emergency room; need allergies and recent procedures"


@pytest.fixture
def demo_patient(make_patient: Any, persona: Any) -> Any:
    return make_patient(persona("physician"), family_name="Zyqglass", given_name="Ada")


@pytest.fixture
def demo_episode(make_episode: Any, persona: Any, demo_patient: Any) -> Any:
    return make_episode(persona("physician"), patient=demo_patient)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def _open(client: Any, patient: Any, **body: Any) -> Any:
    return client.post(f"/api/v1/patients/{patient.pk}/break-glass", body)


def _flagged(patient: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="break_glass.open", patient_id=patient.pk))


def test_without_a_reason_the_glass_stays_whole(api: Any, demo_patient: Any) -> None:
    north = api("physician", "north")
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x"}):
        response = _open(north, demo_patient, **body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    assert north.get(f"/api/v1/patients/{demo_patient.pk}").status_code == 404
    assert not BreakGlassGrant.objects.exists() and not _flagged(demo_patient)


def test_with_a_reason_the_record_opens_and_a_flagged_event_carries_the_reason(
    api: Any, demo_patient: Any, persona: Any
) -> None:
    north = api("physician", "north")
    assert north.get(f"/api/v1/patients/{demo_patient.pk}").status_code == 404
    opened = _open(north, demo_patient, reason=REASON)
    assert opened.status_code == 201, opened.content
    read = north.get(f"/api/v1/patients/{demo_patient.pk}")
    assert read.status_code == 200 and read.json()["family_name"] == "Zyqglass"
    [event] = _flagged(demo_patient)
    assert event.reason == REASON and event.changes["flagged"] is True
    assert event.site == demo_patient.site and event.chain == f"site:{demo_patient.site_id}"  # Demo's chain
    assert event.actor == persona("physician", "north").user and event.changes["from_site"] == [None, "north"]
    read_logged = AccessEvent.objects.get(patient_id=demo_patient.pk, actor=event.actor, channel="api")
    assert read_logged.site == demo_patient.site  # Demo sees who read its patient
    assert all(r.ok for r in verify_all())


def test_the_grant_ends_after_60_minutes(api: Any, demo_patient: Any, clock: Clock) -> None:
    north = api("physician", "north")
    assert _open(north, demo_patient, reason=REASON).status_code == 201
    clock.advance(minutes=59)
    assert north.get(f"/api/v1/patients/{demo_patient.pk}").status_code == 200
    clock.advance(minutes=1, seconds=1)
    assert north.get(f"/api/v1/patients/{demo_patient.pk}").status_code == 404


def test_a_grant_longer_than_60_minutes_is_refused_and_a_shorter_one_ends_sooner(
    api: Any, demo_patient: Any, clock: Clock
) -> None:
    north = api("physician", "north")
    too_long = _open(north, demo_patient, reason=REASON, minutes=61)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "minutes"
    assert _open(north, demo_patient, reason=REASON, minutes=10).status_code == 201
    clock.advance(minutes=10, seconds=1)
    assert north.get(f"/api/v1/patients/{demo_patient.pk}").status_code == 404


def test_the_grant_reads_the_episode_but_never_writes(api: Any, demo_episode: Any) -> None:
    north = api("physician", "north")
    _open(north, demo_episode.patient, reason=REASON)
    detail = north.get(f"/api/v1/episodes/{demo_episode.pk}")
    assert detail.status_code == 200 and detail.json()["allowed_actions"] == []
    assert north.get(f"/api/v1/episodes/{demo_episode.pk}/timeline").json()["count"] >= 1
    before = AuditEvent.objects.filter(site=demo_episode.site).count()
    assert north.post(f"/api/v1/episodes/{demo_episode.pk}/withdraw", {"reason": "Testing a write"}).status_code == 404
    assert (
        north.post(
            f"/api/v1/episodes/{demo_episode.pk}/consultation",
            {"complaint": "Thumb pain", "nrs_pain_rest": 2, "nrs_pain_load": 6},
        ).status_code
        == 404
    )
    demo_episode.refresh_from_db()
    assert demo_episode.stage == "referred"
    assert AuditEvent.objects.filter(site=demo_episode.site).count() == before


def test_the_grant_is_only_for_that_user_and_that_patient(
    api: Any, demo_patient: Any, make_patient: Any, persona: Any
) -> None:
    other = make_patient(persona("physician"))
    _open(api("physician", "north"), demo_patient, reason=REASON)
    assert api("physician", "north").get(f"/api/v1/patients/{other.pk}").status_code == 404
    assert api("nurse", "north").get(f"/api/v1/patients/{demo_patient.pk}").status_code == 404


def test_only_roles_with_the_permission_break_the_glass_and_only_for_another_site(api: Any, demo_patient: Any) -> None:
    assert _open(api("nurse", "north"), demo_patient, reason=REASON).status_code == 403
    own = _open(api("physician", "demo"), demo_patient, reason=REASON)
    assert own.status_code == 409 and "your own site" in own.json()["reasons"][0]
    assert _open(api("site_admin", "north"), demo_patient, reason=REASON).status_code == 201


def test_an_unknown_patient_is_a_404(api: Any) -> None:
    response = api("physician", "north").post(
        "/api/v1/patients/00000000-0000-4000-8000-000000000000/break-glass", {"reason": REASON}
    )
    assert response.status_code == 404


def test_the_report_lists_the_event_for_the_patients_site_only(api: Any, demo_patient: Any) -> None:
    north = api("physician", "north")
    _open(north, demo_patient, reason=REASON)
    north.get(f"/api/v1/patients/{demo_patient.pk}")
    north.get(f"/api/v1/patients/{demo_patient.pk}")
    report = api("site_admin", "demo").get("/api/v1/audit/break-glass")
    assert report.status_code == 200
    [row] = report.json()["items"]
    grant = BreakGlassGrant.objects.get()
    assert row["by"] and row["role"] == "physician" and row["from_site"] == "north"
    assert row["patient_id"] == str(demo_patient.pk) and row["mrn"] == demo_patient.mrn
    assert row["reason"] == REASON and row["seq"] == _flagged(demo_patient)[0].seq
    assert row["expires_at"].startswith(grant.expires_at.isoformat()[:19]) and row["reads"] == 2
    assert api("site_admin", "north").get("/api/v1/audit/break-glass").json()["count"] == 0
    assert api("physician", "demo").get("/api/v1/audit/break-glass").status_code == 403


def test_the_cli_lists_the_event(api: Any, demo_patient: Any) -> None:
    _open(api("physician", "north"), demo_patient, reason=REASON)
    out = StringIO()
    call_command("audit", "break-glass", "--site", "demo", stdout=out)
    assert REASON in out.getvalue() and str(demo_patient.pk) in out.getvalue()
    assert "1 break-glass opening(s) of demo patients" in out.getvalue()


def test_grants_are_append_only(api: Any, demo_patient: Any) -> None:
    _open(api("physician", "north"), demo_patient, reason=REASON)
    grant = BreakGlassGrant.objects.get()
    grant.reason = "rewritten"
    with pytest.raises(RecordProtected):
        grant.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE patients_breakglassgrant SET expires_at = expires_at")


# --- the staff pages --------------------------------------------------------------------------------


def test_the_404_page_offers_the_glass_and_the_form_opens_the_record_read_only(
    signed_in: Any, demo_episode: Any
) -> None:
    web = signed_in("physician", "north")
    patient = demo_episode.patient
    missing = web.get(f"/patients/{patient.pk}/")
    assert missing.status_code == 404 and f"/patients/{patient.pk}/break-glass/" in missing.content.decode()
    assert "Zyqglass" not in missing.content.decode()
    blank = web.post(f"/patients/{patient.pk}/break-glass/", {"reason": "", "minutes": 60})
    assert blank.status_code == 200 and not BreakGlassGrant.objects.exists()
    done = web.post(f"/patients/{patient.pk}/break-glass/", {"reason": REASON, "minutes": 60})
    assert done.status_code == 302 and done["Location"] == f"/patients/{patient.pk}/"
    page = web.get(f"/patients/{patient.pk}/").content.decode()
    assert "Zyqglass" in page and "Emergency access (break-glass)" in page and "Open episode" not in page
    assert web.post(f"/patients/{patient.pk}/", {"indication": "thumb_cmc_oa", "side": "left"}).status_code == 404
    episode_page = web.get(f"/episodes/{demo_episode.pk}/")
    assert episode_page.status_code == 200 and "read only" in episode_page.content.decode()
    assert "Nothing for your role at this stage." in episode_page.content.decode()
    assert patient.episodes.count() == 1


def test_the_404_page_offers_no_glass_to_a_role_without_it(signed_in: Any, demo_patient: Any) -> None:
    web = signed_in("nurse", "north")
    missing = web.get(f"/patients/{demo_patient.pk}/")
    assert missing.status_code == 404 and "break-glass" not in missing.content.decode()
    assert web.get(f"/patients/{demo_patient.pk}/break-glass/").status_code == 404


def test_the_report_page_is_for_the_site_admin(signed_in: Any, api: Any, demo_patient: Any) -> None:
    _open(api("physician", "north"), demo_patient, reason=REASON)
    page = signed_in("site_admin", "demo").get("/audit/break-glass/")
    assert page.status_code == 200 and REASON in page.content.decode() and demo_patient.mrn in page.content.decode()
    assert signed_in("physician", "demo").get("/audit/break-glass/").status_code == 404
