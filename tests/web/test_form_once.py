"""R5 for the staff pages: Back and re-submit (or a double click) records nothing twice, and every state-changing
form carries the one-time token from the one shared tag."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from handregen.safety.models import AdverseEvent
from handregen.submissions.models import FormSubmission

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "handregen"
# Forms that record nothing clinical: signing in and out, the second factor at sign-in.
WITHOUT_TOKEN = {"web/login.html", "web/mfa_verify.html", "web/base.html"}


def _token(page: str) -> str:
    found = re.search(r'name="_form_token" value="([^"]+)"', page)
    assert found, "the form carries no one-time token"
    return found.group(1)


def _ae(**changes: str) -> dict[str, str]:
    return {
        "term": "infection",
        "onset_date": date.today().isoformat(),
        "grade": "2",
        "serious": "no",
        "relatedness": "possible",
        "action_taken": "none",
        "outcome": "recovering",
    } | changes


def test_back_and_resubmit_of_an_adverse_event_stores_one_event_and_shows_the_first_result(make_episode, signed_in):
    episode = make_episode()
    client = signed_in()
    url = f"/episodes/{episode.pk}/adverse-events/new/"
    token = _token(client.get(url).content.decode())
    first = client.post(url, _ae(_form_token=token))
    assert first.status_code == 302
    again = client.post(url, _ae(_form_token=token), follow=True)
    assert again.redirect_chain[0] == (first["Location"], 302)
    assert "already sent, so nothing was recorded twice" in again.content.decode()
    assert AdverseEvent.objects.filter(episode=episode).count() == 1


def test_a_refused_form_keeps_what_was_typed_records_nothing_and_may_be_sent_again(make_episode, signed_in):
    episode = make_episode()
    client = signed_in()
    url = f"/episodes/{episode.pk}/adverse-events/new/"
    token = _token(client.get(url).content.decode())
    refused = client.post(url, _ae(_form_token=token, grade="5", outcome="fatal", description="fell at home"))
    text = refused.content.decode()
    assert refused.status_code == 200 and "fell at home" in text and _token(text) != token
    assert not FormSubmission.objects.filter(token=token).exists() and not AdverseEvent.objects.exists()
    assert client.post(url, _ae(_form_token=token)).status_code == 302  # the same token, now accepted
    assert AdverseEvent.objects.count() == 1


def test_every_state_changing_staff_form_carries_the_token():
    missing = []
    for template in TEMPLATES.glob("*/templates/**/*.html"):
        name = template.relative_to(template.parents[1]).as_posix()
        text = template.read_text()
        if 'method="post"' in text and name not in WITHOUT_TOKEN and "portal" not in name:
            posts = text.count('method="post"')
            if text.count("{% form_token %}") < posts:
                missing.append(name)
    assert missing == []
