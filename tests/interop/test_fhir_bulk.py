"""FHIR Bulk Data: `handregen export fhir` writes NDJSON per type with a manifest; `$export` kick-off, status
and files over the API, site-scoped."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B import get_fhir_model_class

from handregen.audit.models import AuditEvent
from handregen.interop.models import BulkExportJob
from tests.interop.test_fhir_everything import EXPECTED_TYPES


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.FHIR_BULK_IN_PROCESS = False  # the tests run the waiting exports themselves, as the command does
    return settings.VAR_DIR


def run_waiting_exports() -> None:
    """What `handregen export-jobs --stale-after 0` (or the server's thread) does."""
    call_command("export-jobs", "--stale-after", "0", stdout=io.StringIO(), stderr=io.StringIO())


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_fhir_writes_one_valid_ndjson_file_per_type_and_a_manifest(tmp_path, treated, persona, capsys):
    episode = treated()
    user = persona("physician").user.username
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
    call_command("export", "fhir", "--out", str(tmp_path), "--user", persona("physician").user.username)
    exported = [
        r for t in EXPECTED_TYPES if (tmp_path / f"{t}.ndjson").exists() for r in _lines(tmp_path / f"{t}.ndjson")
    ]
    body = api().get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").json()
    everything = [e["resource"] for e in body["entry"]]
    key = lambda r: (r["resourceType"], r["id"])  # noqa: E731
    assert sorted(exported, key=key) == sorted(everything, key=key)


def test_export_fhir_leaves_out_other_sites_patients(tmp_path, make_patient, persona):
    make_patient(mrn="HERE-1")
    north = persona("physician", "north")
    call_command("export", "fhir", "--out", str(tmp_path), "--user", north.user.username)
    assert not (tmp_path / "Patient.ndjson").exists()
    assert json.loads((tmp_path / "manifest.json").read_text())["output"] == []


def test_export_fhir_as_an_unknown_user_is_a_command_error(tmp_path, db):
    with pytest.raises(CommandError, match="No active user"):
        call_command("export", "fhir", "--out", str(tmp_path), "--user", "nobody")


def test_kick_off_without_prefer_respond_async_is_a_400_operation_outcome(api, var_dir):
    response = api().get("/fhir/R4/$export")
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"
    assert not BulkExportJob.objects.exists()


def test_kick_off_answers_202_with_a_status_url_that_gives_the_manifest_and_files(api, treated, var_dir, persona):
    episode = treated()
    client = api()
    client.headers["Prefer"] = "respond-async"
    kick_off = client.get("/fhir/R4/Patient/$export")
    assert kick_off.status_code == 202
    status_url = kick_off["Content-Location"]
    assert "/fhir/R4/bulk/" in status_url
    waiting = client.get(status_url.split("testserver", 1)[1])
    assert waiting.status_code == 202 and waiting["X-Progress"] == "waiting to start"
    assert not BulkExportJob.objects.exists()  # nothing was exported inside the kick-off request
    run_waiting_exports()
    status = client.get(status_url.split("testserver", 1)[1])
    assert status.status_code == 200
    manifest = status.json()
    assert {o["type"] for o in manifest["output"]} == EXPECTED_TYPES and manifest["requiresAccessToken"] is True
    patient_file = next(o for o in manifest["output"] if o["type"] == "Patient")
    assert "/fhir/R4/bulk/" in patient_file["url"] and patient_file["url"].endswith("/Patient.ndjson")
    download = client.get(patient_file["url"].split("testserver", 1)[1])
    assert download.status_code == 200 and download["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(episode.patient_id)]
    job = BulkExportJob.objects.get()
    assert (job.site.code, job.level, job.requested_by) == ("demo", "patient", persona("physician").user)
    assert (var_dir / "fhir-bulk" / str(job.pk) / "Patient.ndjson").is_file()


def test_another_sites_token_gets_neither_status_nor_files_and_no_token_gets_401(api, make_patient, var_dir):
    make_patient()
    client = api()
    client.headers["Prefer"] = "respond-async"
    path = client.get("/fhir/R4/$export")["Content-Location"].split("testserver", 1)[1]
    run_waiting_exports()
    north = api("physician", "north")
    assert north.get(path).status_code == 404
    assert north.get(f"{path}/Patient.ndjson").status_code == 404
    assert api(None).get(f"{path}/Patient.ndjson").status_code == 401
    assert client.get(f"{path}/Patient.ndjson").status_code == 200
    assert client.get(f"{path}/Medication.ndjson").status_code == 404


def test_the_capability_statement_offers_export_and_says_it_runs_asynchronously(api):
    rest = api(None).get("/fhir/R4/metadata").json()["rest"][0]
    export = next(o for o in rest["operation"] if o["name"] == "export")
    assert "runs asynchronously" in export["documentation"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert "export" in {o["name"] for o in patient["operation"]}


def test_kick_off_with_an_unsupported_parameter_is_a_400(api, var_dir):
    client = api()
    client.headers["Prefer"] = "respond-async"
    assert client.get("/fhir/R4/$export", _since="2026-01-01").status_code == 400
    assert client.get("/fhir/R4/$export", _outputFormat="text/csv").status_code == 400


def test_status_gives_the_progress_while_the_export_runs(api, make_patient, var_dir):
    make_patient()
    client = api()
    client.headers["Prefer"] = "respond-async"
    path = client.get("/fhir/R4/$export")["Content-Location"].split("testserver", 1)[1]
    job_dir = var_dir / "fhir-bulk" / path.rsplit("/", 1)[1]
    job_dir.mkdir(parents=True)
    (job_dir / "progress").write_text("200 1000")  # as the running export writes it after each batch

    status = client.get(path)

    assert status.status_code == 202 and status["X-Progress"] == "200 of 1000 patients exported"
    assert status["Retry-After"] == "2"


def test_an_export_that_cannot_finish_gives_a_500_operation_outcome_saying_why(api, make_patient, var_dir):
    make_patient()
    client = api()
    client.headers["Prefer"] = "respond-async"
    path = client.get("/fhir/R4/$export")["Content-Location"].split("testserver", 1)[1]
    (var_dir / "fhir-bulk").mkdir(parents=True)
    (var_dir / "fhir-bulk" / path.rsplit("/", 1)[1]).write_text("")  # a file where the job's folder must go

    run_waiting_exports()

    status = client.get(path)
    assert status.status_code == 500 and status.json()["resourceType"] == "OperationOutcome"
    assert "failed on the server" in status.json()["issue"][0]["diagnostics"]
    assert not BulkExportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_server_runs_the_export_in_the_background_after_answering(api, make_patient, var_dir, settings):
    settings.FHIR_BULK_IN_PROCESS = True
    make_patient()
    client = api()
    client.headers["Prefer"] = "respond-async"
    threads = set(threading.enumerate())

    path = client.get("/fhir/R4/$export")["Content-Location"].split("testserver", 1)[1]

    for thread in set(threading.enumerate()) - threads:
        thread.join(timeout=60)
    deadline = time.monotonic() + 30
    while (status := client.get(path)).status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status.status_code == 200 and status.json()["output"][0]["type"] == "Patient"
