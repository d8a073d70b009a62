"""The audit trail: append-only in the database, hash-chained, verified by the CLI."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from handregen.audit.models import AccessEvent, AuditEvent
from handregen.audit.verify import verify_all
from handregen.errors import RecordProtected


def test_audit_events_refuse_orm_changes(make_patient):
    make_patient()
    event = AuditEvent.objects.first()
    event.reason = "rewritten"
    with pytest.raises(RecordProtected):
        event.save()
    with pytest.raises(RecordProtected):
        event.delete()
    with pytest.raises(RecordProtected):
        AuditEvent.objects.update(reason="x")
    with pytest.raises(RecordProtected):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'x'",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_accessevent SET category = 'x'",
    ],
)
def test_the_database_itself_refuses_raw_updates_and_deletes(make_patient, api, statement):
    patient = make_patient()
    api().get(f"/api/v1/patients/{patient.pk}")
    assert AccessEvent.objects.exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_every_chain_verifies_after_normal_work(make_episode):
    make_episode()
    reports = verify_all()
    assert reports and all(r.ok for r in reports)
    call_command("audit", "verify")


def _tamper(sql: str, params: list) -> None:
    # Only a database superuser can switch the triggers off; that is the attack the chain must reveal.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute(sql, params)
        else:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")


def test_a_rewritten_event_is_named_by_the_verifier(make_episode):
    make_episode()
    target = AuditEvent.objects.filter(action="patient.register").get()
    _tamper("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["nothing to see", target.seq])
    broken = [r for r in verify_all() if not r.ok]
    assert [r.broken_at for r in broken] == [target.seq]
    with pytest.raises(CommandError, match=f"broken at event {target.seq}"):
        call_command("audit", "verify")


def test_reads_of_a_patient_are_logged_without_values(make_patient, api):
    patient = make_patient(family_name="Canaryname")
    api().get(f"/api/v1/patients/{patient.pk}")
    event = AccessEvent.objects.get()
    assert (event.patient_id, event.category, event.channel) == (patient.pk, "demographics", "api")
    assert "Canaryname" not in str(vars(event))
