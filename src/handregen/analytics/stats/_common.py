"""Shared helpers for the pure statistics layer: JSON-ready frozen results and input checks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class Result:
    """Base of every result: a frozen dataclass that turns itself into plain JSON types."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}


def jsonable(value: Any) -> Any:
    """Plain JSON types: tuples become lists, numpy scalars become Python ones, NaN/inf become None."""
    if isinstance(value, Result):
        return value.as_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must lie strictly between 0 and 1, got {level}")
    return level


def check_count(name: str, value: Any) -> int:
    """A non-negative whole number (bools are refused: they are almost always a caller's mistake)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer count, not a bool")
    whole_float = isinstance(value, (float, np.floating)) and float(value).is_integer()
    if isinstance(value, (int, np.integer)) or whole_float:
        out = int(value)
    else:
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if out < 0:
        raise ValueError(f"{name} must not be negative, got {out}")
    return out


def opt_float(value: Any) -> float | None:
    """A finite Python float, or None for missing / NaN / infinite."""
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def z_value(level: float) -> float:
    return float(sps.norm.ppf(0.5 + level / 2.0))


def t_value(level: float, df: float) -> float:
    return float(sps.t.ppf(0.5 + level / 2.0, df))


def is_missing(value: Any) -> bool:
    """None, NaN and pandas' NA count as missing."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    # pandas.NA and NaT compare as missing without importing pandas here.
    return type(value).__name__ in {"NAType", "NaTType"}


def clip01(value: float) -> float:
    return min(1.0, max(0.0, value))


def finite_array(values: Iterable[Any], name: str) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr
