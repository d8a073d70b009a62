"""Mathiowetz 1985 adult grip-strength norms (Jamar dynamometer, second handle position).

Source: Mathiowetz et al., Arch Phys Med Rehabil 1985;66:69-74 (310 men, 328 women aged 20-94), as
reproduced in the Baseline dynamometer manual (clinical-facts §1.9; spot-check against the original table
before release). Values are kept in POUNDS as published and converted with the exact factor below, not
taken from rounded kg columns. Non-monotonic cells are reproduced as published, not smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass

# Exact definition of the international avoirdupois pound in kilograms.
KG_PER_LB = 0.45359237

YOUNGEST_NORMED_AGE = 20

# (first age of the band, men right, men left, women right, women left), each (mean, SD) in pounds.
# The last band (75) is "75 and over".
_Cell = tuple[float, float]
_TABLE_LB: tuple[tuple[int, tuple[_Cell, _Cell, _Cell, _Cell]], ...] = (
    (20, ((121.0, 20.6), (104.5, 21.8), (70.4, 14.5), (61.0, 13.1))),
    (25, ((120.8, 23.0), (110.5, 16.2), (74.5, 13.9), (63.5, 12.2))),
    (30, ((121.8, 22.4), (110.4, 21.7), (78.7, 19.2), (68.0, 17.7))),
    (35, ((119.7, 24.0), (112.9, 21.7), (74.1, 10.8), (66.3, 11.7))),
    (40, ((116.8, 20.7), (112.8, 18.7), (70.4, 13.5), (62.3, 13.8))),
    (45, ((109.9, 23.0), (100.8, 22.8), (62.2, 15.1), (56.0, 12.7))),
    (50, ((113.6, 18.1), (101.9, 17.0), (65.8, 11.6), (57.3, 10.7))),
    (55, ((101.1, 26.7), (83.2, 23.4), (57.3, 12.5), (47.3, 11.9))),
    (60, ((89.7, 20.4), (76.8, 20.3), (55.1, 10.1), (45.7, 10.1))),
    (65, ((91.1, 20.6), (76.8, 19.8), (49.6, 9.7), (41.0, 8.2))),
    (70, ((75.3, 21.5), (64.8, 18.1), (49.6, 11.7), (41.5, 10.2))),
    (75, ((65.7, 21.0), (55.0, 17.0), (42.6, 11.0), (37.6, 8.9))),
)
_COLUMNS = (("male", "right"), ("male", "left"), ("female", "right"), ("female", "left"))


@dataclass(frozen=True)
class GripNorm:
    age_band: str
    sex: str
    side: str
    mean_lb: float
    sd_lb: float

    @property
    def mean_kg(self) -> float:
        return self.mean_lb * KG_PER_LB

    @property
    def sd_kg(self) -> float:
        return self.sd_lb * KG_PER_LB


def grip_norm(*, age: int, sex: str, side: str) -> GripNorm | None:
    """The norm for this age (years), sex ("female"/"male") and side ("right"/"left"); None under age 20."""
    if (sex, side) not in _COLUMNS:
        raise ValueError(f"no grip norm column for sex {sex!r} and side {side!r}")
    if age < YOUNGEST_NORMED_AGE:
        return None
    first_age, cells = next(row for row in reversed(_TABLE_LB) if age >= row[0])
    band = f"{first_age}+" if first_age == _TABLE_LB[-1][0] else f"{first_age}-{first_age + 4}"
    mean_lb, sd_lb = cells[_COLUMNS.index((sex, side))]
    return GripNorm(age_band=band, sex=sex, side=side, mean_lb=mean_lb, sd_lb=sd_lb)
