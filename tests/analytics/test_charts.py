"""Charts are inline SVG that people can read: real text at a readable size, drawn with attributes alone (the
pages' CSP forbids inline styles), described in words, with the figures as a table, and no chart without data."""

from __future__ import annotations

import itertools
import re
import xml.dom.minidom

import pytest

from handregen.analytics.charts import change_chart, nice_ticks, number, patient_chart, survival_chart

CHANGE = [("w2", -1.5, [-2.1, -0.9], 30), ("m6", -2.6, [-3.4, -1.8], 20)]


def _svg(markup: str) -> xml.dom.minidom.Element:
    return xml.dom.minidom.parseString(markup[: markup.index("</svg>") + 6]).documentElement  # noqa: S318 (ours)


def _texts(markup: str) -> list[str]:
    return ["".join(n.data for n in t.childNodes) for t in _svg(markup).getElementsByTagName("text")]


def test_chart_has_no_inline_style_the_csp_would_drop() -> None:
    svg = change_chart("Pain", CHANGE, mcid=2.0, higher_is_worse=True)
    assert "<style" not in svg
    assert re.search(r"\sstyle=", svg) is None


def test_labels_are_real_text_in_words_at_a_readable_size() -> None:
    svg = change_chart("Pain", CHANGE, mcid=2.0, higher_is_worse=True)
    texts = _texts(svg)
    assert "2 weeks" in texts and "6 months" in texts  # time points in words, never w2 or m6
    assert not any(t in ("w2", "m6") for t in texts)
    sizes = [int(t.getAttribute("font-size")) for t in _svg(svg).getElementsByTagName("text")]
    assert min(sizes) >= 12


def test_mcid_band_is_drawn_between_zero_and_the_mcid_in_the_better_direction() -> None:
    svg = change_chart("Pain", CHANGE, mcid=2.0, higher_is_worse=True)
    root = _svg(svg)
    band = next(
        r
        for r in root.getElementsByTagName("rect")
        if r.getAttribute("fill") == "#f2b705" and float(r.getAttribute("width")) > 100
    )
    assert band.getAttribute("fill-opacity") == "0.25"
    top, height = float(band.getAttribute("y")), float(band.getAttribute("height"))
    zero_line = next(t for t in root.getElementsByTagName("text") if t.firstChild.data == "0")
    minus_two = next(t for t in root.getElementsByTagName("text") if t.firstChild.data == "\u22122")
    # the band spans from the 0 tick down to the -2 tick (lower pain is better)
    assert abs(top - (float(zero_line.getAttribute("y")) - 4.5)) < 0.2
    assert abs(top + height - (float(minus_two.getAttribute("y")) - 4.5)) < 0.2


def test_the_description_and_the_table_carry_every_figure() -> None:
    markup = change_chart("Pain", CHANGE, mcid=2.0, higher_is_worse=True)
    desc = _svg(markup).getElementsByTagName("desc")[0].firstChild.data
    assert "2 weeks: \u22121.5 (95% CI \u22122.1 to \u22120.9), n=30" in desc
    table = markup[markup.index("<table") :]
    assert "<td>6 months</td><td>\u22122.6</td><td>\u22123.4 to \u22121.8</td><td>20</td>" in table


def test_no_chart_is_drawn_without_data() -> None:
    assert change_chart("Pain", [("w2", None, None, 0)], mcid=2.0, higher_is_worse=True) == ""
    assert patient_chart("MHQ", [], baseline=None, mcid=None, higher_is_worse=False, value_range=(0, 100)) == ""
    assert survival_chart([(0.0, 1.0)], "Free of re-intervention") == ""


def test_a_single_early_point_gets_a_time_axis_that_contains_it() -> None:
    svg = patient_chart("Pain", [("w2", 14, 5.0)], baseline=7.0, mcid=2.0, higher_is_worse=True, value_range=(0, 10))
    root = _svg(svg)
    point = root.getElementsByTagName("circle")[0]
    width = float(root.getAttribute("width"))
    assert 60 < float(point.getAttribute("cx")) <= width - 20  # inside the plot area, not off the edge
    assert "15" in _texts(svg)  # the axis runs to a round day past the point, not to 1


def test_patient_chart_without_a_later_score_says_so() -> None:
    svg = patient_chart("Pain", [], baseline=7.0, mcid=2.0, higher_is_worse=True, value_range=(0, 10))
    assert "No score after the injection yet" in _texts(svg)


def test_text_from_callers_is_escaped() -> None:
    svg = change_chart("<script>x</script>", CHANGE, mcid=None, higher_is_worse=True)
    assert "<script>" not in svg and "&lt;script&gt;" in svg


@pytest.mark.parametrize(("low", "high"), [(0, 10), (-3.4, 0.3), (0, 365), (0.0, 0.001), (-250, -3), (7, 7)])
def test_ticks_are_round_and_cover_the_range(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1  # evenly spaced
    assert 2 <= len(ticks) <= 7


def test_numbers_read_as_people_write_them() -> None:
    assert [number(v) for v in (3.0, 0.5, -1.25, -0.001, 12.345)] == ["3", "0.5", "\u22121.25", "0", "12.35"]


def test_a_long_title_wraps_onto_a_second_line_inside_the_chart() -> None:
    title = "Pain (NRS): mean change from baseline (95% CI). Includes 300 synthetic (made-up) patients"
    svg = change_chart(title, CHANGE, mcid=2.0, higher_is_worse=True)
    root = _svg(svg)
    heading = [t for t in root.getElementsByTagName("text") if t.getAttribute("font-weight") == "600"]
    assert len(heading) == 2 and " ".join(t.firstChild.data for t in heading) == title
    assert all(len(t.firstChild.data) * 8.5 + 60 <= float(root.getAttribute("width")) for t in heading)
