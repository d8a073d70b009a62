"""Jobs of lost workers are queued again, then failed visibly; scheduled work is queued once per slot; the health
endpoint reports the database and the queue. (The subprocess test of a killed worker is test_worker_crash.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from handregen.interop.models import BulkExportFailure, BulkExportJob
from handregen.jobs.models import ScheduledRun, WorkerBeat
from handregen.jobs.recovery import GIVEN_UP, lost_jobs_recover
from handregen.jobs.schedule import SCHEDULE, schedule_due, slot_of
from handregen.jobs.worker import beat, ready_jobs_run
from tests.jobs.tasks import slow_marker

pytestmark = pytest.mark.django_db


def _running(worker_ids: list[str], started_ago: timedelta) -> DBTaskResult:
    """A job as a worker leaves it when it dies mid-run: claimed, RUNNING, never finished."""
    result = slow_marker.enqueue("/nonexistent", 0)
    job = DBTaskResult.objects.get(pk=result.id)
    job.status = TaskResultStatus.RUNNING
    job.worker_ids = worker_ids
    job.started_at = timezone.now() - started_ago
    job.save()
    return job


def _silent(worker_id: str, seconds: int) -> None:
    beat(worker_id)
    WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=timezone.now() - timedelta(seconds=seconds))


def test_a_job_of_a_silent_worker_is_queued_again_and_one_of_a_live_worker_is_left(settings):
    settings.HANDREGEN_WORKER_LOST_AFTER_SECONDS = 60
    _silent("dead", 120)
    beat("alive")
    orphan = _running(["dead"], timedelta(minutes=5))
    busy = _running(["alive"], timedelta(minutes=5))
    fresh = _running(["never-beat"], timedelta(seconds=5))  # just claimed: its worker gets the grace time too

    recovered = lost_jobs_recover()

    assert recovered.requeued == [str(orphan.pk)] and recovered.failed == []
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses == {orphan.pk: "READY", busy.pk: "RUNNING", fresh.pk: "RUNNING"}


def test_a_job_whose_worker_was_lost_on_every_attempt_fails_with_a_reason(settings):
    settings.HANDREGEN_JOB_MAX_ATTEMPTS = 2
    _silent("a", 600)
    _silent("b", 600)
    job = _running(["a", "b"], timedelta(minutes=20))

    recovered = lost_jobs_recover()

    job.refresh_from_db()
    assert recovered.failed == [str(job.pk)] and job.status == "FAILED" and job.finished_at is not None
    assert job.exception_class_path == GIVEN_UP and "2 time(s)" in job.traceback
    assert lost_jobs_recover().failed == []  # failed once, not again


def test_a_given_up_export_says_so_on_its_status_url(api, make_patient, settings, tmp_path):
    settings.HANDREGEN_JOB_MAX_ATTEMPTS = 1
    make_patient()
    client = api("data_steward")
    client.headers["Prefer"] = "respond-async"
    path = client.get("/fhir/R4/$export")["Content-Location"].split("testserver", 1)[1]
    job = DBTaskResult.objects.get()
    job.status, job.worker_ids, job.started_at = "RUNNING", ["gone"], timezone.now() - timedelta(hours=1)
    job.save()

    lost_jobs_recover()

    assert BulkExportFailure.objects.count() == 1 and not BulkExportJob.objects.exists()
    body = client.get(path)
    assert body.status_code == 500 and "stopped before it ended" in body.json()["issue"][0]["diagnostics"]


def test_scheduled_work_is_queued_once_per_slot_and_runs(settings):
    settings.HANDREGEN_REMIND_EVERY_SECONDS = 3600
    settings.HANDREGEN_APPOINTMENT_REMIND_EVERY_SECONDS = 3600
    settings.HANDREGEN_EXPORT_CLEANUP_EVERY_SECONDS = 900
    now = slot_of(timezone.now(), 3600) + timedelta(minutes=7)  # inside one slot of either interval

    assert schedule_due(now) == [p.name for p in SCHEDULE]
    assert schedule_due(now + timedelta(minutes=1)) == []
    assert schedule_due(now + timedelta(minutes=10)) == ["expired export files"]  # the next 15-minute slot
    assert schedule_due(now + timedelta(hours=1)) == [p.name for p in SCHEDULE]

    assert ready_jobs_run() == DBTaskResult.objects.count()
    results = {r.task_path.rsplit(".", 1)[1]: r for r in DBTaskResult.objects.all()}
    assert set(results) == {"reminders_run", "appointment_reminders_run", "export_cleanup_run"}
    assert all(r.status == "SUCCESSFUL" for r in DBTaskResult.objects.all())
    assert results["reminders_run"].return_value == {"invitations": 0, "reminders": 0, "failed": 0, "alerts": 0}
    assert results["appointment_reminders_run"].return_value == {"sent": 0}


def test_a_slot_already_taken_by_another_worker_queues_nothing(settings):
    now = timezone.now()
    for periodic in SCHEDULE:
        ScheduledRun.objects.create(
            name=periodic.name, slot=slot_of(now, periodic.every()), task_result_id="other", queued_at=now
        )
    assert schedule_due(now) == [] and not DBTaskResult.objects.exists()


def test_an_interval_of_zero_turns_a_periodic_job_off(settings):
    settings.HANDREGEN_REMIND_EVERY_SECONDS = 0
    settings.HANDREGEN_APPOINTMENT_REMIND_EVERY_SECONDS = 0
    assert schedule_due() == ["expired export files"]


def test_health_is_ok_with_a_live_worker_and_503_when_jobs_wait_with_none(client, settings):
    settings.HANDREGEN_WORKER_LOST_AFTER_SECONDS = 60
    ok = client.get("/health")
    assert ok.status_code == 200 and ok.json()["database"] == "ok" and ok.json()["queue"]["waiting"] == 0

    slow_marker.enqueue("/nonexistent", 0)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=5))
    stuck = client.get("/health")
    assert stuck.status_code == 503 and stuck.json()["status"] == "degraded"
    assert stuck.json()["queue"]["oldest_waiting_seconds"] >= 300 and "handregen worker" in stuck.json()["problem"]

    beat("w1")
    assert client.get("/health").status_code == 200
