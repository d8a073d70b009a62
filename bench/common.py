"""What every benchmark shares: a result with figures and a ratio to a baseline from the same run."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass
class Measurement:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    target_ratio: float | None = None  # the ratio value/baseline must reach (or stay under, when lower_is_better)
    lower_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    @property
    def met(self) -> bool | None:
        if self.ratio is None or self.target_ratio is None:
            return None
        return self.ratio <= self.target_ratio if self.lower_is_better else self.ratio >= self.target_ratio


@dataclass
class BenchResult:
    benchmark: str
    size: int
    measurements: list[Measurement] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def add(self, *args: Any, **kwargs: Any) -> Measurement:
        m = Measurement(*args, **kwargs)
        self.measurements.append(m)
        return m

    def table(self) -> str:
        lines = [
            f"== {self.benchmark} (size {self.size}) ==",
            f"{'measure':<38} {'value':>12} {'unit':<10} {'baseline':>12} {'ratio':>7} {'target':>8} met",
        ]
        for m in self.measurements:
            ratio = f"{m.ratio:.2f}" if m.ratio is not None else "-"
            target = (("<=" if m.lower_is_better else ">=") + f"{m.target_ratio:g}") if m.target_ratio else "-"
            base = f"{m.baseline:.1f}" if m.baseline is not None else "-"
            met = {True: "yes", False: "NO", None: "-"}[m.met]
            lines.append(f"{m.name:<38} {m.value:>12.1f} {m.unit:<10} {base:>12} {ratio:>7} {target:>8} {met}")
        return "\n".join(lines)

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.benchmark}.json"
        payload = {
            "benchmark": self.benchmark,
            "size": self.size,
            "started_at": self.started_at,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "measurements": [asdict(m) | {"ratio": m.ratio, "met": m.met} for m in self.measurements],
        }
        path.write_text(json.dumps(payload, indent=2) + "\n")
        return path
