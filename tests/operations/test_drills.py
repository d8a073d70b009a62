"""Short runs of the reliability drills (`make drill` runs them in full): R2 crash safety, R6 restore.

Each runs on the engine of the suite's run: SQLite in the main run, PostgreSQL under scripts/with-postgres.
"""

from __future__ import annotations

import os

import pytest
from drills import backup, crash

ENGINE = "postgresql" if os.environ.get("HANDREGEN_TEST_POSTGRES") else "sqlite"


def test_killing_the_writer_mid_pathway_loses_nothing_it_acknowledged() -> None:
    report = crash.run(ENGINE, iterations=2, seed=7, min_s=0.5, max_s=2.0)
    assert report.iterations == 2
    assert report.acknowledged > 0, "the writer acknowledged nothing, so the drill checked nothing"
    assert report.findings == []
    if ENGINE == "postgresql":
        assert report.server_crashes == 1


def test_a_restore_to_time_t_holds_what_was_written_before_t_and_nothing_after() -> None:
    report = backup.run(ENGINE)
    assert report.findings == [], report.summary()


def test_the_crash_check_reports_an_acknowledged_write_that_is_not_there(tmp_path) -> None:
    # The check is the drill's oracle: it must see a loss when there is one.
    from drills.common import env_for, handregen, python_module

    env = env_for(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    handregen(["migrate", "--verbosity", "0"], env)
    acks = tmp_path / "acks.txt"
    acks.write_text("patient 00000000-0000-0000-0000-000000000001\njourney 00000000-0000-0000-0000-000000000002\n")
    checked = python_module("drills.check", [str(acks)], env)
    assert checked.returncode == 1
    assert "acknowledged patient 00000000-0000-0000-0000-000000000001 is missing" in checked.stdout


@pytest.mark.skipif(ENGINE != "sqlite", reason="one run is enough: it uses its own SQLite file")
def test_the_backup_command_refuses_to_overwrite_an_existing_file(tmp_path) -> None:
    from drills.common import env_for, handregen

    env = env_for(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    handregen(["migrate", "--verbosity", "0"], env)
    (tmp_path / "taken.sqlite3").write_text("x")
    done = handregen(["backup", "--out", str(tmp_path / "taken.sqlite3")], env, check=False)
    assert done.returncode != 0
    assert "exists already" in done.stderr
