"""What scoring returns: `ScoreResult` to callers, `RuleOutcome` from one instrument's rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from handregen.outcomes.instruments import Instrument


@dataclass(frozen=True)
class ScoreResult:
    """One scored response. `scorable` is True exactly when `total` is not None.

    `reasons` says in plain words why something is not scorable, or which answers were ignored or imputed.
    `scoring_version` (e.g. "quickdash-1") and `missing_policy` are stored with every score.
    """

    total: float | None
    subscales: dict[str, float | None]
    scorable: bool
    reasons: list[str]
    instrument: str
    scoring_version: str
    missing_policy: str | None = None

    def __post_init__(self) -> None:
        if self.scorable != (self.total is not None):
            raise ValueError("scorable must be True exactly when total is not None")


@dataclass(frozen=True)
class RuleOutcome:
    """What one instrument's scoring rule computed from the usable answers."""

    total: float | None
    subscales: dict[str, float | None] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    missing_policy: str | None = None


# A rule gets the instrument, the usable answers (item id -> number, missing items absent) and the options.
Compute = Callable[[Instrument, Mapping[str, float], Mapping[str, object]], RuleOutcome]


@dataclass(frozen=True)
class Rule:
    compute: Compute
    options: frozenset[str] = frozenset()
