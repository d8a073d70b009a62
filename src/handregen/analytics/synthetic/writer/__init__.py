"""The synthetic registry written to the database: real rows of every model of the pathway, clearly marked.

`synth_registry(site=, count=, seed=)` turns the simulated cohort (`synthetic.cohort`) into patients
(`is_synthetic`, MRN `SYN<seed>-<number>`), episodes at every stage, evaluation, consent with a signature that
verifies, preparation, the chain of identity, injection, post-care, follow-ups with responses scored by the
real rules, adverse events and re-interventions. Rows are inserted per model in batches of patients, one
transaction per batch, each row with its chained audit event (`audit.services.audited_bulk_create`); the
simulation streams, so memory stays flat however many patients are asked for. The authors are inactive
synthetic staff of the site. Running the same seed again at the same site adds only the patients that are
missing (none, after a complete run).

For speed at scale: keys are time-ordered UUIDs (`context.TimeOrderedIds`), so inserts append to the indexes;
and with `workers` > 1 several processes build batches while one writes (`parallel`).
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

import numpy as np
from django.db import transaction

from handregen.accounts.models import Site
from handregen.analytics.synthetic.cohort import SyntheticPatient, simulated
from handregen.analytics.synthetic.writer.batch import Batch
from handregen.analytics.synthetic.writer.clinical import build_clinical
from handregen.analytics.synthetic.writer.context import SiteContext, SynthError, site_context
from handregen.analytics.synthetic.writer.outcomes import build_outcomes
from handregen.analytics.synthetic.writer.parallel import parallel_possible, roomy_cache, run_parallel
from handregen.analytics.synthetic.writer.plan import plan_for
from handregen.analytics.synthetic.writer.products import allocate_sequences, build_procedure, harvest_year
from handregen.cellproducts.models import CellProduct
from handregen.outcomes.models import QuestionnaireResponse
from handregen.patients.models import Patient
from handregen.safety.models import AdverseEvent, Reintervention

__all__ = ["SynthError", "SynthSummary", "synth_registry"]

BATCH_PATIENTS = 1000


@dataclass
class SynthSummary:
    site: str
    seed: int
    requested: int
    patients: int = 0
    skipped: int = 0  # already written by an earlier run with the same seed
    episodes_by_stage: Counter[str] = field(default_factory=Counter)
    products: int = 0
    responses: int = 0
    adverse_events: int = 0
    reinterventions: int = 0
    seconds: float = 0.0

    def merge(self, part: SynthSummary) -> None:
        self.patients += part.patients
        self.episodes_by_stage.update(part.episodes_by_stage)
        self.products += part.products
        self.responses += part.responses
        self.adverse_events += part.adverse_events
        self.reinterventions += part.reinterventions

    def lines(self) -> list[str]:
        stages = ", ".join(f"{stage} {n}" for stage, n in sorted(self.episodes_by_stage.items())) or "none"
        return [
            f"Synthetic registry at {self.site}, seed {self.seed}: {self.patients} patients written, "
            f"{self.skipped} already there (of {self.requested} asked for)",
            f"  episodes by stage: {stages}",
            f"  cell products: {self.products}",
            f"  questionnaire responses and measurements: {self.responses}",
            f"  adverse events: {self.adverse_events}",
            f"  re-interventions: {self.reinterventions}",
            f"  {self.seconds:.1f} seconds",
        ]


def _rngs(site: Site, seed: int, number: int, hand: int = 0) -> tuple[random.Random, np.random.Generator]:
    """The patient's own random streams, so a rerun or a resumed run writes the same patient the same way."""
    text = f"{site.code}:{seed}:{number}" + (f":hand{hand}" if hand else "")
    return random.Random(text), np.random.default_rng([seed, number, *([hand] if hand else [])])  # noqa: S311 - made-up


def write_batch(
    ctx: SiteContext, patients: list[SyntheticPatient], turn: AbstractContextManager[Any] | None = None
) -> SynthSummary:
    """Write the rows of `patients`; their counts.

    Everything but the product records is built before the transaction; inside it (after waiting for `turn`,
    when several processes take turns at the database) the product sequence numbers are taken from the
    facility's counters, the products built and every row inserted.
    """
    part = SynthSummary(site=ctx.site.code, seed=ctx.seed, requested=0)
    batch = Batch()
    injected = []
    for first in patients:
        registered = None
        for p in (first, first.other_hand):  # a bilateral patient's second hand is a second episode
            if p is None:
                continue
            plan = plan_for(p, ctx.today)
            rnd, gen = _rngs(ctx.site, ctx.seed, p.number, p.hand)
            written = build_clinical(ctx, p, plan, rnd, batch, patient=registered)
            registered = written.patient
            if plan.consulted:
                build_outcomes(ctx, p, written, plan.injected, rnd, gen, batch)
            if plan.injected:
                injected.append((p, written, rnd))
            part.episodes_by_stage[str(plan.stage)] += 1
    with turn or nullcontext(), transaction.atomic():
        numbers = allocate_sequences(ctx, [harvest_year(ctx, p) for p, _, _ in injected])
        for p, written, rnd in injected:
            build_procedure(ctx, p, written, rnd, numbers[harvest_year(ctx, p)].pop(0), batch)
        batch.write(ctx.site)
    part.patients = len(patients)
    part.products = batch.count(CellProduct)
    part.responses = batch.count(QuestionnaireResponse)
    part.adverse_events = batch.count(AdverseEvent)
    part.reinterventions = batch.count(Reintervention)
    return part


def _missing(ctx: SiteContext, count: int, summary: SynthSummary) -> Iterator[SyntheticPatient]:
    """The simulated patients whose MRN the site does not have yet (read now, before any worker starts)."""
    prefix = f"SYN{ctx.seed}-"
    existing = set(Patient.objects.filter(site=ctx.site, mrn__startswith=prefix).values_list("mrn", flat=True))
    follow_up = [(point.code, point.days) for point in ctx.definition.follow_up]

    def stream() -> Iterator[SyntheticPatient]:
        for p in simulated(count, ctx.seed, today=ctx.today, follow_up=follow_up):
            if f"{prefix}{p.number + 1:06d}" in existing:
                summary.skipped += 1
                continue
            yield p

    return stream()


def synth_registry(
    *,
    site: Site,
    count: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_PATIENTS,
    workers: int = 1,
) -> SynthSummary:
    """Write `count` synthetic patients (seed `seed`) at `site`; `progress(done, count)` after each batch.

    With `workers` > 1 (and a database other processes can reach, outside any transaction) the batches are
    built by that many processes, which take turns to write them: the rows of one are assembled while another
    writes, and the audit chain stays one chain.
    """
    started = time.monotonic()
    if count < 0 or seed < 0 or batch_size < 1:
        raise ValueError("count and seed must not be negative, batch_size must be positive")
    ctx = site_context(site=site, seed=seed, today=today or site.today())
    summary = SynthSummary(site=site.code, seed=seed, requested=count)
    stream = _missing(ctx, count, summary)
    chunks = iter(lambda: list(islice(stream, batch_size)), [])

    def done(part: SynthSummary) -> None:
        summary.merge(part)
        if progress is not None:
            progress(summary.patients + summary.skipped, count)

    if workers > 1 and parallel_possible():
        run_parallel(ctx, chunks, workers, write=write_batch, done=done)
    else:
        collecting = gc.isenabled()
        gc.disable()  # a batch is many young objects that all live until it is written: no cycles to look for
        try:
            with roomy_cache():
                for chunk in chunks:
                    done(write_batch(ctx, chunk))
                    gc.collect()
        finally:
            if collecting:
                gc.enable()
    if progress is not None:
        progress(count, count)
    summary.seconds = time.monotonic() - started
    return summary
