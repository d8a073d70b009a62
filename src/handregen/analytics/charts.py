"""Charts as SVG strings (matplotlib, no display): change over time and re-intervention-free survival."""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

_STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')


def _as_presentation_attributes(match: re.Match[str]) -> str:
    declarations = (d.split(":", 1) for d in match.group(1).split(";") if ":" in d)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)


def _svg(figure: Any) -> str:
    """The figure as inline SVG that draws the same under the pages' CSP (no inline styles allowed).

    matplotlib writes a <style> block and `style="fill: …"` attributes; the browser ignores both under
    `style-src 'self'` (an MCID band would turn solid black). Every property matplotlib uses exists as an SVG
    presentation attribute, which CSP does not govern, so the styles are rewritten as attributes.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    text = re.sub(r"<style[^>]*>.*?</style>", "", text[text.index("<svg") :], flags=re.S)
    # the dropped <style> block set these two for every element; on the root they are inherited
    text = text.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    return _STYLE_ATTRIBUTE.sub(_as_presentation_attributes, text)


def change_chart(
    title: str,
    points: list[tuple[str, float | None, list[float] | None, int]],
    *,
    mcid: float | None,
    higher_is_worse: bool,
) -> str:
    """Mean change from baseline with 95% CIs per time point; the MCID band shaded; n under each point."""
    figure, axis = plt.subplots(figsize=(6.4, 3.2))
    labels = [p[0] for p in points]
    xs = list(range(len(points)))
    for x, (_, mean, ci, n) in zip(xs, points, strict=True):
        if mean is None:
            continue
        if ci:
            axis.plot([x, x], ci, color="#1f5f8b", linewidth=2)
        axis.plot([x], [mean], "o", color="#1f5f8b")
        axis.annotate(f"n={n}", (x, mean), textcoords="offset points", xytext=(6, 6), fontsize=8)
    axis.axhline(0, color="#55606e", linewidth=0.8)
    if mcid:
        sign = -1 if higher_is_worse else 1
        axis.axhspan(0, sign * mcid, color="#f2b705", alpha=0.15, label=f"within the MCID ({mcid:g})")
        axis.legend(loc="best", fontsize=8)
    axis.set_xticks(xs, labels)
    axis.set_ylabel("change from baseline")
    axis.set_title(title, fontsize=10)
    return _svg(figure)


def survival_chart(steps: list[tuple[float, float]], title: str) -> str:
    figure, axis = plt.subplots(figsize=(6.4, 3.0))
    if steps:
        days, survival = zip(*steps, strict=True)
        axis.step(days, survival, where="post", color="#1f5f8b")
    axis.set_ylim(0, 1.02)
    axis.set_xlabel("days since first injection")
    axis.set_ylabel("free of re-intervention")
    axis.set_title(title, fontsize=10)
    return _svg(figure)


def patient_chart(
    title: str,
    points: list[tuple[str, int, float]],
    *,
    baseline: float | None,
    mcid: float | None,
    higher_is_worse: bool,
    value_range: tuple[float, float],
) -> str:
    """One patient's score over time (days since injection), the baseline drawn as a line and the band of
    change smaller than the MCID shaded around it: points outside the band are meaningful changes."""
    figure, axis = plt.subplots(figsize=(4.6, 2.6))
    if baseline is not None:
        axis.axhline(baseline, color="#55606e", linewidth=1, linestyle="--", label="baseline")
        if mcid:
            axis.axhspan(baseline - mcid, baseline + mcid, color="#f2b705", alpha=0.18, label=f"within MCID ({mcid:g})")
    if points:
        days = [p[1] for p in points]
        values = [p[2] for p in points]
        axis.plot(days, values, "o-", color="#1f5f8b")
        for label, day, value in points:
            axis.annotate(label, (day, value), textcoords="offset points", xytext=(4, 4), fontsize=7)
    axis.set_ylim(*value_range)
    axis.set_xlabel("days since injection", fontsize=8)
    axis.set_title(f"{title} ({'lower' if higher_is_worse else 'higher'} is better)", fontsize=9)
    axis.tick_params(labelsize=7)
    if baseline is not None:
        axis.legend(fontsize=7, loc="best")
    return _svg(figure)
