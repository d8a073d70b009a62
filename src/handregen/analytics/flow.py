"""The patient flow, CONSORT-style: who reached each step, and who left where and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class FlowStep:
    label: str
    n: int
    left: dict[str, int] = field(default_factory=dict)  # why people left after this step -> how many


def flow_steps(
    *,
    episodes: pd.DataFrame,
    decisions: pd.DataFrame,
    injected: set[Any],
    follow_ups: pd.DataFrame,
    assessed: set[tuple[Any, str]],
    withdrawals: set[Any],
    timepoints: list[str],
    today: date,
) -> list[FlowStep]:
    """Counts per step from frames: episodes (episode_id, stage_now), latest candidacy decisions
    (episode_id, decision), injected episode ids, first-cycle follow-ups, (episode_id, timepoint) pairs
    assessed, and the ids of withdrawn episodes.

    A withdrawal counts as "withdrew", never with its reason: the reason is free text a clinician wrote (it can
    name the patient) and this flow is shown to de-identified roles (issue 19, finding 2)."""
    all_ids = set(episodes["episode_id"])
    latest = dict(zip(decisions["episode_id"], decisions["decision"], strict=True)) if len(decisions) else {}
    evaluated = {e for e in all_ids if e in latest}
    eligible = {e for e, d in latest.items() if d == "eligible"}
    stage_now = dict(zip(episodes["episode_id"], episodes["stage_now"], strict=True))

    def why(ids: set[Any]) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for e in ids:
            if e in withdrawals:
                counts["withdrew"] += 1
            else:
                counts[
                    {"ineligible": "not eligible", "deferred": "deferred, to re-evaluate"}.get(
                        latest.get(e, ""), f"waiting ({stage_now.get(e, '?')})"
                    )
                ] += 1
        return dict(counts.most_common())

    steps = [
        FlowStep("Referred", len(all_ids), why(all_ids - evaluated)),
        FlowStep("Candidacy decided", len(evaluated), why(evaluated - eligible)),
        FlowStep("Eligible", len(eligible), why(eligible - injected)),
        FlowStep("Injected", len(injected & all_ids)),
    ]
    cohort = injected & all_ids
    for code in timepoints:
        rows = follow_ups[(follow_ups["timepoint"] == code) & follow_ups["episode_id"].isin(cohort)]
        due = set(rows.loc[rows["due_from"].notna() & (rows["due_from"] <= today), "episode_id"])
        seen = {e for e in due if (e, code) in assessed}
        not_seen: Counter[str] = Counter()
        for e in due - seen:
            not_seen["withdrew" if e in withdrawals else "not assessed"] += 1
        not_yet = len(cohort) - len(due)
        if not_yet:
            not_seen["not yet due"] = not_yet
        steps.append(FlowStep(f"Assessed at {code}", len(seen), dict(not_seen)))
    return steps


def flow_svg(steps: list[FlowStep], *, note: str = "") -> str:
    """A plain SVG of the flow: one box per step, the reasons for leaving beside it; `note` (the synthetic-data
    label) on top."""
    box_w, box_h, gap, side_x = 260, 44, 30, 300
    top = 22 if note else 0
    height = len(steps) * (box_h + gap) + 10 + top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 {height}" width="720" height="{height}" '
        'role="img" aria-label="Patient flow" font-family="sans-serif" font-size="13">'
    ]
    if note:
        parts.append(f'<text x="10" y="15" fill="#a4262c" font-weight="bold">{escape(note)}</text>')
    for i, step in enumerate(steps):
        y = 5 + top + i * (box_h + gap)
        parts.append(f'<rect x="10" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="#eef3f8" stroke="#1f5f8b"/>')
        parts.append(f'<text x="20" y="{y + 27}">{escape(step.label)}: n = {step.n}</text>')
        if i + 1 < len(steps):
            parts.append(f'<line x1="140" y1="{y + box_h}" x2="140" y2="{y + box_h + gap}" stroke="#1f5f8b"/>')
        for j, (reason, n) in enumerate(list(step.left.items())[:4]):
            parts.append(f'<text x="{side_x}" y="{y + 16 + j * 15}" fill="#55606e">{escape(reason)}: {n}</text>')
    parts.append("</svg>")
    return "".join(parts)
