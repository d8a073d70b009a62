"""The de-identified research export: a patient carrying every identifier type leaves none of them behind."""

import csv
import json
import re
from datetime import date

import pytest

from handregen.errors import Forbidden
from handregen.interop.research_export import export_research
from handregen.patients.services import patient_register

IDENTIFIERS = {
    "mrn": "MRN-CANARY-991",
    "given_name": "Zebedee",
    "family_name": "Quartermaine",
    "birth_date": date(1931, 2, 28),  # aged 90+: the age is grouped and the birth year withheld
    "phone": "+44 7700 900123",
    "email": "zebedee.q@example.org",
    "postal_code": "03601",
    "occupation": "Lighthouse keeper at Skerryvore",
}


@pytest.fixture
def canary_patient(physician):
    return patient_register(actor=physician, sex="male", dominant_hand="left", **IDENTIFIERS)


def _all_cells(folder):
    cells = []
    for path in folder.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                cells += row
    return cells


def test_no_identifier_survives_the_research_export(tmp_path, canary_patient, make_episode, persona):
    make_episode(patient=canary_patient)
    export_research(actor=persona("researcher"), out=tmp_path)
    forbidden = [str(v) for v in IDENTIFIERS.values()] + [
        str(canary_patient.pk),
        canary_patient.wristband_code,
        "1931",
        "1931-02-28",
        "036",
    ]
    text = "\n".join(_all_cells(tmp_path)) + (tmp_path / "manifest.json").read_text()
    for value in forbidden:
        # as a whole token: a random study code (hex) may hold "036" or "1931" inside it by chance
        assert re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text) is None, value
    episodes = _all_cells(tmp_path)
    assert str(canary_patient.episodes.get().pk) not in episodes


def test_the_export_keeps_what_research_needs_in_safe_form(tmp_path, canary_patient, make_episode, persona):
    make_episode(patient=canary_patient)
    export_research(actor=persona("researcher"), out=tmp_path)
    with (tmp_path / "patients.csv").open(newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["age_years"] == "90+"
    assert row["postal_code"] == "000"
    assert row["sex"] == "male" and row["patient_id"].startswith("S-")
    assert "mrn" not in row and "occupation" not in row
    with (tmp_path / "episodes.csv").open(newline="") as handle:
        episode = next(csv.DictReader(handle))
    assert episode["patient_id"] == row["patient_id"]  # the same study code links the tables
    assert len(episode["opened_at"]) == 4


def test_the_manifest_says_what_was_removed_and_which_zip_list_was_used(tmp_path, canary_patient, persona):
    manifest = export_research(actor=persona("researcher"), out=tmp_path)
    saved = json.loads((tmp_path / "manifest.json").read_text())
    assert saved == json.loads(json.dumps(manifest))
    changed = saved["tables"]["patients"]["changed_columns"]
    assert "removed" in changed["family_name"] and "90+" in changed["birth_date"]
    assert saved["restricted_zip3"]["count"] == 17 and len(saved["restricted_zip3"]["sha256"]) == 64


def test_only_roles_with_the_research_export_permission_may_take_it(tmp_path, persona):
    with pytest.raises(Forbidden):
        export_research(actor=persona("nurse"), out=tmp_path)
