"""The cohort dashboard in real Chromium at 1280 and 320 px: the synthetic-data banner and the mixed model."""

import os

import pytest

from handregen.analytics.synthetic.writer import synth_registry

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 320])
def test_the_dashboard_names_its_synthetic_patients_and_shows_the_trajectory_model(
    width, new_tab, sign_in, demo_site, screenshot
):
    synth_registry(site=demo_site, count=40, seed=13)
    tab = new_tab(viewport={"width": width, "height": 900})
    sign_in(tab, "researcher")
    assert tab.goto("/analytics/?instrument=nrs&missing=complete_case&include_synthetic=on").status == 200
    assert tab.get_by_text("Includes 40 synthetic (made-up) patients.").is_visible()
    assert tab.get_by_role("heading", name="Trajectory over time (mixed-effects model)").is_visible()
    assert tab.get_by_text("6 months (vs baseline)").first.is_visible() or tab.get_by_text("Not fitted").is_visible()
    screenshot(tab, f"cohort-dashboard-{width}")
    assert tab.goto("/analytics/").status == 200
    # left out by default: no "Includes" banner, and a notice that says how many are left out and how to see them
    assert tab.get_by_text("Includes 40 synthetic", exact=False).count() == 0
    assert tab.get_by_text("This site has 40 synthetic (made-up) patients, left out", exact=False).is_visible()
