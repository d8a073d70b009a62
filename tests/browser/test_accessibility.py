"""Accessibility smoke test in real Chromium: on the main staff pages and the patient's questionnaire page every
visible field has an accessible name, keyboard focus is visible, and Tab walks through the form in order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handregen.outcomes.links import questionnaire_link_create
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import followups_schedule
from tests.cellproducts.chain import harvested, make_team, processed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# The visible fields (input, select, textarea) that have no accessible name: no <label> with text, no
# aria-label, no aria-labelledby.
UNNAMED_FIELDS = """els => els
  .filter(el => el.type !== "hidden" && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")
  .filter(el => !(Array.from(el.labels || []).some(l => l.innerText.trim()))
                && !(el.getAttribute("aria-label") || "").trim() && !el.getAttribute("aria-labelledby"))
  .map(el => el.outerHTML.slice(0, 120))"""

# What the keyboard focus is on now: where it sits in the page, whether it is in the form, and its outline.
FOCUSED = """form => {
  const el = document.activeElement;
  const all = Array.from(document.querySelectorAll("*"));
  const style = getComputedStyle(el);
  return {index: all.indexOf(el), inForm: form.contains(el), tag: el.tagName, type: el.type || "",
          name: el.name || el.innerText || "", outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def fields_without_a_name(tab) -> list[str]:
    return tab.locator("input, select, textarea").evaluate_all(UNNAMED_FIELDS)


def stylesheet_has_focus_visible(tab) -> bool:
    return tab.evaluate(
        """() => Array.from(document.styleSheets).some(sheet => Array.from(sheet.cssRules)
             .some(rule => (rule.selectorText || "").includes(":focus-visible")))"""
    )


def assert_skip_link_takes_visible_focus(tab) -> None:
    """The first Tab from the top of the page lands on a visibly outlined element (the skip link on staff pages)."""
    tab.locator("body").focus()
    tab.keyboard.press("Tab")
    first = tab.evaluate("() => document.activeElement.tagName")
    assert first in ("A", "INPUT", "SELECT", "TEXTAREA", "BUTTON")
    outline = tab.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", f"no visible focus on the first focusable element of {tab.url}"


def assert_tab_walks_through_the_form(tab, form) -> None:
    """From the form's first field, Tab moves forwards through its fields, each visibly focused, to its button."""
    first = form.locator("input:not([type=hidden]), select, textarea").first
    first.focus()
    visited = [form.evaluate(FOCUSED)]
    for _ in range(300):
        tab.keyboard.press("Tab")
        now = form.evaluate(FOCUSED)
        if now["index"] == visited[-1]["index"]:
            continue  # the parts of a date field take Tab presses of their own
        visited.append(now)
        if not now["inForm"] or now["type"] == "submit":
            break
    inside = [v for v in visited if v["inForm"]]
    assert inside[-1]["type"] == "submit", f"Tab did not reach the form's button on {tab.url}: {visited[-3:]}"
    assert len(inside) >= 2, f"Tab stayed in place on {tab.url}"
    positions = [v["index"] for v in inside]
    assert positions == sorted(positions), f"Tab jumped backwards on {tab.url}"
    hidden_focus = [v["name"] for v in inside if v["outline"] == "none" or v["width"] <= 0]
    assert hidden_focus == [], f"no visible focus on {hidden_focus} at {tab.url}"


def check_page(tab, path: str, *, form: str | None = "main form[method=post]") -> None:
    tab.goto(path)
    assert tab.locator("h1").first.is_visible(), f"{path} has no visible heading"
    assert fields_without_a_name(tab) == [], f"fields without an accessible name on {path}"
    assert stylesheet_has_focus_visible(tab), f"no :focus-visible style on {path}"
    assert_skip_link_takes_visible_focus(tab)
    if form is not None:
        assert_tab_walks_through_the_form(tab, tab.locator(form).last)


def test_staff_pages_name_every_field_show_focus_and_tab_through_their_forms(new_tab, sign_in, persona, make_episode):
    team = make_team(persona)
    fresh = make_episode()
    product = processed(harvested(make_episode(), team), team)
    episode = product.episode
    page = new_tab()
    sign_in(page, "physician")
    check_page(page, "/", form=None)
    check_page(page, "/patients/new/")
    check_page(page, f"/patients/{fresh.patient_id}/")
    check_page(page, f"/episodes/{fresh.pk}/", form=None)
    for step in ("consultation", "candidacy", "consent", "harvest", "injection"):
        check_page(page, f"/episodes/{fresh.pk}/{step}/")

    page = new_tab()
    sign_in(page, "nurse")
    check_page(page, f"/episodes/{fresh.pk}/preparation/")
    check_page(page, f"/episodes/{fresh.pk}/post-care/")
    followed = make_episode()
    followups_schedule(actor=team.nurse, episode=followed, injected_on=followed.site.today() - timedelta(days=14))
    check_page(page, f"/follow-ups/{FollowUp.objects.get(episode=followed, timepoint='w2').pk}/")

    page = new_tab()
    sign_in(page, "lab_technician")
    check_page(page, "/lab/", form="main form")
    check_page(page, f"/lab/products/{product.pk}/", form=None)
    check_page(page, f"/lab/products/{product.pk}/processing/")
    check_page(page, f"/lab/products/{product.pk}/release/")
    assert episode.stage == "harvested"


def test_the_patient_page_names_every_field_shows_focus_and_tabs_through_the_questions(new_tab, persona, make_episode):
    nurse = persona("nurse")
    episode = make_episode(actor=nurse)
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(days=14))
    url = questionnaire_link_create(actor=nurse, follow_up=FollowUp.objects.get(episode=episode, timepoint="w2"))
    phone = new_tab(**PHONE)
    phone.goto("/q/" + url.rsplit("/q/", 1)[1])
    assert phone.get_by_role("heading", name="Your pain").is_visible()
    assert fields_without_a_name(phone) == []
    assert stylesheet_has_focus_visible(phone)
    assert_skip_link_takes_visible_focus(phone)
    assert_tab_walks_through_the_form(phone, phone.locator("main form"))
