"""An adverse event as a tracked record: its own page with versions, amend with a reason, follow to resolution,
retract as entered in error (kept, struck through, out of rates and exports), listed on the episode page."""

from __future__ import annotations

import re
from datetime import date

from handregen.analytics.selectors import adverse_event_rates
from handregen.interop.outcome_tables import ADVERSE_EVENTS
from handregen.safety.models import AdverseEvent
from handregen.safety.services import adverse_event_record
from tests.state import database_state

AE = {
    "term": "infection",
    "onset_date": date.today(),
    "grade": 2,
    "serious": False,
    "relatedness": "possible",
    "action_taken": "medication",
    "outcome": "recovering",
}


def _page(client, event) -> str:
    return re.sub(r"\s+", " ", client.get(f"/adverse-events/{event.pk}/").content.decode())


def _form(page: str, marker: str) -> dict[str, str]:
    """The hidden fields of the form that contains `marker` (the token and the version)."""
    start = page.index(marker)
    form = page[page.rindex("<form", 0, start) : page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def _amend_fields(event, **changes) -> dict[str, str]:
    base = {
        "term": event.term,
        "onset_date": event.onset_date.isoformat(),
        "grade": str(event.grade),
        "serious": "yes" if event.serious else "no",
        "relatedness": event.relatedness,
        "action_taken": event.action_taken,
        "outcome": event.outcome,
        "description": event.description,
    }
    return base | changes


def test_follow_an_event_to_resolution_and_see_its_versions(make_episode, persona, signed_in):
    nurse = persona("nurse")
    event = adverse_event_record(actor=nurse, episode=make_episode(), **AE)
    client = signed_in("nurse")
    page = _page(client, event)
    assert "ongoing: recovering" in page and "Version 1: recorded" in page
    assert f'name="onset_date" value="{event.onset_date.isoformat()}"' in page  # the recorded date, shown
    resolved = date.today().isoformat()
    response = client.post(
        f"/adverse-events/{event.pk}/",
        _form(page, "Save the change")
        | _amend_fields(event, outcome="recovered", resolution_date=resolved, reason="Seen in clinic: healed"),
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.outcome, event.resolution_date.isoformat(), event.version) == ("recovered", resolved, 2)
    page = _page(client, event)
    assert "resolved: recovered" in page and "Version 2: amended" in page and "Reason: Seen in clinic: healed" in page
    assert "outcome: recovering → recovered" in page
    episode_page = re.sub(r"\s+", " ", client.get(f"/episodes/{event.episode_id}/").content.decode())
    assert "Adverse events</h2>" in episode_page and "resolved: recovered" in episode_page


def test_an_amendment_without_a_reason_is_refused_and_keeps_what_was_typed(make_episode, persona, signed_in):
    event = adverse_event_record(actor=persona("nurse"), episode=make_episode(), **AE)
    client = signed_in("nurse")
    page = _page(client, event)
    before = database_state()
    response = client.post(
        f"/adverse-events/{event.pk}/",
        _form(page, "Save the change") | _amend_fields(event, grade="3", description="spreading redness"),
    )
    text = response.content.decode()
    assert response.status_code == 200 and "spreading redness" in text and "This field is required" in text
    assert database_state() == before


def test_two_tabs_amending_one_event_the_stale_one_sees_both_values(make_episode, persona, signed_in):
    event = adverse_event_record(actor=persona("nurse"), episode=make_episode(), **AE)
    first, second = signed_in("nurse"), signed_in("physician")
    tab_a, tab_b = _form(_page(first, event), "Save the change"), _form(_page(second, event), "Save the change")
    assert (
        first.post(f"/adverse-events/{event.pk}/", tab_a | _amend_fields(event, grade="3", reason="worse")).status_code
        == 302
    )
    before = database_state()
    stale = second.post(
        f"/adverse-events/{event.pk}/", tab_b | _amend_fields(event, grade="1", reason="milder than written")
    )
    text = re.sub(r"\s+", " ", stale.content.decode())
    assert stale.status_code == 200 and "no lost updates" in text
    assert "<td>grade</td><td>3</td><td>1 <strong>(differs)</strong></td>" in text
    assert "milder than written" in text
    assert database_state() == before and AdverseEvent.objects.get(pk=event.pk).grade == 3


def test_a_retracted_event_is_kept_struck_through_and_left_out_of_rates_and_exports(make_episode, persona, signed_in):
    nurse = persona("nurse")
    episode = make_episode()
    kept = adverse_event_record(actor=nurse, episode=episode, **AE)
    wrong = adverse_event_record(actor=nurse, episode=episode, **(AE | {"term": "vasovagal_reaction", "grade": 3}))
    client = signed_in("nurse")
    page = _page(client, wrong)
    response = client.post(
        f"/adverse-events/{wrong.pk}/",
        _form(page, 'name="retract"') | {"retract": "1", "reason": "Recorded on the wrong patient"},
    )
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.retracted_at is not None and wrong.retracted_reason == "Recorded on the wrong patient"
    page = _page(client, wrong)
    struck = "<del>Vasovagal reaction (fainting, light-headedness)</del>"
    assert struck in page and "Retracted as entered in error" in page
    assert "Save the change" not in page  # kept as it was
    listing = client.get(f"/episodes/{episode.pk}/adverse-events/").content.decode()
    assert struck in listing
    rows = {r["label"]: r["with_event"] for r in adverse_event_rates(actor=persona("physician"))}
    assert rows["grade 3"] == 0 and rows["grade 2"] == 1
    exported = [row[0] for row in ADVERSE_EVENTS.rows(nurse)]
    assert exported == [kept.pk]
