"""Charts as inline SVG with real text: change over time, re-intervention-free survival, one patient's scores.

Drawn by hand rather than by a plotting library, because what a clinic needs of these charts is narrow and the
library's output was not readable: here text stays text (selectable, read aloud, 13 px at the chart's natural
size; on a narrow screen the chart scrolls inside its box instead of shrinking its text), only SVG presentation
attributes are used (the pages' CSP allows no inline style), and a chart costs microseconds, so pages need no
chart cache. Each chart has a <title> and a <desc> that says in words what it shows, followed by the same
figures as a table. A chart without data is not drawn: the functions return "".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from handregen.labels import timepoint_words

INK = "#1b1f24"
MUTED = "#55606e"
GRID = "#d0d5dc"
LINE = "#1f5f8b"
BAND = "#f2b705"
BAND_OPACITY = "0.25"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
_ids = itertools.count(1)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from at or below `low` to at or above `high`: steps of 1, 2, 2.5 or 5 times a power of 10."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def number(value: float) -> str:
    """A figure as people read it: no trailing zeros, a true minus sign."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text.replace("-", "\u2212")


@dataclass(frozen=True)
class Plot:
    """The plot area inside the canvas and the data ranges it shows."""

    width: int
    height: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    left: int = 60
    right: int = 20
    top: int = 52
    bottom: int = 50

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (value - low) / (high - low) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.height - self.bottom - (value - low) / (high - low) * (self.height - self.top - self.bottom)


def _text(
    x: float, y: float, words: str, *, anchor: str = "start", size: int = 13, fill: str = INK, extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" {FONT}'
        f"{' ' + extra if extra else ''}>{escape(words)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = INK, width: float = 1, extra: str = "") -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
        f'stroke-width="{width}"{" " + extra if extra else ""}/>'
    )


def _band(plot: Plot, low: float, high: float) -> str:
    y_low, y_high = sorted((plot.y(max(low, plot.y_range[0])), plot.y(min(high, plot.y_range[1]))))
    return (
        f'<rect x="{plot.left}" y="{y_low:.1f}" width="{plot.width - plot.left - plot.right}" '
        f'height="{y_high - y_low:.1f}" fill="{BAND}" fill-opacity="{BAND_OPACITY}"/>'
    )


def _y_axis(plot: Plot, ticks: Sequence[float], title: str, label: Callable[[float], str] = number) -> list[str]:
    parts = []
    for tick in ticks:
        y = plot.y(tick)
        parts.append(_line(plot.left, y, plot.width - plot.right, y, stroke=GRID))
        parts.append(_text(plot.left - 8, y + 4.5, label(tick), anchor="end", fill=MUTED))
    middle = (plot.top + plot.height - plot.bottom) / 2
    parts.append(
        _text(16, middle, title, anchor="middle", fill=MUTED, extra=f'transform="rotate(-90 16 {middle:.1f})"')
    )
    return parts


def _legend(plot: Plot, words: str) -> str:
    y = plot.top - 14
    return (
        f'<rect x="{plot.left}" y="{y - 10}" width="14" height="12" fill="{BAND}" fill-opacity="{BAND_OPACITY}" '
        f'stroke="{MUTED}" stroke-width="0.5"/>' + _text(plot.left + 20, y, words, size=12, fill=MUTED)
    )


def _title_lines(title: str, width: int) -> list[str]:
    """The title in lines that fit the chart (about 8.5 px a character in bold at 14 px), at most two."""
    fits = max(20, int((width - 70) / 8.5))
    lines: list[str] = [""]
    for word in title.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > fits and len(lines) < 2:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def _svg(plot: Plot, title: str, description: str, body: list[str]) -> str:
    n = next(_ids)
    lines = _title_lines(title, plot.width)
    shift = 18 * (len(lines) - 1)  # a second title line moves the chart down
    heading = "".join(
        _text(plot.left, 20 + 18 * i, line, size=14, extra='font-weight="600"') for i, line in enumerate(lines)
    )
    height = plot.height + shift
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {plot.width} {height}" '
        f'width="{plot.width}" height="{height}" role="img" aria-labelledby="chart-title-{n} chart-desc-{n}">'
        f'<title id="chart-title-{n}">{escape(title)}</title><desc id="chart-desc-{n}">{escape(description)}</desc>'
        + heading
        + f'<g transform="translate(0 {shift})">'
        + "".join(body)
        + "</g></svg>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<details class="chart-data"><summary>The figures as a table</summary><table><thead><tr>{head}</tr>'
        f"</thead><tbody>{body}</tbody></table></details>"
    )


def _padded(values: Sequence[float], *, minimum_span: float = 1.0) -> tuple[float, float]:
    low, high = min(values), max(values)
    span = max(high - low, minimum_span)
    return low - span * 0.08, high + span * 0.08


def change_chart(
    title: str,
    points: list[tuple[str, float | None, list[float] | None, int]],
    *,
    mcid: float | None,
    higher_is_worse: bool,
) -> str:
    """Mean change from baseline with its 95% CI at each time point, the band of change smaller than the MCID
    shaded, and n beside each point. `points` are (time point, mean change, [low, high], n assessed)."""
    shown = [p for p in points if p[1] is not None]
    if not shown:
        return ""
    sign = -1 if higher_is_worse else 1
    values = [0.0] + [v for p in shown for v in [p[1], *(p[2] or [])] if v is not None]
    if mcid:
        values.append(sign * mcid)
    y_low, y_high = _padded(values)
    ticks = nice_ticks(y_low, y_high)
    plot = Plot(560, 320, (-0.5, len(points) - 0.5), (ticks[0], ticks[-1]))
    body = []
    if mcid:
        body.append(_band(plot, min(0.0, sign * mcid), max(0.0, sign * mcid)))
        body.append(_legend(plot, f"Shaded: change smaller than the smallest important change ({number(mcid)})"))
    body += _y_axis(plot, ticks, "Change from baseline")
    body.append(_line(plot.left, plot.y(0), plot.width - plot.right, plot.y(0), stroke=MUTED, width=1.2))
    said, rows = [], []
    for index, (label, mean, ci, n) in enumerate(points):
        x = plot.x(index)
        words = timepoint_words(label)
        body.append(_text(x, plot.height - plot.bottom + 20, words, anchor="middle"))
        if mean is None:
            body.append(_text(x, plot.height - plot.bottom + 36, "no data", anchor="middle", size=12, fill=MUTED))
            rows.append((words, "no data", "", str(n)))
            continue
        if ci:
            body.append(_line(x, plot.y(ci[0]), x, plot.y(ci[1]), stroke=LINE, width=2.5))
        body.append(f'<circle cx="{x:.1f}" cy="{plot.y(mean):.1f}" r="5" fill="{LINE}"/>')
        body.append(_text(x + 9, plot.y(mean) - 8, f"n={n}", size=12, fill=MUTED))
        interval = f"{number(ci[0])} to {number(ci[1])}" if ci else "not computed"
        said.append(f"{words}: {number(mean)} (95% CI {interval}), n={n}")
        rows.append((words, number(mean), interval, str(n)))
    direction = "lower" if higher_is_worse else "higher"
    description = f"Mean change from baseline ({direction} scores are better). " + "; ".join(said) + "."
    table = _table(("Time point", "Mean change", "95% CI", "n"), rows)
    return _svg(plot, title, description, body) + table


def survival_chart(steps: list[tuple[float, float]], title: str) -> str:
    """A Kaplan-Meier curve: the share free of re-intervention by days since the first injection."""
    if len(steps) < 2:
        return ""
    last_day = max(d for d, _ in steps)
    x_ticks = nice_ticks(0, max(last_day, 1))
    plot = Plot(560, 300, (0, x_ticks[-1]), (0, 1.0))
    body = _y_axis(plot, [0, 0.25, 0.5, 0.75, 1.0], "Free of re-intervention", label=lambda t: f"{number(100 * t)} %")
    for tick in x_ticks:
        body.append(_text(plot.x(tick), plot.height - plot.bottom + 20, number(tick), anchor="middle", fill=MUTED))
    body.append(
        _text(
            (plot.left + plot.width - plot.right) / 2,
            plot.height - 10,
            "Days since first injection",
            anchor="middle",
            fill=MUTED,
        )
    )
    path = f"M{plot.x(steps[0][0]):.1f},{plot.y(steps[0][1]):.1f}"
    for day, share in steps[1:]:
        path += f" H{plot.x(day):.1f} V{plot.y(share):.1f}"
    path += f" H{plot.x(last_day):.1f}"
    body.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    final = steps[-1][1]
    description = (
        f"Share of treated joints free of re-intervention over {number(last_day)} days; "
        f"{number(100 * final)} % at the last time shown."
    )
    table = _table(("Day", "Free of re-intervention"), [(number(d), f"{number(100 * s)} %") for d, s in steps])
    return _svg(plot, title, description, body) + table


def patient_chart(
    title: str,
    points: list[tuple[str, int, float]],
    *,
    baseline: float | None,
    mcid: float | None,
    higher_is_worse: bool,
    value_range: tuple[float, float],
) -> str:
    """One patient's score by days since the injection, the baseline as a dashed line and the band of change
    smaller than the MCID shaded around it: points outside the band are changes that matter.
    `points` are (time point, days since injection, score)."""
    if not points and baseline is None:
        return ""
    last_day = max((day for _, day, _ in points), default=0)
    x_ticks = nice_ticks(0, max(last_day, 14))  # a single early point still gets a sensible time axis
    y_ticks = nice_ticks(*value_range)
    plot = Plot(480, 300, (0, x_ticks[-1]), (y_ticks[0], y_ticks[-1]))
    direction = "lower" if higher_is_worse else "higher"
    body = []
    if baseline is not None and mcid:
        body.append(_band(plot, baseline - mcid, baseline + mcid))
        body.append(_legend(plot, f"Shaded: within {number(mcid)} of the score before treatment"))
    body += _y_axis(plot, y_ticks, f"Score ({direction} is better)")
    for tick in x_ticks:
        body.append(_text(plot.x(tick), plot.height - plot.bottom + 20, number(tick), anchor="middle", fill=MUTED))
    body.append(
        _text(
            (plot.left + plot.width - plot.right) / 2,
            plot.height - 10,
            "Days since the injection",
            anchor="middle",
            fill=MUTED,
        )
    )
    said = []
    rows = []
    if baseline is not None:
        y = plot.y(baseline)
        body.append(
            _line(plot.left, y, plot.width - plot.right, y, stroke=MUTED, width=1.5, extra='stroke-dasharray="6 4"')
        )
        body.append(
            _text(plot.width - plot.right - 4, y - 6, f"before: {number(baseline)}", anchor="end", size=12, fill=MUTED)
        )
        said.append(f"before treatment {number(baseline)}")
        rows.append(("Before treatment", "", number(baseline)))
    if points:
        coordinates = " ".join(f"{plot.x(day):.1f},{plot.y(value):.1f}" for _, day, value in points)
        body.append(f'<polyline points="{coordinates}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for label, day, value in points:
            words = timepoint_words(label)
            body.append(f'<circle cx="{plot.x(day):.1f}" cy="{plot.y(value):.1f}" r="5" fill="{LINE}"/>')
            body.append(_text(plot.x(day), plot.y(value) - 10, number(value), anchor="middle", size=12))
            said.append(f"{words} (day {day}) {number(value)}")
            rows.append((words, str(day), number(value)))
    else:
        body.append(
            _text(
                (plot.left + plot.width - plot.right) / 2,
                plot.top + 30,
                "No score after the injection yet",
                anchor="middle",
                fill=MUTED,
            )
        )
    description = f"{title}, {direction} is better: " + "; ".join(said) + "."
    table = _table(("Time point", "Day", "Score"), rows)
    return _svg(plot, f"{title} ({direction} is better)", description, body) + table
