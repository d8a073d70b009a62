"""The patient's progress in plain words (pure rules): the figures, the MCID verdict and the caveat."""

from datetime import date

from handregen.outcomes.progress import (
    CAVEAT,
    ScorePoint,
    episode_progress,
    first_check_words,
    instrument_progress,
    number,
)

BASE = ScorePoint("baseline", "Baseline (before the injection)", None, 7.0)


def nrs(after: float, label: str = "3 months", days: int = 91) -> ScorePoint:
    return ScorePoint("m3", label, days, after)


def test_the_sentence_gives_both_figures_and_the_latest_time_point():
    progress = instrument_progress("nrs", BASE, [nrs(5, "2 weeks", 14), nrs(4)], higher_is_worse=True)
    assert progress is not None
    assert progress.sentence == "Your average hand pain was 7 out of 10 before treatment and 4 out of 10 at 3 months."


def test_a_drop_of_the_mcid_or_more_reaches_it_and_says_so_without_claiming_a_cause():
    progress = instrument_progress("nrs", BASE, [nrs(5)], higher_is_worse=True)
    assert progress is not None and progress.reaches_mcid is True
    assert "2 points for the better is at least the 2 points" in progress.mcid_sentence
    for claim in ("because", "treatment worked", "thanks to", "improved your"):
        assert claim not in (progress.sentence + progress.mcid_sentence).lower()


def test_a_drop_below_the_mcid_is_called_smaller():
    progress = instrument_progress("nrs", BASE, [nrs(6)], higher_is_worse=True)
    assert progress is not None and progress.reaches_mcid is False
    assert progress.mcid_sentence.startswith("This change of 1 point is smaller than the 2 points")


def test_a_worsening_of_the_mcid_is_named_as_a_change_for_the_worse():
    progress = instrument_progress("nrs", ScorePoint("baseline", "b", None, 3), [nrs(6)], higher_is_worse=True)
    assert progress is not None and progress.reaches_mcid is True
    assert "for the worse" in progress.mcid_sentence


def test_higher_is_better_instruments_count_a_rise_as_better():
    base = ScorePoint("baseline", "b", None, 40.0)
    progress = instrument_progress("mhq", base, [ScorePoint("m6", "6 months", 182, 52.5)], higher_is_worse=False)
    assert progress is not None
    assert "40 out of 100 before treatment and 52.5 out of 100 at 6 months" in progress.sentence
    assert "12.5 points for the better" in progress.mcid_sentence


def test_grip_has_no_published_rule_so_no_verdict():
    base = ScorePoint("baseline", "b", None, 18.4)
    progress = instrument_progress("grip", base, [ScorePoint("m3", "3 months", 91, 21.0)], higher_is_worse=False)
    assert progress is not None and progress.mcid is None and progress.mcid_sentence == ""
    assert "18.4 kg before treatment and 21 kg at 3 months" in progress.sentence


def test_no_later_score_means_no_sentence_and_no_baseline_means_no_entry():
    assert instrument_progress("nrs", BASE, [BASE], higher_is_worse=True) is None
    found = episode_progress(
        {"nrs": [nrs(4)], "quickdash": [ScorePoint("baseline", "b", None, 50)]},
        higher_is_worse={"nrs": True, "quickdash": True},
    )
    assert found == []


def test_first_check_words_name_the_date_or_say_it_is_not_planned_yet():
    assert first_check_words(date(2026, 3, 5)) == "Your first check-up is due on 5 March 2026."
    assert "will be planned" in first_check_words(None)


def test_numbers_are_whole_where_they_are_whole():
    assert number(4.0) == "4" and number(45.45) == "45.5" and number(3.96, whole=True) == "4"
    assert CAVEAT.startswith("Changes like this can have many causes")
