"""A job for the worker tests: it notes its start and end (with the worker's process id) in a file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def slow_marker(path: str, seconds: float) -> None:
    marker = Path(path)
    with marker.open("a") as out:
        out.write(f"started {os.getpid()}\n")
    time.sleep(seconds)
    with marker.open("a") as out:
        out.write(f"done {os.getpid()}\n")
