"""Every patient page passes axe-core (WCAG 2.1 A and AA) with no violation and nothing left "to review", at
320 and 375 px wide, has no sideways scrolling and no target under 44 x 44 px, and our own words on it read
at school grade 6 or below (Flesch-Kincaid, computed here)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe

from handregen.outcomes.links import baseline_link_create, questionnaire_link_create
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import followups_schedule
from tests.browser.test_questionnaire_flow import check_layout, path_of

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
AXE = Axe()


def syllables(word: str) -> int:
    groups = re.findall(r"[aeiouy]+", word.lower())
    count = len(groups) - (1 if word.lower().endswith("e") and len(groups) > 1 else 0)
    return max(count, 1)


def reading_grade(text: str) -> float:
    """Flesch-Kincaid grade; each line (a heading, an answer, a list item) ends a sentence where no full stop does."""
    sentences = [s for line in text.splitlines() for s in re.split(r"[.?!]+\s", line) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return 0.39 * len(words) / len(sentences) + 11.8 * sum(map(syllables, words)) / len(words) - 15.59


def our_words(tab) -> str:
    """The page's text without the clinical names (shown small for staff) and the after-care sheet (the
    clinic's own instructions, from its protocol)."""
    return tab.evaluate("""() => {
        const left = Array.from(document.querySelectorAll("main .clinical-name, main .sheet"));
        left.forEach(el => { el.hidden = true; });
        const text = document.querySelector("main").innerText;
        left.forEach(el => { el.hidden = false; });
        return text; }""")


def check(tab, width: int, seen: dict[str, float]) -> None:
    results = AXE.run(tab, options=WCAG_21_AA).response
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]
    to_review = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["incomplete"]]
    assert violations == [], f"axe violations on {tab.url} at {width} px: {violations}"
    assert to_review == [], f"axe 'needs review' on {tab.url} at {width} px: {to_review}"
    check_layout(tab)
    seen[f"{tab.url.split('/q/', 1)[-1] or 'q'} @{width}"] = round(reading_grade(our_words(tab)), 1)


@pytest.mark.parametrize("width", [320, 375])
def test_every_patient_page_passes_axe_at_phone_widths(new_tab, persona, make_episode, settings, width):
    nurse = persona("nurse")
    site = nurse.site
    site.phone = "01632 960000"
    site.save()
    phone = {"viewport": {"width": width, "height": 740}, "is_mobile": True, "has_touch": True}
    seen: dict[str, float] = {}

    before = make_episode(actor=nurse)
    tab = new_tab(**phone)
    tab.goto(path_of(baseline_link_create(actor=nurse, episode=before)))
    for number in (1, 2, 4, 7):  # pain 0-10, QuickDASH with "prefer not to answer", PRWE 0-10, MHQ
        tab.goto(f"/q/p/{number}/")
        check(tab, width, seen)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Next").tap()  # nothing answered: the error summary
    check(tab, width, seen)
    tab.goto("/q/review/")
    check(tab, width, seen)

    treated = make_episode(actor=nurse)
    followups_schedule(actor=nurse, episode=treated, injected_on=treated.site.today() - timedelta(days=14))
    w2 = FollowUp.objects.get(episode=treated, timepoint="w2")
    tab = new_tab(**phone)
    tab.goto(path_of(questionnaire_link_create(actor=nurse, follow_up=w2)))
    tab.locator("label.choice").nth(3).tap()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Next").tap()
    tab.locator("label.choice").nth(1).tap()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Next").tap()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Send my answers").tap()
    assert tab.url.endswith("/q/done/")
    check(tab, width, seen)

    tab.goto("/q/" + "A" * 43)  # a wrong link
    check(tab, width, seen)
    settings.HANDREGEN_LINK_DAYS = 0
    expired = make_episode(actor=nurse)
    tab.goto(path_of(baseline_link_create(actor=nurse, episode=expired)))  # an expired link
    assert "expired" in tab.content() and "01632 960000" in tab.content()
    check(tab, width, seen)

    too_hard = {page: grade for page, grade in seen.items() if grade > 6}
    print(f"\nreading grade per page at {width} px:", seen)
    assert too_hard == {}, f"our text reads above school grade 6: {too_hard}"
