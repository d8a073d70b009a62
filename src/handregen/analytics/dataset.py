"""The cohort as data frames, read with a few set-based queries (never a query per patient).

Analytics covers each episode's first treatment cycle: baseline, then the protocol's time points after
the first injection.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import CharField
from django.db.models.functions import Cast

from handregen.analytics.expectation import age_band


@dataclass(frozen=True)
class CohortFilters:
    indication: str | None = None
    stage: str | None = None  # Eaton-Littler I-IV for the thumb base, KL0-KL4 otherwise
    source: str | None = None  # adipose | bone_marrow
    method: str | None = None
    age_band: str | None = None
    sex: str | None = None
    injected_from: date | None = None
    injected_until: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(self).items() if v is not None}


EPISODE_COLUMNS = [
    "episode_id", "patient_id", "site_id", "indication", "sex", "birth_date", "stage_now", "created_at", "is_synthetic",
]  # fmt: skip


def episodes_frame(site_ids: Iterable[Any]) -> pd.DataFrame:
    """One row per episode: who, what, the baseline stage, the cell source and method, the first injection."""
    from handregen.cellproducts.models import CellProduct, ProcessingRecord
    from handregen.evaluation.models import ImagingStudy
    from handregen.pathway.models import Episode
    from handregen.procedures.models import Injection

    sites = list(site_ids)
    episodes = pd.DataFrame.from_records(
        Episode.objects.filter(site_id__in=sites)
        .annotate(key=as_text("id"), patient_key=as_text("patient_id"), site_key=as_text("site_id"))
        .values_list(
            "key",
            "patient_key",
            "site_key",
            "indication",
            "patient__sex",
            "patient__birth_date",
            "stage",
            "created_at",
            "patient__is_synthetic",
        ),
        columns=EPISODE_COLUMNS,
    )
    imaging = pd.DataFrame.from_records(
        ImagingStudy.objects.filter(site_id__in=sites)
        .order_by("study_date")
        .annotate(key=as_text("episode_id"))
        .values_list("key", "eaton_littler_stage", "kl_grade"),
        columns=["episode_id", "eaton_littler_stage", "kl_grade"],
    ).drop_duplicates("episode_id", keep="last")
    products = pd.DataFrame.from_records(
        CellProduct.objects.filter(site_id__in=sites, cycle=1)
        .annotate(key=as_text("episode_id"), product_key=as_text("id"))
        .values_list("key", "source", "product_key"),
        columns=["episode_id", "source", "product_id"],
    ).drop_duplicates("episode_id")
    methods = pd.DataFrame.from_records(
        ProcessingRecord.objects.filter(site_id__in=sites)
        .annotate(product_key=as_text("product_id"))
        .values_list("product_key", "method"),
        columns=["product_id", "method"],
    )
    injections = pd.DataFrame.from_records(
        Injection.objects.filter(site_id__in=sites, cycle=1)
        .annotate(key=as_text("episode_id"))
        .values_list("key", "performed_at"),
        columns=["episode_id", "injected_at"],
    ).drop_duplicates("episode_id")
    frame = (
        episodes.merge(imaging, on="episode_id", how="left")
        .merge(products.merge(methods, on="product_id", how="left"), on="episode_id", how="left")
        .merge(injections, on="episode_id", how="left")
    )
    for column in ("episode_id", "patient_id", "site_id"):  # merged as text (no per-row conversion), then UUIDs
        frame[column] = uuids(frame[column])
    frame["stage"] = _baseline_stage(frame)
    frame["injected_on"] = pd.to_datetime(frame["injected_at"], utc=True).dt.date
    reference = frame["injected_on"].where(frame["injected_on"].notna(), pd.to_datetime(frame["created_at"]).dt.date)
    ages = [_age(b, r) for b, r in zip(frame["birth_date"], reference, strict=True)]
    frame["age"] = ages
    frame["age_band"] = [age_band(a) if a is not None else None for a in ages]
    return frame.drop(columns=["birth_date", "product_id", "injected_at", "eaton_littler_stage", "kl_grade"])


def _baseline_stage(frame: pd.DataFrame) -> pd.Series:
    """Eaton-Littler stage where the latest imaging gave one, else the Kellgren-Lawrence grade as KL0-KL4."""
    eaton = frame["eaton_littler_stage"]
    has_eaton = eaton.map(lambda v: isinstance(v, str) and bool(v)).astype(bool)
    grade = pd.to_numeric(frame["kl_grade"], errors="coerce")
    kl = ("KL" + grade.astype("Int64").astype(str)).where(grade.notna(), None)
    return eaton.where(has_eaton, kl).astype(object).where(has_eaton | grade.notna(), None)


def _age(birth: date, on: date | None) -> int | None:
    if on is None or pd.isna(on):
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def follow_ups_frame(site_ids: Iterable[Any]) -> pd.DataFrame:
    """First-cycle follow-ups: time point, window, the instruments scheduled, and whether completed or superseded."""
    from handregen.outcomes.models import FollowUp

    frame = pd.DataFrame.from_records(
        FollowUp.objects.filter(site_id__in=list(site_ids), cycle=1)
        .annotate(episode_key=as_text("episode_id"))
        .values_list(
            "episode_key", "timepoint", "days", "due_from", "due_until", "completed_at", "superseded_at", "instruments"
        ),
        columns=[
            "episode_id",
            "timepoint",
            "days",
            "due_from",
            "due_until",
            "completed_at",
            "superseded_at",
            "instruments",
        ],
    )
    frame["episode_id"] = uuids(frame["episode_id"])
    return frame


def scores_frame(
    site_ids: Iterable[Any],
    *,
    subscales: bool = True,
    instruments: Iterable[str] | None = None,
    timepoints: Iterable[str] | None = None,
    include_late_baseline: bool = False,
) -> pd.DataFrame:
    """Long table of first-cycle scores: episode, time point, instrument, subscale ("" = total), value.

    A baseline answered after the injection ("late baseline") is not a measurement before treatment: it is left
    out unless `include_late_baseline` (the CSV export keeps it, flagged, for an analyst who wants it).

    Measurements taken per hand (grip, pinch) count for the treated hand only. `subscales=False` reads the
    totals alone (no JSON to decode), which is all the cohort table and the dashboard show; `instruments` and
    `timepoints` narrow the read to what a caller needs (the expectation reads pain at two time points).
    """
    from handregen.outcomes.models import QuestionnaireResponse

    fields = ["episode_key", "follow_up__timepoint", "instrument", "total", "side", "episode__side"]
    query = QuestionnaireResponse.objects.filter(
        site_id__in=list(site_ids), follow_up__cycle=1, follow_up__superseded_at__isnull=True
    )
    if not include_late_baseline:
        query = query.exclude(late_baseline=True)
    if instruments is not None:
        query = query.filter(instrument__in=list(instruments))
    if timepoints is not None:
        query = query.filter(follow_up__timepoint__in=list(timepoints))
    rows = query.annotate(episode_key=as_text("episode_id")).values_list(*fields, *(["subscales"] if subscales else []))
    columns = ["episode_id", "timepoint", "instrument", "total", "side", "treated"]
    frame = pd.DataFrame.from_records(rows.iterator(chunk_size=20000), columns=columns + (["subscales"] * subscales))
    # grip and pinch of the other hand are kept for the record, not for the cohort figures
    frame = frame[(frame["side"] == "") | (frame["side"] == frame["treated"])]
    frame["episode_id"] = uuids(frame["episode_id"])
    totals = frame.loc[frame["total"].notna(), ["episode_id", "timepoint", "instrument", "total"]]
    totals = totals.rename(columns={"total": "value"}).assign(subscale="")
    parts = [totals]
    if subscales:
        parts.append(_subscale_rows(frame))
    filled = [part for part in parts if len(part)] or [totals]  # pandas warns about concatenating empty frames
    long = pd.concat(filled, ignore_index=True)[["episode_id", "timepoint", "instrument", "subscale", "value"]]
    long["value"] = long["value"].astype(float)
    return long


def _subscale_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per subscale value of the responses that have any (most instruments have none)."""
    records = [
        (episode_id, timepoint, instrument, name, float(value))
        for episode_id, timepoint, instrument, scores in zip(
            frame["episode_id"], frame["timepoint"], frame["instrument"], frame["subscales"], strict=True
        )
        if scores
        for name, value in scores.items()
        if value is not None
    ]
    return pd.DataFrame.from_records(records, columns=["episode_id", "timepoint", "instrument", "subscale", "value"])


def as_text(field: str) -> Cast:
    """A UUID column read as text: no per-row conversion in the ORM (see `uuids`)."""
    return Cast(field, output_field=CharField())


def uuids(texts: pd.Series) -> pd.Series:
    """Text UUIDs (hex on SQLite, dashed on PostgreSQL) as uuid.UUID, converting each distinct value once."""
    codes, distinct = pd.factorize(texts)
    converted = np.array([uuid.UUID(t) for t in distinct] + [None], dtype=object)
    return pd.Series(converted[codes], index=texts.index, dtype=object)


def compact_keys(
    episodes: pd.DataFrame, follow_ups: pd.DataFrame, scores: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three frames with episode ids as small integers (one code per episode, the same in all three) and the
    score labels as categories: computing many cells then compares integers instead of UUID objects and strings.
    """
    ids = pd.concat([episodes["episode_id"], follow_ups["episode_id"], scores["episode_id"]], ignore_index=True)
    codes, _ = pd.factorize(ids)
    ends = np.cumsum([len(episodes), len(follow_ups)])
    episodes = episodes.assign(episode_id=codes[: ends[0]])
    follow_ups = follow_ups.assign(episode_id=codes[ends[0] : ends[1]])
    labels = {c: scores[c].astype("category") for c in ("timepoint", "instrument", "subscale")}
    scores = scores.assign(episode_id=codes[ends[1] :], **labels)
    return episodes, follow_ups, scores


def synthetic_scope(episodes: pd.DataFrame, *, include_synthetic: bool) -> tuple[pd.DataFrame, int]:
    """The episodes analytics may use: real patients' only, unless `include_synthetic`; with the number of
    synthetic patients that remain (0 when excluded), which every figure that includes them must state."""
    flags = episodes["is_synthetic"].astype(bool) if "is_synthetic" in episodes else pd.Series(False, episodes.index)
    if not include_synthetic:
        return episodes[~flags], 0
    return episodes, int(episodes.loc[flags, "patient_id"].nunique())


def synthetic_label(n_synthetic: int) -> str:
    """The words every page, chart and file that includes synthetic patients carries ("" when none do)."""
    if not n_synthetic:
        return ""
    return f"Includes {n_synthetic:,} synthetic (made-up) patient{'s' if n_synthetic != 1 else ''}"


def filter_episodes(episodes: pd.DataFrame, filters: CohortFilters) -> pd.DataFrame:
    mask = pd.Series(True, index=episodes.index)
    for column in ("indication", "stage", "source", "method", "age_band", "sex"):
        wanted = getattr(filters, column)
        if wanted is not None:
            mask &= episodes[column] == wanted
    # `injected_on` holds dates, or is datetime64 when no episode was injected: compare as timestamps either way.
    injected_on = pd.to_datetime(episodes["injected_on"])
    if filters.injected_from is not None:
        mask &= injected_on.notna() & (injected_on >= pd.Timestamp(filters.injected_from))
    if filters.injected_until is not None:
        mask &= injected_on.notna() & (injected_on <= pd.Timestamp(filters.injected_until))
    return episodes[mask]
