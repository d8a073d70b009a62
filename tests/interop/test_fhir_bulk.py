"""FHIR Bulk Data: `handregen export fhir` writes NDJSON per type with a manifest; `$export` kick-off, status,
cancel and files over the API, run by the background worker, behind their own permission, per-user limits,
visible to the requester and the site's administrators only, files in the file store with an expiry."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from handregen.accounts.models import Membership
from handregen.audit.models import AuditEvent
from handregen.interop.fhir import bulk_jobs
from handregen.interop.fhir.bulk_jobs import export_cleanup
from handregen.interop.models import (
    BulkExportJob,
    BulkExportProgress,
    BulkExportRemoval,
    BulkExportRequest,
)
from handregen.jobs.worker import ready_jobs_run
from tests.interop.test_fhir_everything import EXPECTED_TYPES

STEWARD = "data_steward"


@pytest.fixture
def files_dir(settings, tmp_path):
    """The "files" store in a folder of its own, as a shared store would be."""
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "store")},
        },
    }
    return tmp_path / "store"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _local(url: str) -> str:
    return url.split("testserver", 1)[1]


def kick_off(client, path: str = "/fhir/R4/$export", **params):
    client.headers["Prefer"] = "respond-async"
    return client.get(path, **params)


def started(client, path: str = "/fhir/R4/$export", **params) -> str:
    response = kick_off(client, path, **params)
    assert response.status_code == 202, response.content
    return _local(response["Content-Location"])


def finished_manifest(client, status_path: str) -> dict:
    ready_jobs_run()
    response = client.get(status_path)
    assert response.status_code == 200, response.content
    return response.json()


def test_export_fhir_writes_one_valid_ndjson_file_per_type_and_a_manifest(tmp_path, treated, persona, capsys):
    episode = treated()
    user = persona(STEWARD).user.username
    call_command("export", "fhir", "--out", str(tmp_path / "out"), "--user", user)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {o["type"] for o in manifest["output"]} == EXPECTED_TYPES
    assert manifest["transactionTime"] and manifest["request"]
    for output in manifest["output"]:
        lines = _lines(tmp_path / "out" / output["url"])
        assert len(lines) == output["count"]
        for resource in lines:
            assert resource["resourceType"] == output["type"]
            get_fhir_model_class(output["type"]).model_validate(resource)
    patients = _lines(tmp_path / "out" / "Patient.ndjson")
    assert [p["id"] for p in patients] == [str(episode.patient_id)]
    assert "resources in" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="export.fhir").exists()


def test_export_fhir_lists_the_same_resources_as_everything(tmp_path, treated, api, persona):
    episode = treated()
    call_command("export", "fhir", "--out", str(tmp_path), "--user", persona(STEWARD).user.username)
    exported = [
        r for t in EXPECTED_TYPES if (tmp_path / f"{t}.ndjson").exists() for r in _lines(tmp_path / f"{t}.ndjson")
    ]
    body = api().get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").json()
    everything = [e["resource"] for e in body["entry"]]
    key = lambda r: (r["resourceType"], r["id"])  # noqa: E731
    assert sorted(exported, key=key) == sorted(everything, key=key)


def test_export_fhir_leaves_out_other_sites_patients(tmp_path, make_patient, persona):
    make_patient(mrn="HERE-1")
    north = persona(STEWARD, "north")
    call_command("export", "fhir", "--out", str(tmp_path), "--user", north.user.username)
    assert not (tmp_path / "Patient.ndjson").exists()
    assert json.loads((tmp_path / "manifest.json").read_text())["output"] == []


def test_export_fhir_as_an_unknown_user_is_a_command_error(tmp_path, db):
    with pytest.raises(CommandError, match="No active user"):
        call_command("export", "fhir", "--out", str(tmp_path), "--user", "nobody")


def test_kick_off_without_prefer_respond_async_is_a_400_operation_outcome(api, files_dir):
    response = api(STEWARD).get("/fhir/R4/$export")
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"
    assert not BulkExportRequest.objects.exists()


@pytest.mark.parametrize("role", ["physician", "nurse", "coordinator", "lab_technician", "researcher"])
def test_clinical_and_research_roles_may_not_export_in_bulk(api, make_patient, files_dir, role):
    make_patient()
    response = kick_off(api(role))
    assert response.status_code == 403 and response.json()["resourceType"] == "OperationOutcome"
    assert "data steward" in response.json()["issue"][0]["diagnostics"]
    assert not BulkExportRequest.objects.exists()


def test_kick_off_answers_202_and_a_worker_writes_the_files_to_the_store(api, treated, files_dir, persona):
    episode = treated()
    client = api(STEWARD)
    status_path = started(client, "/fhir/R4/Patient/$export")
    assert "/fhir/R4/bulk/" in status_path
    waiting = client.get(status_path)
    assert waiting.status_code == 202 and waiting["X-Progress"] == "waiting to start"
    assert not BulkExportJob.objects.exists()  # nothing was exported inside the kick-off request

    assert ready_jobs_run() == 1
    status = client.get(status_path)

    assert status.status_code == 200
    manifest = status.json()
    assert {o["type"] for o in manifest["output"]} == EXPECTED_TYPES and manifest["requiresAccessToken"] is True
    job = BulkExportJob.objects.get()
    expires = job.completed_at + timedelta(hours=24)
    assert manifest["extension"]["expires"] == expires.isoformat()
    assert status["Expires"] == expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    patient_file = next(o for o in manifest["output"] if o["type"] == "Patient")
    download = client.get(_local(patient_file["url"]))
    assert download.status_code == 200 and download["Content-Type"] == "application/fhir+ndjson"
    assert download["Expires"] == status["Expires"]
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(episode.patient_id)]
    assert (job.site.code, job.level, job.requested_by) == ("demo", "patient", persona(STEWARD).user)
    assert (files_dir / "fhir-bulk" / str(job.pk) / "Patient.ndjson").is_file()
    logged = AuditEvent.objects.get(action="export.fhir_downloaded")
    assert (logged.actor, logged.object_id, logged.changes) == (persona(STEWARD).user, str(job.pk), {"type": "Patient"})


def test_another_sites_token_gets_neither_status_nor_files_and_no_token_gets_401(api, make_patient, files_dir):
    make_patient()
    client = api(STEWARD)
    path = started(client)
    ready_jobs_run()
    north = api(STEWARD, "north")
    assert north.get(path).status_code == 404
    assert north.get(f"{path}/Patient.ndjson").status_code == 404
    assert api(None).get(f"{path}/Patient.ndjson").status_code == 401  # requiresAccessToken is honoured
    assert client.get(f"{path}/Patient.ndjson").status_code == 200
    assert client.get(f"{path}/Medication.ndjson").status_code == 404
    assert AuditEvent.objects.filter(action="export.fhir_downloaded").count() == 1


def test_a_job_is_seen_by_its_requester_and_the_site_admin_only(api, make_patient, files_dir, persona, demo_site):
    from handregen.accounts.services import staff_ensure

    make_patient()
    path = started(api(STEWARD))
    ready_jobs_run()
    other = staff_ensure(site=demo_site, username="steward.two", role=STEWARD, password="x" * 20)
    from handregen.accounts.services import token_create

    colleague = type(api(None))(token_create(username=other.username, site_code="demo"))
    assert colleague.get(path).status_code == 404
    assert colleague.get(f"{path}/Patient.ndjson").status_code == 404
    admin = api("site_admin")
    assert admin.get(path).status_code == 200
    assert admin.get(f"{path}/Patient.ndjson").status_code == 200


def test_a_second_export_while_one_runs_is_a_429_and_the_hourly_limit_too(api, make_patient, files_dir, settings):
    settings.HANDREGEN_BULK_MAX_PER_HOUR = 2
    make_patient()
    client = api(STEWARD)
    started(client)

    refused = kick_off(client)
    assert refused.status_code == 429 and refused.json()["issue"][0]["code"] == "throttled"
    assert "still running" in refused.json()["issue"][0]["diagnostics"] and refused["Retry-After"] == "60"

    ready_jobs_run()
    started(client)
    ready_jobs_run()
    hourly = kick_off(client)
    assert hourly.status_code == 429 and "in the last hour" in hourly.json()["issue"][0]["diagnostics"]
    assert 0 < int(hourly["Retry-After"]) <= 3600
    assert BulkExportRequest.objects.count() == 2


def test_since_keeps_the_patients_with_changes_since_then(api, make_patient, files_dir):
    make_patient(mrn="BEFORE-1")
    since = timezone.now()
    later = make_patient(mrn="AFTER-1")
    client = api(STEWARD)

    manifest = finished_manifest(client, started(client, _since=since.isoformat()))

    patient_file = next(o for o in manifest["output"] if o["type"] == "Patient")
    lines = b"".join(client.get(_local(patient_file["url"])).streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(later.pk)]


def test_since_needs_an_instant_with_a_time_zone(api, files_dir):
    for wrong in ["2026-01-01T00:00:00", "yesterday", "2026-13-01T00:00:00Z"]:
        response = kick_off(api(STEWARD), _since=wrong)
        assert response.status_code == 400 and "_since" in response.json()["issue"][0]["diagnostics"]
    assert not BulkExportRequest.objects.exists()


def test_type_limits_the_files_and_an_unknown_type_is_a_400(api, treated, files_dir):
    treated()
    client = api(STEWARD)
    manifest = finished_manifest(client, started(client, _type="Patient,Consent"))
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Consent"]
    response = kick_off(client, _type="Patient,Medication")
    assert response.status_code == 400 and "Medication" in response.json()["issue"][0]["diagnostics"]
    assert kick_off(client, _outputFormat="text/csv").status_code == 400
    assert kick_off(client, _elements="id").status_code == 400


def test_group_export_is_the_sites_group_and_another_group_is_not_found(api, make_patient, files_dir):
    patient = make_patient()
    client = api(STEWARD)
    assert kick_off(client, "/fhir/R4/Group/site-north/$export").status_code == 404
    manifest = finished_manifest(client, started(client, "/fhir/R4/Group/site-demo/$export"))
    assert BulkExportJob.objects.get().level == "group"
    patient_file = next(o for o in manifest["output"] if o["type"] == "Patient")
    lines = b"".join(client.get(_local(patient_file["url"])).streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(patient.pk)]


def test_delete_cancels_a_waiting_export_without_csrf_and_it_never_runs(api, make_patient, files_dir, persona):
    make_patient()
    client = api(STEWARD)
    path = started(client)
    strict = Client(enforce_csrf_checks=True)  # a token-authenticated DELETE needs no CSRF token

    response = strict.delete(path, headers=client.headers)

    assert response.status_code == 202
    ready_jobs_run()
    assert not BulkExportJob.objects.exists()
    assert client.get(path).status_code == 404
    assert AuditEvent.objects.filter(action="export.fhir_cancelled", actor=persona(STEWARD).user).count() == 1
    assert strict.delete(path, headers=client.headers).status_code == 404
    assert kick_off(client).status_code == 202  # a cancelled export no longer counts as running


def test_delete_stops_a_running_export_at_its_next_batch(api, make_patient, files_dir, monkeypatch):
    make_patient()
    make_patient()
    client = api(STEWARD)
    path = started(client)
    original = bulk_jobs._progress

    def cancel_after_first_batch(request, done, total):
        Client().delete(path, headers=client.headers)
        original(request, done, total)

    monkeypatch.setattr(bulk_jobs, "_progress", cancel_after_first_batch)
    ready_jobs_run()
    assert not BulkExportJob.objects.exists()
    assert not list(files_dir.rglob("*.ndjson"))
    assert client.get(path).status_code == 404


def test_delete_of_a_finished_export_removes_its_files(api, make_patient, files_dir):
    make_patient()
    client = api(STEWARD)
    path = started(client)
    ready_jobs_run()
    assert list(files_dir.rglob("*.ndjson"))

    assert Client(enforce_csrf_checks=True).delete(path, headers=client.headers).status_code == 202

    assert not list(files_dir.rglob("*.ndjson"))
    assert BulkExportRemoval.objects.get().why == "cancelled"
    assert client.get(f"{path}/Patient.ndjson").status_code == 404


def test_files_expire_and_the_scheduled_cleanup_deletes_them(api, make_patient, files_dir, settings):
    make_patient()
    client = api(STEWARD)
    path = started(client)
    ready_jobs_run()
    job = BulkExportJob.objects.get()
    assert export_cleanup(now=job.completed_at + timedelta(hours=23)) == {"expired": 0, "cancelled": 0, "files": 0}
    assert client.get(path).status_code == 200

    counts = export_cleanup(now=job.completed_at + timedelta(hours=24, seconds=1))

    assert counts == {"expired": 1, "cancelled": 0, "files": 1}
    assert not list(files_dir.rglob("*.ndjson"))
    removal = BulkExportRemoval.objects.get()
    assert (removal.job_id, removal.why, removal.files) == (job.pk, "expired", 1)
    event = AuditEvent.objects.get(action="export.fhir_files_removed")
    assert (event.site_id, event.actor_label, event.changes["why"]) == (job.site_id, "system", "expired")
    assert export_cleanup(now=job.completed_at + timedelta(days=3))["expired"] == 0  # once only
    settings.HANDREGEN_BULK_RETENTION_HOURS = 0
    assert client.get(path).status_code == 404


def test_status_gives_the_progress_while_the_export_runs(api, make_patient, files_dir):
    make_patient()
    client = api(STEWARD)
    path = started(client)
    request = BulkExportRequest.objects.get()
    BulkExportProgress.objects.create(request=request, done=200, total=1000, updated_at=timezone.now())

    status = client.get(path)

    assert status.status_code == 202 and status["X-Progress"] == "200 of 1000 patients exported"
    assert status["Retry-After"] == "2"


def test_an_export_that_fails_on_the_server_gives_a_500_operation_outcome(api, make_patient, files_dir, monkeypatch):
    make_patient()
    client = api(STEWARD)
    path = started(client)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bulk_jobs, "export_ndjson", broken)
    ready_jobs_run()

    status = client.get(path)
    assert status.status_code == 500 and status.json()["resourceType"] == "OperationOutcome"
    assert "failed on the server" in status.json()["issue"][0]["diagnostics"]
    assert not BulkExportJob.objects.exists()
    assert AuditEvent.objects.get(action="export.fhir_failed").object_id == path.rsplit("/", 1)[1]


def test_an_export_whose_requester_lost_the_permission_fails_saying_why(api, make_patient, files_dir, persona):
    make_patient()
    client = api(STEWARD)
    path = started(client)
    Membership.objects.filter(user=persona(STEWARD).user).update(role="nurse")

    ready_jobs_run()

    body = api("site_admin").get(path).json()
    assert "may not" in body["issue"][0]["diagnostics"]
    assert not BulkExportJob.objects.exists()


def test_the_capability_statement_offers_export_and_says_it_runs_asynchronously(api):
    rest = api(None).get("/fhir/R4/metadata").json()["rest"][0]
    export = next(o for o in rest["operation"] if o["name"] == "export")
    assert "runs asynchronously" in export["documentation"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert "export" in {o["name"] for o in patient["operation"]}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_kick_offs_by_one_user_start_one_export(api, make_patient, files_dir):
    """The limit check and the new request are serialised per user (a row lock), so a burst cannot pass it."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks across connections: run scripts/with-postgres .venv/bin/pytest")
    make_patient()
    client = api(STEWARD)
    barrier = threading.Barrier(8)
    codes: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            code = kick_off(type(client)(client.headers["Authorization"][7:])).status_code
        finally:
            connections.close_all()
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [202] + [429] * 7
    assert BulkExportRequest.objects.count() == 1
