"""Pure scoring of outcome instruments - no Django import anywhere in this package.

    score("quickdash", {"q1": 2, ...}) -> ScoreResult(total=..., subscales={...}, scorable=..., reasons=[...])

Instruments and item ids are those of DESIGN.md §9; their structure is data in
`handregen.outcomes.instruments`, the rules are here, one module per family, each citing its sources.
"""

from __future__ import annotations

from collections.abc import Mapping

from handregen.outcomes.instruments import load_instrument

from . import mhq, questionnaires, strength
from .answers import read_answers
from .result import Rule, ScoreResult

__all__ = ["RULES", "ScoreResult", "score", "validate_answers"]

# Scoring rule id (the instrument JSON's "scoring_rule") -> the rule and the options it accepts.
RULES: dict[str, Rule] = {
    "single_item": Rule(questionnaires.score_single_item),
    "pgic_single_item": Rule(questionnaires.score_pgic),
    "quickdash_mean": Rule(questionnaires.score_quickdash),
    "quickdash_module_mean": Rule(questionnaires.score_quickdash_module),
    "prwe_sum": Rule(questionnaires.score_prwe, frozenset({"missing_policy"})),
    "fihoa_sum": Rule(questionnaires.score_fihoa),
    "mhq_domains": Rule(mhq.score_mhq, frozenset({"hand"})),
    "grip_mean_vs_norm": Rule(strength.score_grip, frozenset({"age", "sex", "side", "other_hand_kg"})),
    "pinch_mean": Rule(strength.score_pinch, frozenset({"other_hand_kg"})),
}


def score(instrument: str, answers: Mapping[str, object], **options: object) -> ScoreResult:
    """Score one response; invalid answers count as missing and unknown items are ignored, each with a reason.

    Raises ValueError for an unknown instrument, an option the instrument does not take or a bad option value.
    """
    definition = load_instrument(instrument)
    rule = RULES[definition.scoring_rule]
    unexpected = sorted(set(options) - rule.options)
    if unexpected:
        accepted = ", ".join(sorted(rule.options)) or "none"
        raise ValueError(f"{instrument} does not take option(s) {', '.join(unexpected)}; it takes: {accepted}")
    read = read_answers(definition, answers)
    outcome = rule.compute(definition, read.values, options)
    codes = [subscale.code for subscale in definition.subscales]
    stray = set(outcome.subscales) - set(codes)
    if stray:
        raise RuntimeError(f"rule {definition.scoring_rule} returned undeclared subscales {sorted(stray)}")
    reasons = [
        f"{message}; ignored" if item_id in read.unknown else f"{item_id}: {message}; treated as missing"
        for item_id, message in read.problems
    ]
    return ScoreResult(
        total=outcome.total,
        subscales={code: outcome.subscales.get(code) for code in codes},
        scorable=outcome.total is not None,
        reasons=reasons + outcome.reasons,
        instrument=definition.code,
        scoring_version=definition.scoring_version,
        missing_policy=outcome.missing_policy,
    )


def validate_answers(instrument: str, answers: Mapping[str, object]) -> list[tuple[str, str]]:
    """(item id, message) for each unknown item and each invalid value - what the API answers 422 with.

    An unanswered item (absent or None) is not an error here; whether a response is scorable is `score`'s job.
    """
    return read_answers(load_instrument(instrument), answers).problems
