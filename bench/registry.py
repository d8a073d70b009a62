"""A synthetic registry for benchmarks that read (not write): built once per size and seed, then reused.

On SQLite it lives in var/bench/registry-<size>-s<seed>/ (a `complete` marker says the build finished); with
DATABASE_URL set (PostgreSQL) the same `handregen synth` runs against that database, where a rerun with the
same seed adds nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
CACHE = Path(__file__).resolve().parent.parent / "var" / "bench"
SITE = "demo"


def registry_env(size: int, seed: int) -> dict[str, str]:
    """The environment a child process needs to open the registry of `size` patients built with `seed`."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "handregen.settings",
        "HANDREGEN_LOG_LEVEL": "WARNING",
        "HANDREGEN_DEBUG": "false",
    }
    if "DATABASE_URL" not in env:
        env["HANDREGEN_VAR_DIR"] = str(CACHE / f"registry-{size}-s{seed}")
    return env


def ensure_registry(size: int, seed: int) -> tuple[dict[str, str], bool]:
    """Build the registry unless a finished one is cached; the environment and whether it was built now."""
    env = registry_env(size, seed)
    folder = Path(env["HANDREGEN_VAR_DIR"]) if "HANDREGEN_VAR_DIR" in env else None
    if folder is not None and (folder / "complete").exists():
        subprocess.run([str(BIN / "handregen"), "migrate", "-v0"], env=env, check=True)  # e.g. a new index
        return env, False
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)  # an unfinished build: start again rather than guess
        folder.mkdir(parents=True)
    subprocess.run([str(BIN / "handregen"), "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [str(BIN / "handregen"), "synth", "--patients", str(size), "--seed", str(seed), "--site", SITE],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if folder is not None:
        (folder / "complete").write_text(f"{size} patients, seed {seed}\n")
    return env, True
