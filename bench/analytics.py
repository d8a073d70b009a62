"""Cohort analytics at registry scale: handregen's figures for every time point x instrument against DuckDB.

handregen side: `analytics.selectors.cohort_outcomes_table`, the code path of the dashboard (and, one cell at a
time, of /api/v1/analytics/outcomes): set-based reads into data frames, then change from baseline with a t CI
and responder rates with exact CIs, complete case, whole site, no filters.

Baseline: the same aggregations written directly in DuckDB SQL over the same rows (responses, follow-ups and
episodes of the site, loaded into an in-memory DuckDB from the same database first; the load is NOT part of
the DuckDB time), with the same t and Clopper-Pearson intervals computed from DuckDB's counts. Both answers
are compared before anything is reported: the same n expected, n assessed and responder counts, and means
equal to 1e-9, so the baseline does the same work. Target: handregen within 3x of DuckDB.

Also: the dashboard's first answer (GET /analytics/ by a signed-in, two-factor-verified researcher, in a fresh
process) against the 2 s target.

Size = synthetic patients (default 20,000 so that `make bench` fits its 10 minutes; `--size 100000` for the
issue's registry scale; the registry is built once and cached per size and seed, see bench/registry.py).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

from bench.common import BenchResult
from bench.registry import SITE, ensure_registry

ROOT = Path(__file__).resolve().parent.parent
SEED = 7
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SLACK = 1e-9
READER = "bench.researcher"


def run(size: int = 20000, seed: int = SEED) -> BenchResult:
    built_at = time.perf_counter()
    env, built = ensure_registry(size, seed)
    build_seconds = time.perf_counter() - built_at
    child = subprocess.run(
        [sys.executable, "-c", "from bench.analytics import measure; measure()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{child.stderr[-3000:]}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    engine = figures["engine"]
    result = BenchResult("analytics", size)
    cells = f"{figures['cells']} cells ({figures['instruments']} instruments x {figures['timepoints']} time points)"
    result.add(
        f"handregen cohort table ({engine})",
        figures["handregen_ms"],
        "ms",
        baseline=figures["duckdb_ms"],
        target_ratio=3,
        lower_is_better=True,
        note=f"{cells}, {figures['score_rows']} score rows; median of {REPEATS}; baseline DuckDB SQL",
    )
    result.add(
        "DuckDB same aggregations",
        figures["duckdb_ms"],
        "ms",
        note=f"excludes loading the rows into DuckDB ({figures['duckdb_load_ms']:.0f} ms)",
    )
    result.add(
        "dashboard first answer",
        figures["dashboard_first_ms"],
        "ms",
        baseline=2000,
        target_ratio=1,
        lower_is_better=True,
        note="GET /analytics/ in a fresh process; baseline is the 2 s target",
    )
    result.add("dashboard again", figures["dashboard_again_ms"], "ms")
    if built:
        result.add("registry build (migrate + synth)", build_seconds, "s", note="once per size and seed, cached")
    return result


def measure() -> None:
    """In a child process whose environment points at the registry: time both sides, check they agree."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from handregen.accounts.actor import Actor
    from handregen.accounts.models import Site, User
    from handregen.accounts.services import staff_ensure
    from handregen.analytics import selectors
    from handregen.analytics.dataset import CohortFilters
    from handregen.analytics.forms import INSTRUMENTS
    from handregen.pathway.models import Protocol

    site = Site.objects.get(code=SITE)
    # Created once: setting the password again would end the sessions of a bench running beside this one.
    user = User.objects.filter(username=READER).first() or staff_ensure(
        site=site, username=READER, role="researcher", password=secrets.token_urlsafe(24)
    )
    actor = Actor(user=user, site=site, role="researcher")
    dashboard_first, dashboard_again = _dashboard_times(user)
    protocol = Protocol.objects.get(code=site.default_protocol_code, is_current=True)
    timepoints = [p.code for p in protocol.definition.follow_up]
    instruments = [code for code, _ in INSTRUMENTS]
    today = timezone.localdate()

    def handregen_table() -> list[dict[str, Any]]:
        return selectors.cohort_outcomes_table(
            actor=actor, instruments=instruments, timepoints=timepoints, filters=CohortFilters(), include_synthetic=True
        )

    ours, ours_ms = _timed(handregen_table)
    duck, load_ms, score_rows = _duckdb_load(connection, site.pk)
    theirs, duck_ms = _timed(lambda: _duckdb_table(duck, instruments, timepoints, today))
    _assert_same(ours, theirs)
    print(
        json.dumps(
            {
                "engine": connection.vendor,
                "cells": len(ours),
                "instruments": len(instruments),
                "timepoints": len(timepoints),
                "score_rows": score_rows,
                "handregen_ms": ours_ms,
                "duckdb_ms": duck_ms,
                "duckdb_load_ms": load_ms,
                "dashboard_first_ms": dashboard_first,
                "dashboard_again_ms": dashboard_again,
            }
        )
    )


def _timed(work: Any) -> tuple[Any, float]:
    """The answer and the median wall time in ms over REPEATS runs."""
    times = []
    answer = None
    for _ in range(REPEATS):
        started = time.perf_counter()
        answer = work()
        times.append((time.perf_counter() - started) * 1000)
    return answer, median(times)


def _dashboard_times(user: Any) -> tuple[float, float]:
    """The first GET /analytics/ of this process (nothing warm but the database file) and a second one."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        page = client.get("/analytics/?instrument=nrs&missing=complete_case&include_synthetic=on")
        times.append((time.perf_counter() - started) * 1000)
        if page.status_code != 200:
            raise RuntimeError(f"/analytics/ answered {page.status_code}, not 200: the bench would time the wrong page")
    return times[0], times[1]


def _duckdb_load(connection: Any, site_id: Any) -> tuple[Any, float, int]:
    """The site's responses, follow-ups and episodes copied into an in-memory DuckDB (timed apart)."""
    import duckdb
    import pandas as pd

    started = time.perf_counter()
    queries = {
        "responses": (
            "SELECT episode_id, follow_up_id, instrument, total, side FROM outcomes_questionnaireresponse "
            "WHERE site_id = %s",
            ["episode_id", "follow_up_id", "instrument", "total", "side"],
        ),
        "follow_ups": (
            "SELECT id, episode_id, cycle, timepoint, due_from, due_until, completed_at IS NOT NULL, "
            "superseded_at IS NOT NULL, instruments FROM outcomes_followup WHERE site_id = %s",
            [
                "id",
                "episode_id",
                "cycle",
                "timepoint",
                "due_from",
                "due_until",
                "completed",
                "superseded",
                "instruments",
            ],
        ),
        "episodes": ("SELECT id, side FROM pathway_episode WHERE site_id = %s", ["id", "side"]),
    }
    from handregen.accounts.models import Site

    site_param = Site._meta.pk.get_db_prep_value(site_id, connection)  # a UUID as this database stores it
    duck = duckdb.connect()
    rows = 0
    for table, (sql, columns) in queries.items():
        with connection.cursor() as cursor:
            cursor.execute(sql, [site_param])
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        for column in ("episode_id", "follow_up_id", "id"):
            if column in frame:
                frame[column] = frame[column].astype(str).str.replace("-", "", regex=False)
        if "due_from" in frame:
            frame["due_from"] = pd.to_datetime(frame["due_from"]).dt.date
            frame["due_until"] = pd.to_datetime(frame["due_until"]).dt.date
            listed = [json.loads(v) if isinstance(v, str) else (v or []) for v in frame.pop("instruments")]
            schedule = pd.DataFrame(
                [(i, code) for i, codes in zip(frame["id"], listed, strict=True) for code in codes],
                columns=["id", "instrument"],
            )
            duck.register("incoming", schedule)
            duck.execute("CREATE TABLE schedule AS SELECT * FROM incoming")
            duck.unregister("incoming")
        duck.register("incoming", frame)
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")  # noqa: S608 - one of three fixed names
        duck.unregister("incoming")
        rows += len(frame) if table == "responses" else 0
    return duck, (time.perf_counter() - started) * 1000, rows


# The same rules as analytics/cohort.py and outcomes/responders.py, in SQL; 1e-9 is their floating-point slack.
PAIRED_SQL = """
    CREATE OR REPLACE TEMP TABLE fu AS SELECT * FROM follow_ups WHERE cycle = 1 AND NOT superseded;
    CREATE OR REPLACE TEMP TABLE candidates AS
        SELECT DISTINCT f.episode_id, f.timepoint, s.instrument, f.due_until
        FROM fu f JOIN points p USING (timepoint) JOIN schedule s ON s.id = f.id;
    CREATE OR REPLACE TEMP TABLE scores AS
        SELECT r.episode_id, fu.timepoint, r.instrument, r.total AS value
        FROM responses r JOIN fu ON fu.id = r.follow_up_id JOIN episodes e ON e.id = r.episode_id
        WHERE r.total IS NOT NULL AND (r.side = '' OR r.side = e.side);
    CREATE OR REPLACE TEMP TABLE paired AS
        SELECT x.timepoint, x.episode_id, x.instrument, b.value AS base, f.value AS follow
        FROM candidates x
        JOIN scores b ON b.episode_id = x.episode_id AND b.timepoint = 'baseline' AND b.instrument = x.instrument
        JOIN scores f ON f.episode_id = x.episode_id AND f.timepoint = x.timepoint AND f.instrument = x.instrument;
    CREATE OR REPLACE TEMP TABLE expected AS
        SELECT timepoint, instrument, episode_id FROM paired
        UNION SELECT timepoint, instrument, episode_id FROM candidates WHERE due_until < $1;
"""
CELLS_SQL = """
    WITH improved AS (SELECT p.*, m.mcid, CASE WHEN m.higher_is_worse THEN base - follow ELSE follow - base END AS gain
                      FROM paired p JOIN meta m USING (instrument))
    SELECT timepoint, instrument, count(*), avg(base), avg(follow), avg(follow - base), stddev_samp(follow - base),
           count(*) FILTER (WHERE gain >= 2 - 1e-9),
           count(*) FILTER (WHERE base <> 0 AND 100 * gain >= 30 * base - 1e-9),
           count(*) FILTER (WHERE base = 0),
           count(*) FILTER (WHERE gain >= mcid - 1e-9)
    FROM improved GROUP BY 1, 2
"""
OMERACT_SQL = """
    WITH pain AS (SELECT timepoint, episode_id, 10 * base AS b, 10 * follow AS f FROM paired WHERE instrument = 'nrs'),
    function AS (SELECT timepoint, episode_id, base AS b, follow AS f FROM paired WHERE instrument = 'quickdash'),
    -- the patient global is not measured: counted as not improved, so "moderate" needs pain AND function
    domains AS (
        SELECT p.timepoint,
               CASE WHEN p.b = 0 THEN FALSE ELSE 100 * (p.b - p.f) >= 50 * p.b - 1e-9 AND p.b - p.f >= 20 - 1e-9 END
                   AS pain_high,
               CASE WHEN p.b = 0 THEN FALSE ELSE 100 * (p.b - p.f) >= 20 * p.b - 1e-9 AND p.b - p.f >= 10 - 1e-9 END
                   AS pain_moderate,
               CASE WHEN q.b = 0 THEN FALSE ELSE 100 * (q.b - q.f) >= 50 * q.b - 1e-9 AND q.b - q.f >= 20 - 1e-9 END
                   AS function_high,
               CASE WHEN q.b = 0 THEN FALSE ELSE 100 * (q.b - q.f) >= 20 * q.b - 1e-9 AND q.b - q.f >= 10 - 1e-9 END
                   AS function_moderate
        FROM pain p LEFT JOIN function q USING (timepoint, episode_id)),
    -- SQL's NULL logic is the rule's three-valued logic: TRUE OR NULL is TRUE, FALSE OR NULL is NULL.
    decided AS (
        SELECT timepoint, (pain_high OR function_high) OR (pain_moderate AND function_moderate) AS responder
        FROM domains)
    SELECT timepoint, count(*) FILTER (WHERE responder), count(*) FILTER (WHERE responder IS NULL)
    FROM decided GROUP BY 1
"""


def _duckdb_table(duck: Any, instruments: list[str], timepoints: list[str], today: Any) -> list[dict[str, Any]]:
    """The cohort table from DuckDB SQL: counts and means in the engine, intervals from the counts."""
    from handregen.outcomes.instruments import load_instrument
    from handregen.outcomes.responders import MCIDS

    meta = [
        (code, load_instrument(code).higher_is_worse, MCIDS[code].value if code in MCIDS else None)
        for code in instruments
    ]
    duck.execute("CREATE OR REPLACE TEMP TABLE meta (instrument VARCHAR, higher_is_worse BOOLEAN, mcid DOUBLE)")
    duck.executemany("INSERT INTO meta VALUES (?, ?, ?)", meta)
    duck.execute("CREATE OR REPLACE TEMP TABLE points (timepoint VARCHAR)")
    duck.executemany("INSERT INTO points VALUES (?)", [[t] for t in timepoints])
    for statement in filter(str.strip, PAIRED_SQL.split(";")):
        duck.execute(statement, [today] if "$1" in statement else [])
    expected = {
        (t, i): n
        for t, i, n in duck.execute("SELECT timepoint, instrument, count(*) FROM expected GROUP BY 1, 2").fetchall()
    }
    with_function = {
        t
        for (t,) in duck.execute("SELECT DISTINCT timepoint FROM candidates WHERE instrument = 'quickdash'").fetchall()
    }
    cells = duck.execute(CELLS_SQL).fetchall()
    omeract = {t: (yes, unknown) for t, yes, unknown in duck.execute(OMERACT_SQL).fetchall()}
    by_cell = {(row[0], row[1]): row for row in cells}
    table = []
    for instrument, _, mcid in meta:
        for timepoint in timepoints:
            row = by_cell.get((timepoint, instrument))
            n = row[2] if row else 0
            t_ci = _t_interval(n, row[5], row[6]) if row else (None, None)
            rules: dict[str, tuple[int, int]] = {}
            if instrument == "nrs":
                rules["nrs_2_points"] = (row[7], 0) if row else (0, 0)
                rules["nrs_30_percent"] = (row[8], row[9]) if row else (0, 0)
                if timepoint in with_function or not expected.get((timepoint, "nrs")):
                    rules["omeract_oarsi"] = omeract.get(timepoint, (0, 0))
            if mcid is not None:
                rules["mcid"] = (row[10], 0) if row else (0, 0)
            table.append(
                {
                    "instrument": instrument,
                    "timepoint": timepoint,
                    "n_expected": expected.get((timepoint, instrument), 0),
                    "n_assessed": n,
                    "mean_change": row[5] if row else None,
                    "ci95": list(t_ci) if t_ci[0] is not None else None,
                    "responders": {
                        rule: {"n_responders": k, "n_undefined": u, "ci95": _exact(k, n - u)}
                        for rule, (k, u) in rules.items()
                    },
                }
            )
    return table


def _t_interval(n: int, mean: float | None, sd: float | None) -> tuple[float | None, float | None]:
    from handregen.analytics.stats._common import t_value

    if n < 2 or mean is None or sd is None:
        return None, None
    half = t_value(0.95, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def _exact(k: int, n: int) -> list[float] | None:
    from handregen.analytics.stats import proportion_ci

    ci = proportion_ci(k, n, method="clopper_pearson")
    return [ci.ci_low, ci.ci_high] if ci.ci_low is not None else None


def _assert_same(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    """Same cells, same counts, same means: otherwise the ratio would compare different work."""
    keyed = {(c["instrument"], c["timepoint"]): c for c in theirs}
    if len(ours) != len(theirs) or set(keyed) != {(c["instrument"], c["timepoint"]) for c in ours}:
        raise AssertionError("handregen and DuckDB answered for different cells")
    for cell in ours:
        other = keyed[(cell["instrument"], cell["timepoint"])]
        where = f"{cell['instrument']} at {cell['timepoint']}"
        for key in ("n_expected", "n_assessed"):
            if cell[key] != other[key]:
                raise AssertionError(f"{where}: {key} {cell[key]} (handregen) != {other[key]} (DuckDB)")
        for key in ("mean_change",):
            a, b = cell[key], other[key]
            if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=SLACK, abs_tol=SLACK)):
                raise AssertionError(f"{where}: {key} {a} (handregen) != {b} (DuckDB)")
        a, b = cell["ci95"] or [None, None], other["ci95"] or [None, None]
        if any(
            (x is None) != (y is None) or (x is not None and not math.isclose(x, y, abs_tol=1e-9))
            for x, y in zip(a, b, strict=True)
        ):
            raise AssertionError(f"{where}: ci95 {a} (handregen) != {b} (DuckDB)")
        rules = {r["rule"]: r for r in cell["responders"]}
        if set(rules) != set(other["responders"]):
            raise AssertionError(f"{where}: responder rules differ: {sorted(rules)} != {sorted(other['responders'])}")
        for name, rule in rules.items():
            mine, duck = (rule["n_responders"], rule["n_undefined"]), other["responders"][name]
            if mine != (duck["n_responders"], duck["n_undefined"]):
                raise AssertionError(f"{where} {name}: responders/undefined {mine} (handregen) != {duck} (DuckDB)")
