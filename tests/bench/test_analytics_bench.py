"""The analytics benchmark's baseline does the same work: DuckDB's answer equals handregen's on a small registry."""

from __future__ import annotations

import pytest
from bench.analytics import _assert_same, _duckdb_load, _duckdb_table
from django.db import connection
from django.utils import timezone

from handregen.analytics import selectors
from handregen.analytics.dataset import CohortFilters
from handregen.analytics.forms import INSTRUMENTS
from handregen.analytics.synthetic.writer import synth_registry

pytest.importorskip("duckdb")
TIMEPOINTS = ["w2", "w6", "m3", "m6", "m12"]


@pytest.fixture
def tables(demo_site, persona):
    synth_registry(site=demo_site, count=150, seed=3)
    instruments = [code for code, _ in INSTRUMENTS]
    ours = selectors.cohort_outcomes_table(
        actor=persona("researcher"),
        instruments=instruments,
        timepoints=TIMEPOINTS,
        filters=CohortFilters(),
        include_synthetic=True,
    )
    duck, _, rows = _duckdb_load(connection, demo_site.pk)
    assert rows > 0
    return ours, _duckdb_table(duck, instruments, TIMEPOINTS, timezone.localdate())


@pytest.mark.django_db
def test_duckdb_and_handregen_agree_on_every_count_and_mean(tables):
    ours, theirs = tables
    _assert_same(ours, theirs)
    assert sum(cell["n_assessed"] for cell in ours) > 0


@pytest.mark.django_db
def test_the_comparison_notices_a_different_responder_count(tables):
    ours, theirs = tables
    cell = next(c for c in theirs if c["instrument"] == "nrs" and c["n_assessed"])
    cell["responders"]["nrs_2_points"]["n_responders"] += 1
    with pytest.raises(AssertionError, match="nrs_2_points"):
        _assert_same(ours, theirs)
