"""FHIR import (`handregen import fhir`): patients by MRN through the patients service, responses at their
follow-up through the outcomes services, idempotent, clear error lines; and the export → import → export
round trip."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from handregen.audit.models import AuditEvent
from handregen.interop.fhir.codes import EXT_CYCLE, EXT_DOMINANT_HAND, EXT_TIMEPOINT, MRN_SYSTEM
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.patients.models import Patient
from tests.interop.conftest import discharge


def content_hash() -> str:
    """A hash of every row of the tables an import may write (patients, follow-ups, responses, audit)."""
    digest = hashlib.sha256()
    for model in (Patient, FollowUp, QuestionnaireResponse, AuditEvent):
        for row in model.objects.order_by("pk").values():
            digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()


def fhir_patient(mrn: str = "MIG-1", **changes) -> dict:
    return {
        "resourceType": "Patient",
        "id": f"old-{mrn}",
        "extension": [{"url": EXT_DOMINANT_HAND, "valueCode": "right"}],
        "identifier": [{"system": MRN_SYSTEM, "value": mrn}],
        "name": [{"family": "Pond", "given": ["Amy"]}],
        "gender": "female",
        "birthDate": "1961-04-02",
    } | changes


def run_import(path: Path, username: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", "fhir", str(path), "--user", username, stdout=out, stderr=err)
    except CommandError as exc:
        raise AssertionError(err.getvalue()) from exc
    return out.getvalue(), err.getvalue()


def write_ndjson(path: Path, resources: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


def test_a_new_patient_is_registered_and_a_second_import_changes_nothing(tmp_path, physician):
    file = write_ndjson(tmp_path / "Patient.ndjson", [fhir_patient()])
    out, _ = run_import(file, physician.user.username)
    assert "Patient: 1 created" in out and "1 changes" in out
    patient = Patient.objects.get(mrn="MIG-1", site=physician.site)
    assert (patient.family_name, patient.dominant_hand, str(patient.birth_date)) == ("Pond", "right", "1961-04-02")
    assert AuditEvent.objects.filter(action="patient.register", object_id=str(patient.pk)).exists()
    before = content_hash()
    out, _ = run_import(file, physician.user.username)
    assert "0 changes" in out and "Patient: 1 unchanged" in out
    assert content_hash() == before


def test_a_known_mrn_with_other_demographics_is_amended_with_a_reason(tmp_path, physician, make_patient):
    patient = make_patient(mrn="MIG-2", family_name="Old")
    out, _ = run_import(
        write_ndjson(tmp_path / "p.ndjson", [fhir_patient("MIG-2", name=[{"family": "New", "given": ["Amy"]}])]),
        physician.user.username,
    )
    assert "Patient: 1 amended" in out
    assert Patient.objects.get(pk=patient.pk).family_name == "New"
    assert Patient.objects.filter(mrn="MIG-2").count() == 1


def test_a_bundle_response_lands_at_its_follow_up_and_is_not_stored_twice(tmp_path, injected, team, clock):
    episode = injected()
    discharge(episode, team)
    clock.advance(days=14)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": fhir_patient(
                    episode.patient.mrn,
                    name=[{"family": episode.patient.family_name, "given": [episode.patient.given_name]}],
                    gender=episode.patient.sex,
                    birthDate=str(episode.patient.birth_date),
                    extension=[{"url": EXT_DOMINANT_HAND, "valueCode": episode.patient.dominant_hand}],
                )
            },
            {
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "status": "completed",
                    "extension": [{"url": EXT_TIMEPOINT, "valueCode": "w2"}, {"url": EXT_CYCLE, "valueInteger": 1}],
                    "questionnaire": "https://handregen.org/fhir/Questionnaire/nrs",
                    "subject": {"reference": f"Patient/old-{episode.patient.mrn}"},
                    "item": [{"linkId": "pain", "answer": [{"valueInteger": 4}]}],
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "nrs"},
                    "derivedFrom": [{"reference": "QuestionnaireResponse/x"}],
                }
            },
        ],
    }
    file = tmp_path / "bundle.json"
    file.write_text(json.dumps(bundle))
    username = team.nurse.user.username
    out, _ = run_import(file, username)
    response = QuestionnaireResponse.objects.get(episode=episode, follow_up__timepoint="w2", instrument="nrs")
    assert response.answers == {"pain": 4} and response.total == 4
    assert "QuestionnaireResponse: 1 created" in out
    before = content_hash()
    out, _ = run_import(file, username)
    assert "0 changes" in out and content_hash() == before


def test_malformed_entries_give_one_error_line_each_and_no_traceback(tmp_path, physician):
    file = tmp_path / "bad.ndjson"
    file.write_text(
        json.dumps(fhir_patient("OK-1")) + "\n"
        "{not json\n"
        + json.dumps(fhir_patient("X", identifier=[]))
        + "\n"
        + json.dumps({"resourceType": "Medication"})
        + "\n"
        + json.dumps(fhir_patient("BAD-DATE", birthDate="next tuesday"))
        + "\n"
        + json.dumps(fhir_patient("NO-HAND", extension=[]))
        + "\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="5 entries were not imported"):
        call_command("import", "fhir", str(file), "--user", physician.user.username, stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("error bad.ndjson:line 2: not JSON") for line in lines)
    assert any(line.startswith("error bad.ndjson:line 3: no MRN identifier") for line in lines)
    assert any(line.startswith("error bad.ndjson:line 4: Medication is not imported") for line in lines)
    assert any(line.startswith("error bad.ndjson:line 5: invalid Patient: birthDate") for line in lines)
    assert any(line.startswith("error bad.ndjson:line 6: needs the dominant hand") for line in lines)
    assert "Traceback" not in err.getvalue()
    assert Patient.objects.filter(mrn="OK-1").exists()


def test_importing_a_sites_own_export_changes_nothing(tmp_path, treated, team, persona):
    treated()
    username = persona("data_steward").user.username
    call_command("export", "fhir", "--out", str(tmp_path), "--user", username)
    before = content_hash()
    out, _ = run_import(tmp_path, team.nurse.user.username)
    assert "0 changes, 0 errors" in out and "skipped Procedure.ndjson: Procedure is not imported" in out
    assert "QuestionnaireResponse: 4 unchanged" in out and "Patient: 1 unchanged" in out
    assert content_hash() == before


def _normalised_patients(folder: Path) -> list[dict]:
    """Patient lines without what differs by design between sites: the id, the meta, the wristband code (new per
    registration) and the assigner (the site's name)."""
    patients = [json.loads(line) for line in (folder / "Patient.ndjson").read_text().splitlines()]
    for p in patients:
        p.pop("id")
        p.pop("meta", None)  # this server's write history: new on import
        p["identifier"] = [
            {k: v for k, v in i.items() if k != "assigner"} for i in p["identifier"] if "wristband" not in i["system"]
        ]
    return patients


def test_export_import_into_an_empty_site_and_export_again_gives_the_same_patients(
    tmp_path, treated, make_patient, team, persona
):
    treated()
    make_patient(mrn="RT-2", family_name="Song", phone="+41 79 000 00 00", occupation="joiner")
    call_command("export", "fhir", "--out", str(tmp_path / "first"), "--user", persona("data_steward").user.username)
    north = persona("physician", "north")
    assert not Patient.objects.filter(site=north.site).exists()
    out, _ = run_import(tmp_path / "first" / "Patient.ndjson", north.user.username)
    assert "Patient: 2 created" in out
    north_steward = persona("data_steward", "north").user.username
    call_command("export", "fhir", "--out", str(tmp_path / "second"), "--user", north_steward)
    assert _normalised_patients(tmp_path / "second") == _normalised_patients(tmp_path / "first")
