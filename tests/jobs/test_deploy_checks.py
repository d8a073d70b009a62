"""`handregen check --deploy` refuses job and file settings unfit for production, and warns of a missing worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from handregen.checks import check_worker_running, jobs_and_files_problems
from tests.jobs.tasks import slow_marker

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
FS = "django.core.files.storage.FileSystemStorage"


def test_the_database_backend_and_a_writable_file_store_pass(tmp_path):
    storages = {"files": {"BACKEND": FS, "OPTIONS": {"location": str(tmp_path / "new" / "files")}}}
    assert jobs_and_files_problems(DB_TASKS, storages) == []


def test_a_backend_that_runs_jobs_in_the_request_or_never_is_refused(tmp_path):
    storages = {"files": {"BACKEND": FS, "OPTIONS": {"location": str(tmp_path)}}}
    for backend in ["django_tasks.backends.immediate.ImmediateBackend", "django_tasks.backends.dummy.DummyBackend"]:
        [problem] = jobs_and_files_problems({"default": {"BACKEND": backend}}, storages)
        assert backend in problem and "handregen worker" in problem


def test_a_missing_file_store_is_refused():
    assert "no 'files' store" in jobs_and_files_problems(DB_TASKS, {})[0]


def test_a_relative_file_store_folder_is_refused():
    storages = {"files": {"BACKEND": FS, "OPTIONS": {"location": "var/files"}}}
    assert "cannot be written" in jobs_and_files_problems(DB_TASKS, storages)[0]


@pytest.mark.django_db
def test_the_deploy_check_warns_when_jobs_wait_and_no_worker_runs(settings):
    assert check_worker_running(databases=["default"]) == []
    slow_marker.enqueue("/nonexistent", 0)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    [warning] = check_worker_running(databases=["default"])
    assert warning.id == "handregen.W003" and "handregen worker" in warning.msg


def test_the_check_command_reports_a_wrong_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(SystemCheckError, match=r"handregen\.E002"):
        call_command("check", "--deploy", "--fail-level", "ERROR")
