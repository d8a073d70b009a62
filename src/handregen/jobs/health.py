"""What the health endpoint reports: the database answers, and the job queue is being worked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from handregen.jobs.models import WorkerBeat
from handregen.jobs.recovery import lost_after


def queue_state() -> dict[str, Any]:
    """Counts only (no job arguments): live workers, jobs waiting and the age of the oldest, running, failed today."""
    now = timezone.now()
    day_ago = now - timedelta(days=1)
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "workers": WorkerBeat.objects.filter(beat_at__gte=now - lost_after()).count(),
        "waiting": ready.count(),
        "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "running": DBTaskResult.objects.running().count(),
        "failed_last_day": DBTaskResult.objects.failed().filter(finished_at__gte=day_ago).count(),
    }


def health() -> tuple[int, dict[str, Any]]:
    """200 "ok" when the database answers and no job has waited longer than a lost worker's grace time with no
    worker alive; 503 otherwise, saying which part is wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return 503, {"status": "failing", "database": "not answering"}
    try:
        queue = queue_state()
    except Exception:
        return 503, {"status": "failing", "database": "ok", "queue": "not readable (are the migrations applied?)"}
    stuck = queue["workers"] == 0 and queue["oldest_waiting_seconds"] > lost_after().total_seconds()
    body = {"status": "degraded" if stuck else "ok", "database": "ok", "queue": queue}
    if stuck:
        body["problem"] = "Jobs are waiting and no worker is running: start `handregen worker`."
    return (503 if stuck else 200), body
