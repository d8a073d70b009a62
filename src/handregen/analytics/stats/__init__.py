"""Pure statistics for cohort analytics: plain numbers, numpy arrays and pandas frames in, frozen
JSON-ready results out. No Django here."""

from .change import ChangeFromBaseline, ChangeRow, change_from_baseline
from .intervals import EventRate, MeanCI, ProportionCI, event_rate_per_100, mean_ci, proportion_ci
from .mixed import Coefficient, MixedModelResult, mixed_model_trajectory
from .responders import ResponderRate, responder_rate
from .survival import KMPoint, KMResult, KMStep, kaplan_meier

__all__ = [
    "ChangeFromBaseline",
    "ChangeRow",
    "Coefficient",
    "EventRate",
    "KMPoint",
    "KMResult",
    "KMStep",
    "MeanCI",
    "MixedModelResult",
    "ProportionCI",
    "ResponderRate",
    "change_from_baseline",
    "event_rate_per_100",
    "kaplan_meier",
    "mean_ci",
    "mixed_model_trajectory",
    "proportion_ci",
    "responder_rate",
]
