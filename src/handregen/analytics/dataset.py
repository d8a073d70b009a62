"""The cohort as data frames, read with a few set-based queries (never a query per patient).

Analytics covers each episode's first treatment cycle: baseline, then the protocol's time points after
the first injection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

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


EPISODE_COLUMNS = ["episode_id", "patient_id", "site_id", "indication", "sex", "birth_date", "stage_now", "created_at"]


def episodes_frame(site_ids: Iterable[Any]) -> pd.DataFrame:
    """One row per episode: who, what, the baseline stage, the cell source and method, the first injection."""
    from handregen.cellproducts.models import CellProduct, ProcessingRecord
    from handregen.evaluation.models import ImagingStudy
    from handregen.pathway.models import Episode
    from handregen.procedures.models import Injection

    sites = list(site_ids)
    episodes = pd.DataFrame.from_records(
        Episode.objects.filter(site_id__in=sites).values_list(
            "id", "patient_id", "site_id", "indication", "patient__sex", "patient__birth_date", "stage", "created_at"
        ),
        columns=EPISODE_COLUMNS,
    )
    imaging = pd.DataFrame.from_records(
        ImagingStudy.objects.filter(site_id__in=sites)
        .order_by("study_date")
        .values_list("episode_id", "eaton_littler_stage", "kl_grade"),
        columns=["episode_id", "eaton_littler_stage", "kl_grade"],
    ).drop_duplicates("episode_id", keep="last")
    products = pd.DataFrame.from_records(
        CellProduct.objects.filter(site_id__in=sites, cycle=1).values_list("episode_id", "source", "id"),
        columns=["episode_id", "source", "product_id"],
    ).drop_duplicates("episode_id")
    methods = pd.DataFrame.from_records(
        ProcessingRecord.objects.filter(site_id__in=sites).values_list("product_id", "method"),
        columns=["product_id", "method"],
    )
    injections = pd.DataFrame.from_records(
        Injection.objects.filter(site_id__in=sites, cycle=1).values_list("episode_id", "performed_at"),
        columns=["episode_id", "injected_at"],
    ).drop_duplicates("episode_id")
    frame = (
        episodes.merge(imaging, on="episode_id", how="left")
        .merge(products.merge(methods, on="product_id", how="left"), on="episode_id", how="left")
        .merge(injections, on="episode_id", how="left")
    )
    frame["stage"] = frame.apply(_baseline_stage, axis=1) if len(frame) else pd.Series(dtype=object)
    frame["injected_on"] = pd.to_datetime(frame["injected_at"], utc=True).dt.date
    reference = frame["injected_on"].where(frame["injected_on"].notna(), pd.to_datetime(frame["created_at"]).dt.date)
    ages = [_age(b, r) for b, r in zip(frame["birth_date"], reference, strict=True)]
    frame["age"] = ages
    frame["age_band"] = [age_band(a) if a is not None else None for a in ages]
    return frame.drop(columns=["birth_date", "product_id", "injected_at", "eaton_littler_stage", "kl_grade"])


def _baseline_stage(row: pd.Series) -> str | None:
    if isinstance(row["eaton_littler_stage"], str) and row["eaton_littler_stage"]:
        return str(row["eaton_littler_stage"])
    if row["kl_grade"] is not None and not pd.isna(row["kl_grade"]):
        return f"KL{int(row['kl_grade'])}"
    return None


def _age(birth: date, on: date | None) -> int | None:
    if on is None or pd.isna(on):
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def follow_ups_frame(site_ids: Iterable[Any]) -> pd.DataFrame:
    """First-cycle follow-ups: time point, window and whether completed or superseded."""
    from handregen.outcomes.models import FollowUp

    return pd.DataFrame.from_records(
        FollowUp.objects.filter(site_id__in=list(site_ids), cycle=1).values_list(
            "episode_id", "timepoint", "days", "due_from", "due_until", "completed_at", "superseded_at"
        ),
        columns=["episode_id", "timepoint", "days", "due_from", "due_until", "completed_at", "superseded_at"],
    )


def scores_frame(site_ids: Iterable[Any]) -> pd.DataFrame:
    """Long table of first-cycle scores: episode, time point, instrument, subscale ("" = total), value.

    Measurements taken per hand (grip, pinch) count for the treated hand only.
    """
    from handregen.outcomes.models import QuestionnaireResponse

    rows = QuestionnaireResponse.objects.filter(
        site_id__in=list(site_ids), follow_up__cycle=1, follow_up__superseded_at__isnull=True
    ).values_list("episode_id", "follow_up__timepoint", "instrument", "total", "subscales", "side", "episode__side")
    records: list[tuple[Any, str, str, str, float]] = []
    for episode_id, timepoint, instrument, total, subscales, side, treated in rows.iterator(chunk_size=20000):
        if side and side != treated:
            continue  # grip and pinch of the other hand are kept for the record, not for the cohort figures
        if total is not None:
            records.append((episode_id, timepoint, instrument, "", float(total)))
        for name, value in (subscales or {}).items():
            if value is not None:
                records.append((episode_id, timepoint, instrument, name, float(value)))
    return pd.DataFrame.from_records(records, columns=["episode_id", "timepoint", "instrument", "subscale", "value"])


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
