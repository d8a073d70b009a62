"""Patient demographics and contact details: viewed, corrected with a reason (versioned, audited), and a stale
correction shows both values."""

from __future__ import annotations

import re

from handregen.audit.models import AuditEvent
from handregen.patients.models import Patient
from tests.state import database_state


def _fields(patient: Patient, **changes: str) -> dict[str, str]:
    return {
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "dominant_hand": patient.dominant_hand,
        "expected_version": str(patient.version),
    } | changes


def test_a_correction_with_a_reason_is_saved_versioned_and_audited(signed_in, make_patient):
    patient = make_patient()
    client = signed_in()
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Correct demographics and contact details" in page and "version 1" in page
    form = client.get(f"/patients/{patient.pk}/correct/").content.decode()
    assert f'value="{patient.birth_date.isoformat()}"' in form and 'value="Tyler"' in form  # what is recorded
    response = client.post(
        f"/patients/{patient.pk}/correct/",
        _fields(patient, family_name="Tyler-Smith", phone="+44 20 7946 0000", reason="Name changed on marriage"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.family_name, patient.version) == ("Tyler-Smith", 2)
    event = AuditEvent.objects.filter(action="patient.amend", object_id=str(patient.pk)).get()
    assert event.changes["family_name"] == ["Tyler", "Tyler-Smith"] and event.reason == "Name changed on marriage"


def test_a_correction_without_a_reason_is_refused_and_keeps_what_was_typed(signed_in, make_patient):
    patient = make_patient()
    client = signed_in()
    before = database_state()
    response = client.post(f"/patients/{patient.pk}/correct/", _fields(patient, given_name="Rosa"))
    assert response.status_code == 200 and 'value="Rosa"' in response.content.decode()
    assert database_state() == before


def test_a_stale_correction_shows_both_values(signed_in, make_patient, persona):
    patient = make_patient()
    first, second = signed_in(), signed_in("coordinator")
    assert (
        first.post(
            f"/patients/{patient.pk}/correct/", _fields(patient, given_name="Rosa", reason="Spelling on the passport")
        ).status_code
        == 302
    )
    stale = second.post(
        f"/patients/{patient.pk}/correct/", _fields(patient, given_name="Rosie", reason="What she is called")
    )
    text = re.sub(r"\s+", " ", stale.content.decode())
    assert stale.status_code == 200
    assert "<td>given name</td><td>Rosa</td><td>Rosie <strong>(differs)</strong></td>" in text
    assert 'value="Rosie"' in text
    assert Patient.objects.get(pk=patient.pk).given_name == "Rosa"
