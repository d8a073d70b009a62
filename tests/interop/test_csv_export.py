"""CSV export: tidy tables of the actor's site only, a data dictionary, formulas neutralised."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from handregen.audit.models import AuditEvent
from handregen.errors import Forbidden
from handregen.interop.csv_export import export_csv


def _read(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_export_has_one_table_per_entity_and_only_the_sites_rows(
    tmp_path, make_episode, make_patient, persona, physician
):
    episode = make_episode()
    north = persona("physician", "north")
    make_patient(actor=north, family_name="Elsewhere")
    counts = export_csv(actor=physician, out=tmp_path)
    patients = _read(tmp_path / "patients.csv")
    episodes = _read(tmp_path / "episodes.csv")
    assert counts["patients"] == len(patients) == 1
    assert patients[0]["patient_id"] == str(episode.patient_id)
    assert episodes[0]["episode_id"] == str(episode.pk) and episodes[0]["target_joints"] == "CMC1"
    assert AuditEvent.objects.filter(action="export.csv").count() == 1


def test_the_data_dictionary_describes_every_exported_column(tmp_path, physician, make_patient):
    make_patient()
    export_csv(actor=physician, out=tmp_path)
    dictionary = {(r["table"], r["variable"]) for r in _read(tmp_path / "data_dictionary.csv")}
    for table in ("patients", "episodes"):
        with (tmp_path / f"{table}.csv").open() as handle:
            header = next(csv.reader(handle))
        assert {(table, column) for column in header} <= dictionary


def test_a_formula_in_a_cell_is_neutralised(tmp_path, physician, make_patient):
    make_patient(occupation='=HYPERLINK("http://x","y")')
    export_csv(actor=physician, out=tmp_path)
    assert _read(tmp_path / "patients.csv")[0]["occupation"].startswith("'=HYPERLINK")


def test_a_researcher_cannot_take_the_identified_export(tmp_path, persona):
    with pytest.raises(Forbidden):
        export_csv(actor=persona("researcher"), out=tmp_path)
    assert not (tmp_path / "patients.csv").exists()


def test_the_command_writes_the_files(tmp_path, physician, make_patient):
    make_patient()
    out = StringIO()
    call_command("export", "csv", "--out", str(tmp_path), "--user", physician.user.username, stdout=out)
    assert "patients.csv: 1 rows" in out.getvalue()
    with pytest.raises(CommandError, match="No active user"):
        call_command("export", "csv", "--out", str(tmp_path), "--user", "nobody")
