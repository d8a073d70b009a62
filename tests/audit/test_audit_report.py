"""The audit report: who wrote or read which patient's record and when, per patient and per period; no values."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any
from urllib.parse import urlencode

from django.core.management import call_command
from django.utils import timezone

CANARY = "Qzxcanary"


def _report(client: Any, **params: Any) -> Any:
    return client.get("/api/v1/audit/events?" + urlencode(params))


def test_a_patients_report_holds_the_write_and_the_read_with_who_and_what_kind(api: Any, make_patient: Any) -> None:
    patient = make_patient(family_name=CANARY)
    other = make_patient(family_name="Other")
    assert api("nurse").get(f"/api/v1/patients/{patient.pk}").status_code == 200

    response = _report(api("site_admin"), patient_id=str(patient.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    kinds = {(row["kind"], row["what"]) for row in body["items"]}
    assert ("write", "patient.register") in kinds
    assert ("read", "demographics") in kinds
    assert {row["patient_id"] for row in body["items"]} == {str(patient.pk)}
    read = next(row for row in body["items"] if row["kind"] == "read")
    assert read["by"] and read["channel"] == "api"
    assert CANARY not in response.content.decode() and str(other.pk) not in response.content.decode()
    assert body["truncated"] is False and body["count"] == len(body["items"])


def test_the_period_leaves_out_what_happened_outside_it(api: Any, make_patient: Any) -> None:
    patient = make_patient()
    admin = api("site_admin")
    later = (timezone.now() + timedelta(minutes=5)).isoformat()
    assert _report(admin, patient_id=str(patient.pk), since=later).json()["items"] == []
    earlier = (timezone.now() - timedelta(minutes=5)).isoformat()
    assert _report(admin, patient_id=str(patient.pk), until=earlier).json()["items"] == []
    assert _report(admin, patient_id=str(patient.pk), since=earlier).json()["count"] >= 1


def test_only_those_who_review_the_audit_trail_get_the_report(api: Any, make_patient: Any) -> None:
    patient = make_patient()
    for role in ("physician", "nurse", "coordinator", "lab_technician", "researcher"):
        assert _report(api(role), patient_id=str(patient.pk)).status_code == 403, role


def test_another_sites_patient_is_not_found_and_its_events_never_shown(api: Any, make_patient: Any) -> None:
    patient = make_patient()
    north_admin = api("site_admin", "north")
    assert _report(north_admin, patient_id=str(patient.pk)).status_code == 404
    assert str(patient.pk) not in _report(north_admin).content.decode()


def test_the_operators_command_lists_the_same_events(make_patient: Any) -> None:
    patient = make_patient(family_name=CANARY)
    out = StringIO()
    call_command("audit", "report", "--site", "demo", "--patient", str(patient.pk), stdout=out)
    text = out.getvalue()
    assert "patient.register" in text and str(patient.pk) in text and CANARY not in text
    assert "1 event(s) at demo" in text
