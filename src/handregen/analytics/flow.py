"""The patient flow, CONSORT-style: who reached each step, and who left where and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

import pandas as pd

from handregen.labels import timepoint_words


@dataclass(frozen=True)
class FlowStep:
    label: str
    n: int
    left: dict[str, int] = field(default_factory=dict)  # why people left after this step (plain words) -> how many
    # The count this step is drawn from: the previous step's n for the pathway (n = base - the previous step's
    # exits), the injected for each follow-up time point (n + its exits = base).
    base: int = 0


# Where an episode waits, in words (never the stage code).
WAITING = {
    "referred": "waiting for the consultation",
    "consulted": "waiting for the candidacy decision",
    "eligible": "waiting: consent to take",
    "consented": "waiting: preparation",
    "prepared": "waiting: harvest",
    "harvested": "waiting: product release",
    "released": "waiting: injection",
    "deferred": "deferred, to re-evaluate",
    "ineligible": "not eligible",
}
_ORDER = ("referred", "decided", "eligible", "injected")


def furthest_episodes(
    episodes: pd.DataFrame, decided: set[Any], eligible: set[Any], injected: set[Any]
) -> pd.DataFrame:
    """One episode per patient, the one that went furthest (injected, then eligible, then decided; the earliest
    created on a tie): a patient counts where their furthest hand got to."""
    reach = [3 if e in injected else 2 if e in eligible else 1 if e in decided else 0 for e in episodes["episode_id"]]
    ranked = episodes.assign(_reach=reach).sort_values(["_reach", "created_at"], ascending=[False, True], kind="stable")
    return ranked.drop_duplicates("patient_id").drop(columns="_reach")


def flow_steps(
    *,
    episodes: pd.DataFrame,
    decisions: pd.DataFrame,
    injected: set[Any],
    follow_ups: pd.DataFrame,
    assessed: set[tuple[Any, str]],
    withdrawals: dict[Any, str] | set[Any],
    timepoints: list[str],
    today: date,
    by: str = "episode",
) -> list[FlowStep]:
    """CONSORT-style counts per step from frames: episodes (episode_id, patient_id, stage_now, created_at), latest
    candidacy decisions (episode_id, decision), injected episode ids, first-cycle follow-ups, (episode_id,
    timepoint) pairs assessed, and the withdrawn episode ids (a withdrawal's free-text reason is never shown).

    `by="patient"` counts patients, each where their furthest episode got to. Every exit is named, in words, and
    each step's count plus its exits equals the step it is drawn from (`FlowStep.base`)."""
    latest = dict(zip(decisions["episode_id"], decisions["decision"], strict=True)) if len(decisions) else {}
    withdrawn = set(withdrawals) | set(episodes.loc[episodes["stage_now"] == "withdrawn", "episode_id"])
    if by == "patient":
        decided_all = {e for e in episodes["episode_id"] if e in latest}
        eligible_all = {e for e, d in latest.items() if d == "eligible"}
        episodes = furthest_episodes(episodes, decided_all, eligible_all, injected)
    unit = "patients" if by == "patient" else "episodes"
    all_ids = set(episodes["episode_id"])
    cohort = injected & all_ids
    eligible = {e for e in all_ids if latest.get(e) == "eligible"} | cohort  # an injected episode was eligible
    evaluated = {e for e in all_ids if e in latest} | eligible
    stage_now = dict(zip(episodes["episode_id"], episodes["stage_now"], strict=True))

    def why(ids: set[Any], before_injection: bool = True) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for e in ids:
            if e in withdrawn:
                counts["withdrew before the injection" if before_injection else "withdrew"] += 1
            elif latest.get(e) in ("ineligible", "deferred"):
                counts[WAITING[latest[e]]] += 1
            else:
                counts[WAITING.get(str(stage_now.get(e)), "waiting")] += 1
        return dict(counts.most_common())

    steps = [
        FlowStep(f"Referred ({unit})", len(all_ids), why(all_ids - evaluated), len(all_ids)),
        FlowStep("Candidacy decided", len(evaluated), why(evaluated - eligible), len(all_ids)),
        FlowStep("Eligible", len(eligible), why(eligible - cohort), len(evaluated)),
        FlowStep("Injected", len(cohort), {}, len(eligible)),
    ]
    assessed_any = {e for e, _ in assessed}
    completed = follow_ups[follow_ups["completed_at"].notna()] if len(follow_ups) else follow_ups
    last_seen = completed.groupby("episode_id")["days"].max().to_dict() if len(completed) else {}
    for code in timepoints:
        rows = follow_ups[(follow_ups["timepoint"] == code) & follow_ups["episode_id"].isin(cohort)]
        rows = rows.drop_duplicates("episode_id")
        seen = {e for e in rows["episode_id"] if (e, code) in assessed}
        not_seen: Counter[str] = Counter()
        for e, due_from, due_until, days in zip(
            rows["episode_id"], rows["due_from"], rows["due_until"], rows["days"], strict=True
        ):
            if e in seen:
                continue
            if due_from is None or pd.isna(due_from) or due_from > today:
                not_seen["not yet due"] += 1
            elif due_until is not None and not pd.isna(due_until) and due_until >= today:
                not_seen["window still open"] += 1
            elif e in withdrawn:
                not_seen["withdrew"] += 1
            elif e in assessed_any and last_seen.get(e, -1) > (days or 0):
                not_seen["missed visit"] += 1
            else:
                not_seen["dropped out"] += 1
        without = len(cohort) - len(rows)
        if without:
            not_seen["no follow-up scheduled"] = without
        steps.append(
            FlowStep(f"Assessed at {timepoint_words(code)}", len(seen), dict(not_seen.most_common()), len(cohort))
        )
    return steps


def flow_svg(steps: list[FlowStep], *, note: str = "") -> str:
    """A plain SVG of the flow: one box per step, the reasons for leaving beside it; `note` (the synthetic-data
    label) on top."""
    box_w, gap, side_x, line = 260, 30, 300, 15
    heights = [max(44, 10 + line * len(step.left)) for step in steps]
    top = 22 if note else 0
    height = sum(heights) + gap * len(steps) + 10 + top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 {height}" width="720" height="{height}" '
        'role="img" aria-label="Patient flow" font-family="sans-serif" font-size="13">'
    ]
    if note:
        parts.append(f'<text x="10" y="15" fill="#a4262c" font-weight="bold">{escape(note)}</text>')
    y = 5 + top
    for i, step in enumerate(steps):
        box_h = heights[i]
        parts.append(f'<rect x="10" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="#eef3f8" stroke="#1f5f8b"/>')
        parts.append(f'<text x="20" y="{y + 27}">{escape(step.label)}: n = {step.n}</text>')
        if i + 1 < len(steps):
            parts.append(f'<line x1="140" y1="{y + box_h}" x2="140" y2="{y + box_h + gap}" stroke="#1f5f8b"/>')
        for j, (reason, n) in enumerate(step.left.items()):
            parts.append(f'<text x="{side_x}" y="{y + 16 + j * line}" fill="#55606e">{escape(reason)}: {n}</text>')
        y += box_h + gap
    parts.append("</svg>")
    return "".join(parts)
