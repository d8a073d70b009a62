"""FHIR bulk export against orjson: `handregen export fhir` in resources per second.

Data: a synthetic registry of `size` patients (`handregen synth`) on the demo site, SQLite.
Baseline: the same queries (same filters, order and patient batches as the export's builders) read as plain
dicts with `.values()` and written straight to NDJSON with `orjson.dumps`, one row a line, no FHIR mapping and
no validation. Its rate is the export's resource count divided by the baseline's seconds, so the ratio is the
ratio of the two times on the same data. Target: the export reaches at least 50 % of it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchResult

BIN = Path(sys.executable).parent
SEED = 10


def _baseline_queries(ids: list[Any]) -> list[tuple[str, Any]]:
    """(file, queryset of dicts) per resource type for one batch of patients: the export's own queries."""
    from django.db.models import F

    from handregen.cellproducts.models import CellProduct
    from handregen.consent.models import Consent
    from handregen.evaluation.models import Consultation, ImagingStudy
    from handregen.outcomes.models import FollowUp, QuestionnaireResponse
    from handregen.pathway.models import Episode
    from handregen.procedures.models import Harvest, Injection
    from handregen.safety.models import AdverseEvent

    responses = QuestionnaireResponse.objects.filter(patient__in=ids).order_by(
        "patient_id", "entered_at", "instrument", "side", "variant"
    )
    return [
        ("Condition", Episode.objects.filter(patient__in=ids).order_by("patient_id", "created_at", "id")),
        ("Encounter", Consultation.objects.filter(patient__in=ids).order_by("patient_id", "seen_on", "id")),
        ("Procedure", Harvest.objects.filter(patient__in=ids).order_by("patient_id", "started_at", "id")),
        ("Procedure", Injection.objects.filter(patient__in=ids).order_by("patient_id", "performed_at", "id")),
        (
            "BiologicallyDerivedProduct",
            CellProduct.objects.filter(patient__in=ids).order_by("patient_id", "collected_at", "id"),
        ),
        ("Observation", responses.filter(scorable=True)),
        ("Observation", ImagingStudy.objects.filter(patient__in=ids).order_by("patient_id", "study_date", "id")),
        ("QuestionnaireResponse", responses),
        ("AdverseEvent", AdverseEvent.objects.filter(patient__in=ids).order_by("patient_id", "onset_date", "id")),
        ("Consent", Consent.objects.filter(patient__in=ids).order_by("patient_id", "recorded_at", "id")),
        (
            "CarePlan",
            FollowUp.objects.filter(patient__in=ids, superseded_at__isnull=True).order_by(
                "patient_id", F("due_on").asc(nulls_first=True), "days", "timepoint"
            ),
        ),
    ]


def _orjson_baseline(out: Path) -> int:
    """Write the rows the export reads as NDJSON with orjson; return the number of rows."""
    import orjson

    from handregen.accounts.models import Site
    from handregen.interop.fhir.bulk import BATCH
    from handregen.patients.models import Patient

    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    files = {
        name: (out / f"{name}.ndjson").open("wb")
        for name in [
            "Patient",
            "Condition",
            "Encounter",
            "Procedure",
            "BiologicallyDerivedProduct",
            "Observation",
            "QuestionnaireResponse",
            "AdverseEvent",
            "Consent",
            "CarePlan",
        ]
    }
    try:
        patients = Patient.objects.filter(site=Site.objects.get(code="demo")).order_by("mrn", "id").values()
        batch: list[dict[str, Any]] = []

        def flush() -> int:
            written = 0
            queries = [("Patient", batch), *_baseline_queries([p["id"] for p in batch])]
            for name, dicts in queries:
                lines = [orjson.dumps(d, default=str) + b"\n" for d in (dicts if name == "Patient" else dicts.values())]
                files[name].write(b"".join(lines))
                written += len(lines)
            return written

        for patient in patients.iterator(chunk_size=BATCH):
            batch.append(patient)
            if len(batch) == BATCH:
                rows += flush()
                batch = []
        if batch:
            rows += flush()
    finally:
        for f in files.values():
            f.close()
    return rows


def measure(workdir: Path) -> dict[str, float]:
    """In a Django process: time the export and the baseline on the same database."""
    import io

    import django

    django.setup()
    from django.core.management import call_command

    started, cpu = time.perf_counter(), _cpu_seconds()
    call_command("export", "fhir", "--out", str(workdir / "fhir"), "--user", "steward", stdout=io.StringIO())
    export_s, export_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    manifest = json.loads((workdir / "fhir" / "manifest.json").read_text())
    resources = sum(o["count"] for o in manifest["output"])
    started, cpu = time.perf_counter(), _cpu_seconds()
    rows = _orjson_baseline(workdir / "orjson")
    baseline_s, baseline_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    return {
        "resources": resources,
        "export_s": export_s,
        "rows": rows,
        "baseline_s": baseline_s,
        "export_cpu_s": export_cpu,
        "baseline_cpu_s": baseline_cpu,
    }


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the export's workers): on a shared machine, the
    work done, where wall time also counts the waits for a core."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(size: int = 5000) -> BenchResult:
    workdir = Path(tempfile.mkdtemp(prefix="handregen-bench-fhir-"))
    env = os.environ | {
        "HANDREGEN_VAR_DIR": str(workdir),
        "DJANGO_SETTINGS_MODULE": "handregen.settings",
        "HANDREGEN_DEMO_PASSWORD": "bench password long enough",
        "HANDREGEN_DEBUG": "false",
        "HANDREGEN_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    try:
        handregen = str(BIN / "handregen")
        subprocess.run([handregen, "migrate", "-v0"], env=env, check=True)
        subprocess.run(
            [handregen, "synth", "--patients", str(size), "--seed", str(SEED)], env=env, check=True, capture_output=True
        )
        subprocess.run([handregen, "demo"], env=env, check=True, capture_output=True)  # staff; no more patients
        child = (
            f"from bench.fhir_export import measure; import json, pathlib; "
            f"print(json.dumps(measure(pathlib.Path({str(workdir)!r}))))"
        )
        out = subprocess.run([sys.executable, "-c", child], env=env, check=True, capture_output=True, text=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = BenchResult("fhir_export", size)
    export_rate = figures["resources"] / figures["export_s"]
    baseline_rate = figures["resources"] / figures["baseline_s"]
    cpu_ratio = figures["baseline_cpu_s"] / figures["export_cpu_s"]
    result.add(
        "orjson NDJSON of the same rows",
        baseline_rate,
        "res/s",
        note=f"{figures['rows']:,} rows in {figures['baseline_s']:.1f} s ({figures['baseline_cpu_s']:.1f} s CPU)",
    )
    result.add(
        "export fhir (validated)",
        export_rate,
        "res/s",
        baseline=baseline_rate,
        target_ratio=0.5,
        note=f"{figures['resources']:,} resources in {figures['export_s']:.1f} s "
        f"({figures['export_cpu_s']:.1f} s CPU, all processes; CPU ratio {cpu_ratio:.2f})",
    )
    return result


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000).table())
