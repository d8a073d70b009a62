"""One active consent, changed only on purpose: a second consent is refused unless it is an explicit re-consent,
the page offers only withdraw or re-consent once one is on file, and an injection keeps the consent it relied on."""

from __future__ import annotations

import re

import pytest

from handregen.consent.models import Consent
from handregen.errors import GuardRefused, InvalidInput
from handregen.procedures.models import Injection
from tests.cellproducts.chain import released_product
from tests.conftest import signing
from tests.consent.test_services import take
from tests.interop.conftest import discharge
from tests.journeys import staff_client
from tests.state import database_state


def _followed_up(injected, team):
    episode = injected()
    discharge(episode, team)
    episode.refresh_from_db()
    assert episode.stage == "follow_up"
    return episode


def test_a_second_consent_without_a_reason_is_refused_and_changes_nothing(injected, team):
    episode = _followed_up(injected, team)
    before = database_state()
    with pytest.raises(GuardRefused) as caught:
        take(episode, team.physician)
    assert "Consent rule 'one active consent, changed only on purpose'" in caught.value.reasons[0]
    assert database_state() == before
    assert Consent.objects.filter(episode=episode, status="active").count() == 1


def test_a_re_consent_needs_what_changed(make_episode, team):
    episode = released_product(make_episode, team).episode
    with pytest.raises(InvalidInput) as caught:
        take(episode, team.physician, reconsent_kind="material_change", reconsent_reason="")
    assert caught.value.errors[0][0] == "reconsent_reason"
    with pytest.raises(GuardRefused, match="already on document version"):
        take(episode, team.physician, reconsent_kind="new_document_version", reconsent_reason="new text approved")


def test_a_re_consent_after_the_injection_supersedes_visibly_but_the_injection_keeps_its_consent(injected, team):
    episode = _followed_up(injected, team)
    relied_on = Injection.objects.get(episode=episode).consent
    assert relied_on is not None and relied_on.status == "active"
    new = take(
        episode,
        team.physician,
        reconsent_kind="material_change",
        reconsent_reason="The plan changed: a second joint is to be treated",
    )
    relied_on.refresh_from_db()
    assert (relied_on.status, relied_on.superseded_by_id) == ("superseded", new.pk)
    injection = Injection.objects.get(episode=episode)
    assert injection.consent_id == relied_on.pk and injection.verification["consent"] == str(relied_on.pk)
    assert new.recorded_at > injection.performed_at


def test_once_consent_is_on_file_the_page_offers_only_withdraw_or_re_consent(make_episode, team, persona):
    episode = released_product(make_episode, team).episode
    client = staff_client(persona)
    page = client.get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "Record consent and signature" not in page and 'name="signer_name"' not in page
    assert "Record a withdrawal of consent" in page and "?reconsent=1" in page
    flow = client.get(f"/episodes/{episode.pk}/consent/?reconsent=1").content.decode()
    assert 'name="reconsent_kind"' in flow and "Record the re-consent and signature" in flow
    # The old form sent again (e.g. from a stale tab) is refused by the rule, not silently taken.
    fields = {
        "document_version": "2026.1",
        "discussed_risks": "on",
        "discussed_benefits": "on",
        "discussed_alternatives": "on",
        "discussed_expectations": "on",
        "signer_name": "Rose Tyler",
        "confirm_meaning": "on",
    } | signing(team.physician)
    refused = client.post(f"/episodes/{episode.pk}/consent/", fields)
    assert refused.status_code == 200 and "one active consent" in re.sub(r"&#x27;", "'", refused.content.decode())
    assert Consent.objects.filter(episode=episode).count() == 1


def test_the_signed_pdf_carries_both_signatures_and_their_meaning(make_episode, team, persona):
    import io
    from pathlib import Path

    from pypdf import PdfReader

    episode = released_product(make_episode, team).episode
    response = staff_client(persona).get(f"/episodes/{episode.pk}/consent/pdf/")
    assert response.status_code == 200
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "integrity-consent.pdf").write_bytes(response.content)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "Signatures" in text and "typed by the patient" in text
    assert "Meaning: consent to harvest and injection" in text
    assert "The patient, on this printed form" in text and "who re-entered their own password to sign" in text
    assert "witnessed consent to harvest and injection" in text.lower()
