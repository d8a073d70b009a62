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


def _tamper_sql(statements: list[tuple[str, list]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
        else:
            cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _demo_chain(make_episode):
    first = make_episode()
    make_episode()
    events = list(AuditEvent.objects.filter(chain=f"site:{first.site_id}").order_by("seq"))
    assert len(events) >= 4
    return events


def test_a_deleted_event_is_named_by_the_verifier(make_episode):
    events = _demo_chain(make_episode)
    _tamper_sql([("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])])
    assert [r.broken_at for r in verify_all() if not r.ok] == [events[2].seq]


def test_an_inserted_event_is_named_by_the_verifier(make_episode):
    events = _demo_chain(make_episode)
    forged = events[1]
    _tamper_sql(
        [
            (
                "INSERT INTO audit_auditevent (chain, occurred_at, actor_label, actor_role, action, outcome, "
                "object_type, object_id, changes, reason, prev_hash, hash, site_id, key_id) "
                "SELECT chain, occurred_at, actor_label, actor_role, 'patient.amend', outcome, object_type, "
                "object_id, changes, reason, prev_hash, hash, site_id, key_id FROM audit_auditevent WHERE seq = %s",
                [forged.seq],
            )
        ]
    )
    inserted = AuditEvent.objects.order_by("-seq").first()
    assert [r.broken_at for r in verify_all() if not r.ok] == [inserted.seq]


def test_reordered_events_are_named_by_the_verifier(make_episode):
    events = _demo_chain(make_episode)
    first, second = events[1], events[2]
    swap = (
        "UPDATE audit_auditevent SET action = %s, object_id = %s, changes = %s, prev_hash = %s, hash = %s "
        "WHERE seq = %s"
    )
    import json

    _tamper_sql(
        [
            (
                swap,
                [second.action, second.object_id, json.dumps(second.changes), second.prev_hash, second.hash, first.seq],
            ),
            (swap, [first.action, first.object_id, json.dumps(first.changes), first.prev_hash, first.hash, second.seq]),
        ]
    )
    assert [r.broken_at for r in verify_all() if not r.ok] == [first.seq]


def test_bulk_inserts_of_audited_rows_are_refused_outside_the_audited_path(make_patient):
    from handregen.patients.models import Patient

    patient = make_patient()
    with pytest.raises(RecordProtected):
        Patient.objects.bulk_create(
            [
                Patient(
                    site=patient.site,
                    mrn="BULK",
                    given_name="a",
                    family_name="b",
                    birth_date=patient.birth_date,
                    sex="male",
                    dominant_hand="right",
                    wristband_code="WBULK",
                )
            ]
        )
    with pytest.raises(RecordProtected):
        AuditEvent.objects.bulk_create([AuditEvent(chain="global", action="x", prev_hash="0", hash="0")])


def test_an_audited_bulk_insert_writes_one_chained_event_per_row(make_patient, physician):
    from handregen.audit.services import audited_bulk_create
    from handregen.patients.models import Patient
    from handregen.patients.wristband import new_wristband_code

    template = make_patient()
    rows = [
        Patient(
            site=physician.site,
            mrn=f"B-{n}",
            given_name="Bulk",
            family_name=f"Row{n}",
            birth_date=template.birth_date,
            sex="female",
            dominant_hand="right",
            wristband_code=new_wristband_code(),
        )
        for n in range(5)
    ]
    before = AuditEvent.objects.count()
    with transaction.atomic():
        audited_bulk_create(
            actor=physician,
            site=physician.site,
            action="patient.import",
            objects=rows,
            describe=lambda p: {
                "object_type": "patient",
                "object_id": p.pk,
                "patient_id": p.pk,
                "changes": {"mrn": [None, p.mrn]},
            },
        )
    assert Patient.objects.filter(mrn__startswith="B-").count() == 5
    assert AuditEvent.objects.count() == before + 5
    assert all(r.ok for r in verify_all())


def test_audited_bulk_rows_read_back_as_given_and_auto_keys_come_back(make_patient, physician):
    from collections import Counter
    from datetime import date

    from handregen.audit.models import AccessEvent
    from handregen.audit.services import audited_bulk_create
    from handregen.patients.models import Patient
    from handregen.patients.wristband import new_wristband_code

    template = make_patient()
    rows = [
        Patient(
            site=physician.site,
            mrn=f"RB-{n}",
            given_name="Zoë",
            family_name="Row",
            birth_date=date(1950, 1, n + 1),
            sex="female",
            dominant_hand="left",
            occupation="",
            wristband_code=new_wristband_code(),
            is_synthetic=True,
        )
        for n in range(3)
    ]
    reads = [
        AccessEvent(actor=physician.user, site=physician.site, patient_id=template.pk, category="c", channel="web")
    ]
    with transaction.atomic():
        audited_bulk_create(
            actor=physician,
            site=physician.site,
            action="patient.import",
            objects=rows,
            describe=lambda p: {"object_type": "patient", "object_id": p.pk, "patient_id": p.pk}
            | ({"action": "patient.import_first"} if p.mrn == "RB-0" else {}),
        )
        created = audited_bulk_create(
            actor=physician,
            site=physician.site,
            action="access.import",
            objects=reads,
            describe=lambda a: {"object_type": "access", "object_id": "-"},
        )
    stored = {p.mrn: p for p in Patient.objects.filter(mrn__startswith="RB-")}
    for row in rows:
        again = stored[row.mrn]
        assert (again.pk, again.site_id, again.given_name, again.birth_date, again.is_synthetic, again.version) == (
            row.pk,
            row.site_id,
            "Zoë",
            row.birth_date,
            True,
            1,
        )
        assert not row._state.adding and again.created_at is not None
    assert created[0].pk is not None and AccessEvent.objects.filter(pk=created[0].pk).exists()
    actions = Counter(
        AuditEvent.objects.filter(object_type="patient", object_id__in=[str(r.pk) for r in rows]).values_list(
            "action", flat=True
        )
    )
    assert actions == {"patient.import": 2, "patient.import_first": 1}
    assert all(r.ok for r in verify_all())
