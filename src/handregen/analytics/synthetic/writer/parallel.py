"""Writing a large synthetic registry with several processes that take turns at the database.

Each worker process builds the rows of a batch (simulated course, scored answers, audit descriptions) outside
any transaction, then waits for its turn (an inter-process lock, so the workers queue instead of racing for
SQLite's write lock or PostgreSQL's audit-chain lock) and writes them: one batch is assembled while another is
written, and the audit chain stays one chain. The parent only streams the simulated patients to the workers.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING, Any

from django.db import connection, connections

from handregen.accounts.models import Site
from handregen.analytics.synthetic.cohort import SyntheticPatient
from handregen.analytics.synthetic.writer.context import SiteContext, site_context

if TYPE_CHECKING:
    from handregen.analytics.synthetic.writer import SynthSummary

Write = Callable[[SiteContext, list[SyntheticPatient], AbstractContextManager[Any] | None], "SynthSummary"]

# SQLite's page cache for the connection that writes (KiB, as PRAGMA cache_size takes a negative number): the
# default 2 MiB makes every insert into a large index read its pages again.
SQLITE_CACHE_KIB = 128 * 1024

_worker: dict[str, Any] = {}


def parallel_possible() -> bool:
    """Worker processes need their own connections to the same database, opened outside any transaction."""
    if connection.in_atomic_block or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())  # type: ignore[attr-defined]


@contextmanager
def roomy_cache() -> Iterator[None]:
    """A larger SQLite page cache on this connection while the registry is written (nothing on PostgreSQL)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


def _start(site_pk: Any, seed: int, today: date, write: Write, turn: AbstractContextManager[Any]) -> None:
    gc.disable()  # collected after each batch instead
    _worker.update(ctx=site_context(site=Site.objects.get(pk=site_pk), seed=seed, today=today), write=write, turn=turn)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _run(patients: list[SyntheticPatient]) -> SynthSummary:
    part = _worker["write"](_worker["ctx"], patients, _worker["turn"])
    gc.collect()
    return part


def run_parallel(
    ctx: SiteContext,
    chunks: Iterable[list[SyntheticPatient]],
    workers: int,
    *,
    write: Write,
    done: Callable[[SynthSummary], None],
) -> None:
    """Write every chunk through `workers` processes; `done(counts)` in the parent as each batch is written."""
    forked = multiprocessing.get_context("fork")
    turn = forked.Lock()
    connections.close_all()  # the children open their own; a connection must not cross a fork
    pool = forked.Pool(workers, initializer=_start, initargs=(ctx.site.pk, ctx.seed, ctx.today, write, turn))
    try:
        pending: deque[AsyncResult[SynthSummary]] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_run, (chunk,)))
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
