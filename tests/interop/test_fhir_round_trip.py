"""Issue 8's round trip: export a registry, import it into a database without it, export again: the same NDJSON.

The registry is the synthetic one (every stage of the pathway, written by `synth_registry`). The "database
without it" is the same test database after the registry's savepoint is rolled back: the site is there, empty,
with no patient, episode, product, protocol or consent document row the registry brought.
"""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command
from django.db import transaction

from handregen.analytics.synthetic.writer import synth_registry
from handregen.audit.models import AuditEvent
from handregen.audit.verify import verify_chain
from handregen.errors import Forbidden, InvalidInput
from handregen.interop.fhir.bulk import export_ndjson
from handregen.interop.fhir.migration import ACTION, registry_import
from handregen.interop.models import ImportBatch
from handregen.patients.models import Patient
from tests.interop.test_fhir_everything import EXPECTED_TYPES

SEED = 13  # 60 patients of this seed reach every stage; 24 of them cover every resource type
PATIENTS = 24


class _Undo(Exception):
    """Raised to roll the registry back once it is exported."""


def normalised(folder: Path) -> dict[str, list[bytes]]:
    """Each NDJSON file's lines without meta.lastUpdated and meta.versionId (this server's own write history, new
    on import), sorted by id."""
    files = {}
    for file in sorted(folder.glob("*.ndjson")):
        lines = []
        for line in file.read_bytes().splitlines():
            resource = orjson.loads(line)
            meta = resource.get("meta")
            if meta:
                meta.pop("lastUpdated", None)
                meta.pop("versionId", None)
                if not meta:
                    del resource["meta"]
                line = orjson.dumps(resource)
            lines.append((resource["id"], line))
        files[file.stem] = [line for _, line in sorted(lines)]
    return files


@pytest.fixture
def exported(demo_site, persona, tmp_path) -> Path:
    """A synthetic registry exported to a folder, then rolled back: the site is empty again."""
    persona("site_admin"), persona("physician"), persona("data_steward")  # staff who outlive the rollback
    out = tmp_path / "first"
    with pytest.raises(_Undo), transaction.atomic():
        synth_registry(site=demo_site, count=PATIENTS, seed=SEED)
        export_ndjson(actor=persona("data_steward"), out=out)
        raise _Undo
    assert not Patient.objects.filter(site=demo_site).exists()
    return out


def test_export_import_export_gives_the_same_ndjson_for_every_type(exported, persona, tmp_path):
    registry_import(actor=persona("site_admin"), path=exported)
    export_ndjson(actor=persona("data_steward"), out=tmp_path / "second")

    before, after = normalised(exported), normalised(tmp_path / "second")
    assert sorted(before) == sorted(
        [
            "AdverseEvent", "BiologicallyDerivedProduct", "CarePlan", "Condition", "Consent", "Encounter",
            "Observation", "Patient", "Procedure", "QuestionnaireResponse",
        ]
    )  # fmt: skip
    for resource_type, lines in before.items():
        assert after.get(resource_type) == lines, resource_type


def test_a_second_import_writes_nothing_and_audits_nothing(exported, persona):
    admin = persona("site_admin")
    first = registry_import(actor=admin, path=exported)
    events = AuditEvent.objects.filter(action=ACTION).count()

    second = registry_import(actor=admin, path=exported)

    assert first.rows_written > 0 and events == first.rows_written
    assert second.rows_written == 0
    assert sum(second.unchanged.values()) == first.rows_written
    assert AuditEvent.objects.filter(action=ACTION).count() == events
    assert ImportBatch.objects.get(pk=second.batch_id).created == {}


def test_every_imported_row_is_audited_in_the_site_chain_with_its_batch(exported, persona, demo_site):
    report = registry_import(actor=persona("site_admin"), path=exported)

    batches = set(AuditEvent.objects.filter(action=ACTION).values_list("changes__import_batch", flat=True).distinct())
    assert batches == {str(report.batch_id)}
    assert ImportBatch.objects.get(pk=report.batch_id).created == dict(report.created)
    assert verify_chain(f"site:{demo_site.pk}").ok


def test_an_invalid_resource_refuses_the_whole_import_naming_the_resource_and_field(exported, persona, demo_site):
    lines = (exported / "Consent.ndjson").read_bytes().splitlines()
    broken = orjson.loads(lines[-1])
    broken["status"] = 42
    (exported / "Consent.ndjson").write_bytes(b"\n".join([*lines[:-1], orjson.dumps(broken)]) + b"\n")

    with pytest.raises(InvalidInput) as refused:
        registry_import(actor=persona("site_admin"), path=exported)

    where, message = refused.value.errors[0]
    assert f"Consent/{broken['id']}" in where and "Consent.ndjson:line" in where
    assert message.startswith("status")
    assert not Patient.objects.filter(site=demo_site).exists()


def test_a_resource_that_cannot_be_rebuilt_refuses_the_import_and_writes_nothing(exported, persona, demo_site):
    lines = (exported / "Condition.ndjson").read_bytes().splitlines()
    broken = orjson.loads(lines[0])
    broken["note"] = [{"text": "an episode from elsewhere"}]
    (exported / "Condition.ndjson").write_bytes(b"\n".join([orjson.dumps(broken), *lines[1:]]) + b"\n")

    with pytest.raises(InvalidInput) as refused:
        registry_import(actor=persona("site_admin"), path=exported)

    assert any(f"Condition/{broken['id']}" in where for where, _ in refused.value.errors)
    assert not Patient.objects.filter(site=demo_site).exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("role", ["physician", "nurse", "coordinator", "lab_technician", "researcher"])
def test_only_the_site_administrator_may_migrate_a_registry_in(exported, persona, role):
    with pytest.raises(Forbidden):
        registry_import(actor=persona(role), path=exported)


def test_the_command_migrates_the_export_folder_and_says_what_it_wrote(exported, persona, demo_site):
    admin = persona("site_admin")
    out = io.StringIO()

    call_command("import", "fhir", str(exported), "--migrate", "--user", admin.user.username, stdout=out)

    assert "Patient: 24 written, 0 already here" in out.getvalue()
    assert Patient.objects.filter(site=demo_site).count() == PATIENTS


def test_a_reference_to_a_patient_neither_exported_nor_here_refuses_the_import(exported, persona, demo_site):
    patients = (exported / "Patient.ndjson").read_bytes().splitlines()
    missing = orjson.loads(patients[0])["id"]
    (exported / "Patient.ndjson").write_bytes(b"\n".join(patients[1:]) + b"\n")

    with pytest.raises(InvalidInput) as refused:
        registry_import(actor=persona("site_admin"), path=exported)

    assert any(f"Patient {missing}" in where for where, _ in refused.value.errors)
    assert not Patient.objects.filter(site=demo_site).exists()


def test_a_patient_treated_through_the_services_comes_back_the_same(treated, persona, tmp_path, demo_site):
    """The journey's records (real services, a released and injected product, a w2 response, an adverse event)."""
    persona("site_admin"), persona("physician"), persona("data_steward")
    first = tmp_path / "first"
    with pytest.raises(_Undo), transaction.atomic():
        treated()
        export_ndjson(actor=persona("data_steward"), out=first)
        raise _Undo
    assert not Patient.objects.filter(site=demo_site).exists()

    registry_import(actor=persona("site_admin"), path=first)
    export_ndjson(actor=persona("data_steward"), out=tmp_path / "second")

    before, after = normalised(first), normalised(tmp_path / "second")
    assert set(before) == EXPECTED_TYPES
    for resource_type, lines in before.items():
        assert after.get(resource_type) == lines, resource_type
