"""Registering and amending patients through the service, and the guards around it."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden, GuardRefused, InvalidInput, RecordProtected
from handregen.patients.models import Patient
from handregen.patients.services import patient_amend


def test_registering_a_patient_gives_a_valid_wristband_code_and_audits_every_field(make_patient, physician):
    patient = make_patient(mrn="M-1", given_name="Ada")
    from handregen.patients.wristband import parse_wristband_code

    assert parse_wristband_code(patient.wristband_code) == patient.wristband_code
    event = AuditEvent.objects.get(action="patient.register", object_id=str(patient.pk))
    assert event.actor == physician.user
    assert event.site == physician.site
    assert event.changes["mrn"] == [None, "M-1"]
    assert event.changes["given_name"] == [None, "Ada"]
    assert event.patient_id == patient.pk


def test_an_mrn_already_used_at_the_site_is_refused(make_patient):
    make_patient(mrn="DUP")
    with pytest.raises(GuardRefused, match="MRN DUP is already used"):
        make_patient(mrn="DUP")
    assert Patient.objects.filter(mrn="DUP").count() == 1


def test_the_same_mrn_at_another_site_is_a_different_patient(make_patient, persona):
    make_patient(mrn="SHARED")
    make_patient(actor=persona("physician", "north"), mrn="SHARED")
    assert Patient.objects.filter(mrn="SHARED").count() == 2


def test_a_birth_date_in_the_future_is_invalid(make_patient):
    with pytest.raises(InvalidInput) as caught:
        make_patient(birth_date=timezone.localdate() + timedelta(days=1))
    assert caught.value.errors == [("birth_date", "is in the future")]


def test_a_researcher_may_not_register_patients(make_patient, persona):
    with pytest.raises(Forbidden):
        make_patient(actor=persona("researcher"))
    assert not Patient.objects.exists()


def test_an_amendment_needs_a_reason_and_keeps_the_old_value_in_the_audit(make_patient, physician):
    patient = make_patient(family_name="Smyth")
    with pytest.raises(InvalidInput):
        patient_amend(actor=physician, patient=patient, changes={"family_name": "Smith"}, reason=" ")
    amended = patient_amend(actor=physician, patient=patient, changes={"family_name": "Smith"}, reason="typo")
    assert amended.family_name == "Smith" and amended.version == 2
    event = AuditEvent.objects.get(action="patient.amend")
    assert event.changes == {"family_name": ["Smyth", "Smith"]}
    assert event.reason == "typo"


def test_a_stale_amendment_is_refused_and_changes_nothing(make_patient, physician):
    patient = make_patient(family_name="Smyth")
    patient_amend(actor=physician, patient=patient, changes={"family_name": "Smith"}, reason="typo", expected_version=1)
    with pytest.raises(GuardRefused, match="no lost updates"):
        patient_amend(
            actor=physician, patient=patient, changes={"family_name": "Smithe"}, reason="x", expected_version=1
        )
    patient.refresh_from_db()
    assert patient.family_name == "Smith"


def test_fields_outside_the_demographics_cannot_be_amended(make_patient, physician, persona):
    patient = make_patient()
    with pytest.raises(InvalidInput) as caught:
        patient_amend(
            actor=physician, patient=patient, changes={"site_id": persona("physician", "north").site.pk}, reason="move"
        )
    assert caught.value.errors[0][0] == "site_id"


def test_patients_are_never_deleted_nor_bulk_updated(make_patient):
    patient = make_patient()
    with pytest.raises(RecordProtected):
        patient.delete()
    with pytest.raises(RecordProtected):
        Patient.objects.filter(pk=patient.pk).update(family_name="X")
    with pytest.raises(RecordProtected):
        Patient.objects.all().delete()
    assert Patient.objects.get(pk=patient.pk).family_name == "Tyler"


def test_a_failing_audit_write_rolls_the_registration_back(make_patient, monkeypatch):
    import handregen.patients.services as services

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        make_patient(mrn="ROLLBACK", birth_date=date(1970, 1, 1))
    assert not Patient.objects.filter(mrn="ROLLBACK").exists()
