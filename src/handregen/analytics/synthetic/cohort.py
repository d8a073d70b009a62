"""Simulated patients and their course, as plain data (pure: numpy only).

The model is deliberately modest and varied, as the published series are: about four in ten patients
improve a lot, the rest little or not at all; pain often flares in the first two weeks; later stages do
worse; visits are missed and patients drop out; some later have surgery. Nothing here is evidence: the
numbers only make the demo and the benchmarks look like a real registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

INDICATIONS = ("thumb_cmc_oa", "finger_oa", "wrist_oa")
INDICATION_SHARE = (0.7, 0.2, 0.1)
JOINTS = {"thumb_cmc_oa": ["CMC1"], "finger_oa": ["PIP3"], "wrist_oa": ["RADIOCARPAL"]}
STAGES = ("I", "II", "III", "IV")
STAGE_SHARE = (0.1, 0.35, 0.45, 0.1)
SOURCES = ("adipose", "bone_marrow")
METHODS = {
    "adipose": ("mechanical_microfragmentation", "washed_lipoaspirate"),
    "bone_marrow": ("centrifugation_concentrate",),
}

# Share of treated patients whose other hand is treated too, as a second episode some months later. Hand OA is
# mostly bilateral; in cell-therapy series roughly one patient in ten has both hands treated (made-up rate).
BILATERAL_SHARE = 0.12

# Where an episode stops, and how often (the rest reach injection).
STOPS = (
    ("referred", 0.02),
    ("consulted", 0.02),
    ("ineligible", 0.08),
    ("deferred", 0.03),
    ("withdrawn_before_injection", 0.05),
)


AE_TERMS = (  # term, share of injected patients, grade range, share serious
    ("injection_site_pain_flare", 0.15, (1, 2), 0.0),
    ("injection_site_swelling", 0.06, (1, 1), 0.0),
    ("harvest_site_haematoma", 0.05, (1, 2), 0.0),
    ("vasovagal_reaction", 0.02, (1, 2), 0.0),
    ("numbness", 0.02, (1, 2), 0.0),
    ("infection", 0.005, (2, 3), 0.4),
)


@dataclass
class Visit:
    timepoint: str
    day: int
    pain: float  # NRS 0-10
    disability: float  # 0-100, QuickDASH-like
    grip_kg: float
    improvement: float  # -1..1, for the patient's global impression


@dataclass
class SyntheticPatient:
    number: int
    sex: str
    birth_date: date
    dominant_hand: str
    indication: str
    side: str
    joints: list[str]
    stage: str
    kl_grade: int
    referred_on: date
    stop: str | None  # stage the episode stays at; None when injected
    source: str
    method: str
    baseline: Visit
    visits: list[Visit] = field(default_factory=list)
    dropped_out_after: str | None = None
    adverse_events: list[tuple[str, int, bool, int]] = field(default_factory=list)  # term, grade, serious, day
    reintervention_day: int | None = None
    hand: int = 0  # 0: the patient's first episode; 1: the other hand, treated later (bilateral patients)
    other_hand: SyntheticPatient | None = None

    @property
    def injected_on(self) -> date:
        return self.referred_on + timedelta(days=42)


def _grip_norm(sex: str, age: int) -> float:
    # A rough adult mean in kg; the real norms live in outcomes.scoring.grip_norms.
    base = 45.0 if sex == "male" else 27.0
    return base - max(0, age - 45) * (0.45 if sex == "male" else 0.25)


def simulate(n: int, seed: int, *, today: date, follow_up: list[tuple[str, int]]) -> list[SyntheticPatient]:
    """`n` patients referred over the 3 years before `today`, followed at `follow_up` (code, days)."""
    return list(simulated(n, seed, today=today, follow_up=follow_up))


def simulated(n: int, seed: int, *, today: date, follow_up: list[tuple[str, int]]) -> Iterator[SyntheticPatient]:
    """The patients of `simulate`, one at a time (the same ones), so that a large registry streams."""
    rng = np.random.default_rng(seed)
    sexes = rng.choice(["female", "male"], size=n, p=[0.75, 0.25])
    ages = np.clip(rng.normal(62, 9, n), 35, 95).astype(int)
    indications = rng.choice(INDICATIONS, size=n, p=INDICATION_SHARE)
    stages = rng.choice(STAGES, size=n, p=STAGE_SHARE)
    referred = rng.integers(0, 3 * 365, n)
    stop_draw = rng.random(n)
    responder = rng.random(n) < 0.42
    # The second hands draw from their own stream, so that adding them left every first episode as it was.
    bilateral = np.random.default_rng([seed, 2]).random((n, 4))
    for i in range(n):
        referred_on = today - timedelta(days=int(referred[i]))
        age = int(ages[i])
        birth = referred_on - timedelta(days=age * 365 + int(rng.integers(0, 365)))
        stage_index = STAGES.index(stages[i])
        source = SOURCES[int(rng.random() < 0.25)]
        base_pain = float(np.clip(rng.normal(6.6, 1.3), 3, 10))
        base_dis = float(np.clip(rng.normal(48 + 4 * stage_index, 14), 5, 95))
        norm = _grip_norm(str(sexes[i]), age)
        base_grip = float(np.clip(norm * rng.normal(0.7, 0.12), 4, 70))
        stop = None
        cumulative = 0.0
        for name, share in STOPS:
            cumulative += share
            if stop_draw[i] < cumulative:
                stop = name
                break
        patient = SyntheticPatient(
            number=i,
            sex=str(sexes[i]),
            birth_date=birth,
            dominant_hand="right" if rng.random() < 0.9 else "left",
            indication=str(indications[i]),
            side="right" if rng.random() < 0.55 else "left",
            joints=JOINTS[str(indications[i])],
            stage=str(stages[i]),
            kl_grade=min(4, 1 + stage_index),
            referred_on=referred_on,
            stop=stop,
            source=source,
            method=str(rng.choice(METHODS[source])),
            baseline=Visit("baseline", -42, base_pain, base_dis, base_grip, 0.0),
        )
        if stop is None:
            _course(rng, patient, bool(responder[i]), stage_index, follow_up, today)
            if bilateral[i, 0] < BILATERAL_SHARE:
                patient.other_hand = _other_hand(patient, bilateral[i], seed, i, follow_up, today)
        yield patient


def _other_hand(
    first: SyntheticPatient, draws: np.ndarray, seed: int, i: int, follow_up: list[tuple[str, int]], today: date
) -> SyntheticPatient | None:
    """The same patient's other hand: same person and indication, stage one step either way, referred 3-12 months
    after the first; None when that would be in the future."""
    referred_on = first.referred_on + timedelta(days=90 + int(draws[1] * 270))
    if (today - referred_on).days < 60:
        return None
    stage_index = int(np.clip(STAGES.index(first.stage) + round(draws[2] * 2 - 1), 0, len(STAGES) - 1))
    rng = np.random.default_rng([seed, 3, i])
    second = SyntheticPatient(
        number=first.number,
        sex=first.sex,
        birth_date=first.birth_date,
        dominant_hand=first.dominant_hand,
        indication=first.indication,
        side="left" if first.side == "right" else "right",
        joints=first.joints,
        stage=STAGES[stage_index],
        kl_grade=min(4, 1 + stage_index),
        referred_on=referred_on,
        stop=None,
        source=first.source,
        method=first.method,
        baseline=Visit(
            "baseline",
            -42,
            float(np.clip(first.baseline.pain + rng.normal(0, 1), 3, 10)),
            first.baseline.disability,
            first.baseline.grip_kg,
            0.0,
        ),
        hand=1,
    )
    _course(rng, second, bool(draws[3] < 0.42), stage_index, follow_up, today)
    return second


def _course(
    rng: np.random.Generator,
    p: SyntheticPatient,
    responder: bool,
    stage_index: int,
    follow_up: list[tuple[str, int]],
    today: date,
) -> None:
    """Follow-up visits, drop-out, adverse events and re-intervention of an injected patient."""
    # Share of the baseline burden removed at full effect: large for "responders", small otherwise,
    # and smaller in later stages.
    effect = (rng.normal(0.55, 0.15) if responder else rng.normal(0.08, 0.12)) * (1 - 0.12 * max(0, stage_index - 1))
    days_known = (today - p.injected_on).days
    for code, day in follow_up:
        if day > days_known:
            break
        if rng.random() < (0.05 if responder else 0.09):
            p.dropped_out_after = code
            break
        if rng.random() < 0.1:
            continue  # a missed visit
        ramp = 1 - np.exp(-day / 60)
        flare = 1.2 * np.exp(-day / 10) if day <= 21 else 0.0
        pain = float(np.clip(p.baseline.pain * (1 - effect * ramp) + flare + rng.normal(0, 0.9), 0, 10))
        dis = float(np.clip(p.baseline.disability * (1 - effect * ramp) + rng.normal(0, 7), 0, 100))
        grip = float(np.clip(p.baseline.grip_kg * (1 + 0.4 * effect * ramp) + rng.normal(0, 1.5), 2, 80))
        improvement = float(np.clip((p.baseline.pain - pain) / 4, -1, 1))
        p.visits.append(Visit(code, day, pain, dis, grip, improvement))
    for term, share, grades, serious_share in AE_TERMS:
        if rng.random() < share:
            grade = int(rng.integers(grades[0], grades[1] + 1))
            p.adverse_events.append((term, grade, bool(rng.random() < serious_share), int(rng.integers(0, 14))))
    if not responder and rng.random() < 0.12:
        day = int(rng.integers(120, 720))
        if day <= days_known:
            p.reintervention_day = day
