"""Mixed-effects trajectory: score ~ C(timepoint) + covariates, with a random intercept per patient and, when
a time column is given, a random slope for time per patient; episodes (two hands, repeat cycles) nested in
patients get their own random intercept when any patient contributes more than one.

The design matrix is built here with pandas (no formula strings are evaluated), so covariate names
coming from a user interface cannot execute code.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._common import Result, check_level, opt_float

_TERM = re.compile(r"^(?:C\((?P<cat>[A-Za-z_][A-Za-z0-9_]*)\)|(?P<name>[A-Za-z_][A-Za-z0-9_]*))$")
FEW_PATIENTS = 20

CAVEATS = (
    "Observational data: patients were not randomised, so these estimates describe what happened to "
    "treated patients, not what the treatment caused.",
    "No control group: improvement over time can come from the natural course of the condition, "
    "placebo response or other treatments; controlled trials of injections in the hand have seen "
    "large improvements in the saline arm too.",
    "Regression to the mean: patients tend to seek treatment when symptoms are at their worst, so "
    "later scores tend to look better even without any effect of treatment.",
    "Missing not at random: patients who did not return may have done worse (or better) than those "
    "who did. The model uses every available visit but assumes missing visits depend only on what was "
    "observed, which the data cannot confirm.",
)


@dataclass(frozen=True)
class Coefficient(Result):
    term: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class MixedModelResult(Result):
    fitted: bool
    reason: str | None
    model: str
    n_patients: int
    n_observations: int
    n_rows_dropped: int
    converged: bool
    coefficients: tuple[Coefficient, ...]
    patient_variance: float | None
    residual_variance: float | None
    reference_timepoint: str
    timepoints: tuple[Any, ...]
    level: float
    caveats: tuple[str, ...]
    slope_variance: float | None = None  # per-patient variance of the slope for time (per year)
    episode_variance: float | None = None  # episodes within a patient
    random_effects: str = "random intercept per patient"

    def coefficient(self, term: str) -> Coefficient:
        for c in self.coefficients:
            if c.term == term:
                return c
        raise KeyError(term)


def _parse_terms(terms: Sequence[str], columns: pd.Index, reserved: set[str]) -> list[tuple[str, bool]]:
    """(column, force_categorical) per term; only bare column names or C(column) are allowed."""
    if isinstance(terms, str):
        raise TypeError("formula_terms must be a sequence of terms, not one string")
    parsed = []
    for term in terms:
        m = _TERM.match(term.strip()) if isinstance(term, str) else None
        if m is None:
            raise ValueError(f"unsupported term {term!r}: use a column name or C(column_name)")
        name = m.group("cat") or m.group("name")
        if name not in columns:
            raise ValueError(f"term {term!r} names no column of the frame")
        if name in reserved:
            raise ValueError(f"term {term!r} repeats the score, patient or timepoint column")
        parsed.append((name, m.group("cat") is not None))
    return parsed


def _dummies(values: pd.Series, label: str, categories: Sequence[Any]) -> pd.DataFrame:
    """Treatment coding against the first category."""
    cat = pd.Categorical(values, categories=list(categories))
    out = {}
    for level in categories[1:]:
        out[f"{label}[T.{level}]"] = (cat == level).astype(float)
    return pd.DataFrame(out, index=values.index)


def mixed_model_trajectory(
    frame: pd.DataFrame,
    formula_terms: Sequence[str] = (),
    *,
    patient_col: str = "patient_id",
    score_col: str = "score",
    timepoint_col: str = "timepoint",
    reference: str = "baseline",
    timepoint_order: Sequence[Any] | None = None,
    level: float = 0.95,
    min_patients: int = 3,
    time_col: str | None = None,
    episode_col: str | None = None,
) -> MixedModelResult:
    """Fit a linear mixed model (REML) and report fixed effects with Wald CIs.

    ``formula_terms`` are covariates: a column name (numeric columns enter linearly, text/category
    columns as dummies) or ``C(column)`` to force dummies. ``time_col`` (years since the injection, numeric)
    adds a random slope for time per patient; ``episode_col`` nests episodes in patients (a random intercept
    per episode) where any patient has more than one. Never raises on small or degenerate data: returns
    ``fitted=False`` with the reason instead.
    """
    level = check_level(level)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("frame must be a pandas DataFrame")
    base_cols = [patient_col, score_col, timepoint_col] + [c for c in (time_col, episode_col) if c]
    missing = [c for c in base_cols if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns: {', '.join(missing)}")
    terms = _parse_terms(formula_terms, frame.columns, set(base_cols))
    model_text = f"{score_col} ~ C({timepoint_col}, reference={reference!r})"
    model_text += "".join(f" + {'C(' + n + ')' if cat else n}" for n, cat in terms)
    nested = bool(episode_col) and frame.groupby(patient_col)[episode_col].nunique().gt(1).any()
    random_effects = "random intercept" + (f" and slope for {time_col}" if time_col else "") + " per patient"
    random_effects += "; random intercept per episode within patient" if nested else ""
    model_text += f" + (1{' + ' + time_col if time_col else ''} | {patient_col})"
    model_text += f" + (1 | {patient_col}:{episode_col})" if nested else ""

    used = list(dict.fromkeys(base_cols + [n for n, _ in terms]))
    df = frame.loc[:, used].dropna()
    n_dropped = int(len(frame) - len(df))
    y = pd.to_numeric(df[score_col], errors="coerce").astype(float)
    tp = df[timepoint_col]
    present = list(pd.unique(tp))
    order = [reference] + [t for t in (timepoint_order or present) if t != reference and t in present]
    order += [t for t in present if t not in order]

    def not_fitted(reason: str) -> MixedModelResult:
        return MixedModelResult(
            fitted=False,
            reason=reason,
            model=model_text,
            n_patients=int(df[patient_col].nunique()),
            n_observations=len(df),
            n_rows_dropped=n_dropped,
            converged=False,
            coefficients=(),
            patient_variance=None,
            residual_variance=None,
            reference_timepoint=reference,
            timepoints=tuple(order if reference in present else present),
            level=level,
            caveats=CAVEATS,
            random_effects=random_effects,
        )

    if y.isna().any() or not np.isfinite(y.to_numpy()).all():
        return not_fitted("scores must be finite numbers")
    if reference not in present:
        return not_fitted(f"no observation at the reference time point {reference!r}")
    if len(present) < 2:
        return not_fitted("no follow-up time point besides the reference")

    parts = [pd.DataFrame({"Intercept": np.ones(len(df))}, index=df.index)]
    parts.append(_dummies(tp, f"C({timepoint_col})", order))
    single_level: list[str] = []
    for name, force_cat in terms:
        col = df[name]
        if not force_cat and (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            parts.append(pd.DataFrame({name: col.astype(float)}, index=df.index))
        else:
            levels = sorted(pd.unique(col), key=str)
            if len(levels) < 2:
                single_level.append(name)
            parts.append(_dummies(col, f"C({name})", levels))
    exog = pd.concat(parts, axis=1)
    groups = df[patient_col].to_numpy()
    n_patients, n_obs, k = int(pd.unique(groups).size), len(df), exog.shape[1]

    if n_patients < max(2, min_patients):
        return not_fitted(f"{n_patients} patients; at least {max(2, min_patients)} are needed")
    if n_obs <= n_patients:
        return not_fitted("no patient has more than one observation, so a patient effect cannot be separated")
    if n_obs < k + 2:
        return not_fitted(f"{n_obs} observations are too few for {k} fixed effects and 2 variances")
    if np.linalg.matrix_rank(exog.to_numpy()) < k:
        return not_fitted("the design is singular: a covariate is constant or duplicates another term")

    from statsmodels.regression.mixed_linear_model import MixedLM  # lazy: slow import

    caveats = list(CAVEATS)
    if episode_col and not nested:
        caveats.append("Every patient contributes one episode here, so episodes and patients coincide.")
    exog_re = None
    if time_col:
        exog_re = np.column_stack([np.ones(len(df)), pd.to_numeric(df[time_col]).to_numpy(dtype=float)])
    exog_vc = _episodes_within(groups, df[episode_col].to_numpy()) if nested and episode_col else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = MixedLM(y.to_numpy(), exog, groups=groups, exog_re=exog_re, exog_vc=exog_vc).fit(reml=True)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
        return not_fitted(f"the model could not be fitted ({exc}); too few repeated visits per patient?")
    converged = bool(getattr(res, "converged", False))
    messages = {str(w.message) for w in caught}
    if not converged:
        caveats.append("The fitting algorithm did not converge: treat every number here as unreliable.")
    if any("boundary" in m for m in messages):
        caveats.append(
            "The between-patient variance is estimated at or near zero (boundary of the parameter space); "
            "standard errors may be unreliable."
        )
    if n_patients < FEW_PATIENTS:
        caveats.append(f"Only {n_patients} patients: estimates are imprecise and the Wald intervals may be too narrow.")
    if single_level:
        caveats.append(f"{', '.join(single_level)}: only one level in these data, so it adjusts for nothing.")
    if n_dropped:
        caveats.append(f"{n_dropped} rows with a missing score, time point or covariate were left out.")

    fe = np.asarray(res.fe_params, dtype=float)
    se = np.asarray(res.bse_fe, dtype=float)
    ci = np.asarray(res.conf_int(alpha=1.0 - level), dtype=float)[:k]
    coefficients = tuple(
        Coefficient(str(name), opt_float(fe[i]), opt_float(se[i]), opt_float(ci[i, 0]), opt_float(ci[i, 1]))
        for i, name in enumerate(exog.columns)
    )
    if any(c.se is None for c in coefficients):
        caveats.append("Some standard errors could not be computed; their intervals are missing.")
    cov_re = np.asarray(res.cov_re, dtype=float)
    return MixedModelResult(
        fitted=True,
        reason=None,
        model=model_text,
        n_patients=n_patients,
        n_observations=n_obs,
        n_rows_dropped=n_dropped,
        converged=converged,
        coefficients=coefficients,
        patient_variance=opt_float(cov_re[0, 0]) if cov_re.size else None,
        residual_variance=opt_float(res.scale),
        reference_timepoint=reference,
        timepoints=tuple(order),
        level=level,
        caveats=tuple(caveats),
        slope_variance=opt_float(cov_re[1, 1]) if cov_re.shape[0] > 1 else None,
        episode_variance=opt_float(np.asarray(res.vcomp)[0]) if exog_vc is not None and len(res.vcomp) else None,
        random_effects=random_effects,
    )


def _episodes_within(groups: np.ndarray, episodes: np.ndarray) -> Any:
    """statsmodels' variance-component spec for one random intercept per episode inside each patient: per
    patient (in sorted order, as MixedLM groups them), the episode indicator columns of its rows in row order."""
    from statsmodels.regression.mixed_linear_model import VCSpec

    mats, colnames = [], []
    for label in sorted(set(groups.tolist())):
        rows = episodes[groups == label]
        distinct = list(pd.unique(rows))
        mats.append(np.column_stack([(rows == e).astype(float) for e in distinct]))
        colnames.append([str(e) for e in distinct])
    return VCSpec(["episode"], [colnames], [mats])
