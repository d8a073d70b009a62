"""Writing a large synthetic registry with several processes that take turns at the database.

Each worker process builds the rows of a batch (simulation, scoring, audit descriptions) outside any
transaction, then waits for the write lock (SQLite's IMMEDIATE transaction, PostgreSQL's audit-chain lock) to
insert them, so one batch is assembled while another is written. The parent streams the batches and hands
out product sequence numbers before each batch leaves, so no two workers ever wait on the counter.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable
from datetime import date
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING, Any

from django.db import connection, connections

from handregen.accounts.models import Site
from handregen.analytics.synthetic.cohort import SyntheticPatient
from handregen.analytics.synthetic.writer.context import SiteContext, site_context

if TYPE_CHECKING:
    from handregen.analytics.synthetic.writer import SynthSummary

Allocate = Callable[[SiteContext, list[SyntheticPatient]], dict[int, list[int]]]
Write = Callable[[SiteContext, list[SyntheticPatient], dict[int, list[int]]], "SynthSummary"]

_worker: dict[str, Any] = {}


def parallel_possible() -> bool:
    """Worker processes need their own connections to the same database, opened outside any transaction."""
    if connection.in_atomic_block or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())  # type: ignore[attr-defined]


def _start(site_pk: Any, seed: int, today: date, write: Write) -> None:
    gc.disable()  # collected after each batch instead
    _worker["ctx"] = site_context(site=Site.objects.get(pk=site_pk), seed=seed, today=today)
    _worker["write"] = write


def _run(patients: list[SyntheticPatient], numbers: dict[int, list[int]]) -> SynthSummary:
    part = _worker["write"](_worker["ctx"], patients, numbers)
    gc.collect()
    return part  # type: ignore[no-any-return]


def run_parallel(
    ctx: SiteContext,
    chunks: Iterable[list[SyntheticPatient]],
    workers: int,
    *,
    allocate: Allocate,
    write: Write,
    done: Callable[[SynthSummary], None],
) -> None:
    """Write every chunk through `workers` processes; `done(counts)` in the parent as each batch is written."""
    connections.close_all()  # the children open their own; a connection must not cross a fork
    pool = multiprocessing.get_context("fork").Pool(
        workers, initializer=_start, initargs=(ctx.site.pk, ctx.seed, ctx.today, write)
    )
    try:
        pending: deque[AsyncResult[SynthSummary]] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_run, (chunk, allocate(ctx, chunk))))
            while len(pending) >= 2 * workers:  # keep every worker busy without queueing the whole registry
                done(pending.popleft().get())
        while pending:
            done(pending.popleft().get())
    except BaseException:
        pool.terminate()  # batches already written stay; a rerun with the same seed adds the missing ones
        raise
    else:
        pool.close()
    finally:
        pool.join()
