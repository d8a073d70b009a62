"""The cohort table read once for every cell: the frames it reads and the vectorised OMERACT-OARSI rule."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handregen.analytics.cohort import omeract_oarsi_flags
from handregen.analytics.dataset import scores_frame
from handregen.analytics.synthetic.writer import synth_registry
from handregen.outcomes.models import QuestionnaireResponse
from handregen.outcomes.responders import omeract_oarsi_responder

# Threshold edges (20 and 10 points, 50 % and 20 %) and a baseline of 0 come up often, as do missing values.
score = st.one_of(st.none(), st.sampled_from([0.0, 10.0, 20.0, 40.0, 50.0, 80.0, 100.0]), st.floats(0, 100))
pair = st.tuples(score, score)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(pair, pair), min_size=1, max_size=30))
def test_the_vectorised_omeract_oarsi_rule_decides_every_row_like_the_scalar_rule(rows):
    pain = pd.DataFrame([p for p, _ in rows], columns=["baseline", "follow_up"], dtype=float)
    function = pd.DataFrame([f for _, f in rows], columns=["baseline", "follow_up"], dtype=float)
    expected = [omeract_oarsi_responder(pain=p, function=f, patient_global_measured=False).responder for p, f in rows]
    assert omeract_oarsi_flags(pain, function) == expected


def _score_rows_from_objects(site):
    """The long score table built the slow, obvious way: one response object at a time."""
    rows = []
    responses = QuestionnaireResponse.objects.filter(
        site=site, follow_up__cycle=1, follow_up__superseded_at__isnull=True
    ).select_related("follow_up", "episode")
    for r in responses:
        if r.side and r.side != r.episode.side:
            continue
        if r.total is not None:
            rows.append((r.episode_id, r.follow_up.timepoint, r.instrument, "", float(r.total)))
        rows += [
            (r.episode_id, r.follow_up.timepoint, r.instrument, k, float(v))
            for k, v in r.subscales.items()
            if v is not None
        ]
    return sorted(rows, key=repr)


@pytest.mark.django_db
def test_the_score_frame_holds_exactly_the_treated_hands_totals_and_subscales(demo_site):
    synth_registry(site=demo_site, count=40, seed=11)
    frame = scores_frame([demo_site.pk])
    got = sorted(frame.itertuples(index=False, name=None), key=repr)
    assert got == _score_rows_from_objects(demo_site)
    assert any(s for *_, s, _ in got if s), "the registry should have subscale values to compare"
    assert QuestionnaireResponse.objects.filter(site=demo_site).exclude(side="").exists()

    totals = scores_frame([demo_site.pk], subscales=False)
    assert set(totals["subscale"]) == {""}
    assert math.isclose(totals["value"].sum(), frame.loc[frame["subscale"] == "", "value"].sum())
    assert len(totals) == (frame["subscale"] == "").sum()


def test_model_terms_are_shown_in_words():
    from handregen.analytics.selectors import coefficient_label

    assert coefficient_label("C(timepoint)[T.m6]") == "6 months (vs baseline)"
    assert coefficient_label("C(source)[T.bone_marrow]") == "cell source bone marrow (vs adipose)"
    assert coefficient_label("C(stage)[T.KL3]") == "stage Kellgren-Lawrence 3 (vs the lowest stage)"
    assert coefficient_label("Intercept").startswith("Baseline mean")
