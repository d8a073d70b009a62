"""A baseline is what was measured before the injection.

After the injection a baseline link cannot be created; answers recorded late are kept with their true date,
flagged "late baseline", left out of "before" unless asked for, and flagged in the export.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from handregen.errors import GuardRefused
from handregen.interop.outcome_tables import SCORES
from handregen.outcomes.links import baseline_link_create
from handregen.outcomes.models import QuestionnaireResponse
from handregen.outcomes.selectors import LATE_BASELINE_LABEL, cycle_scores
from handregen.outcomes.services import baseline_response_record
from handregen.pathway.models import Episode
from tests.aftercare.conftest import inject
from tests.cellproducts.chain import released_product
from tests.state import database_state


def test_a_baseline_link_after_the_injection_is_refused_naming_the_rule(injected, team):
    episode = injected()
    before = database_state()
    with pytest.raises(GuardRefused) as caught:
        baseline_link_create(actor=team.nurse, episode=episode)
    [reason] = caught.value.reasons
    assert "Time order rule 'baseline before injection'" in reason and "follow-up questionnaires" in reason
    assert database_state() == before


def test_a_baseline_link_before_the_injection_is_created(make_episode, team):
    product = released_product(make_episode, team)
    assert baseline_link_create(actor=team.nurse, episode=product.episode).startswith("http")


def test_a_baseline_answered_before_the_injection_is_a_true_baseline(make_episode, team):
    product = released_product(make_episode, team)
    episode = product.episode
    response = baseline_response_record(actor=team.nurse, episode=episode, instrument="nrs", answers={"pain": 7})
    assert response.late_baseline is False
    episode = inject(episode, team)
    assert cycle_scores(episode=episode, cycle=1)["nrs"][0].value == 7


def test_a_late_baseline_is_stored_with_its_true_date_flagged_and_left_out_of_before(injected, team):
    episode: Episode = injected()
    response = baseline_response_record(actor=team.nurse, episode=episode, instrument="nrs", answers={"pain": 8})
    response.refresh_from_db()
    assert response.late_baseline is True
    assert abs((response.entered_at - timezone.now()).total_seconds()) < 60  # its true date, not back-dated

    assert "nrs" not in cycle_scores(episode=episode, cycle=1)  # not "before" by default
    [point] = cycle_scores(episode=episode, cycle=1, include_late_baseline=True)["nrs"]
    assert point.late_baseline and point.label == LATE_BASELINE_LABEL and point.value == 8

    header = [column.name for column in SCORES.columns]
    rows = [dict(zip(header, row, strict=True)) for row in SCORES.rows(team.nurse)]
    [row] = [r for r in rows if r["episode_id"] == episode.pk and r["instrument"] == "nrs"]
    assert row["timepoint"] == "baseline" and row["late_baseline"] is True


def test_correcting_a_true_baseline_after_the_injection_keeps_it_a_true_baseline(make_episode, team, clock):
    product = released_product(make_episode, team)
    baseline_response_record(actor=team.nurse, episode=product.episode, instrument="nrs", answers={"pain": 7})
    episode = inject(product.episode, team)
    clock.advance(hours=1)
    amended = baseline_response_record(
        actor=team.nurse, episode=episode, instrument="nrs", answers={"pain": 6}, amendment_reason="typed 7 for 6"
    )
    assert amended.late_baseline is False and amended.total == 6
    assert QuestionnaireResponse.objects.filter(episode=episode).count() == 1


def test_cohort_analytics_leave_a_late_baseline_out_of_before_unless_asked(injected, team):
    from handregen.analytics.dataset import scores_frame

    episode: Episode = injected()
    baseline_response_record(actor=team.nurse, episode=episode, instrument="nrs", answers={"pain": 8})
    baselines = scores_frame([episode.site_id], subscales=False, instruments=["nrs"], timepoints=["baseline"])
    assert baselines.empty
    included = scores_frame(
        [episode.site_id], subscales=False, instruments=["nrs"], timepoints=["baseline"], include_late_baseline=True
    )
    assert included["value"].tolist() == [8.0]
