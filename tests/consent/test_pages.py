"""Staff pages for consent: the document, the discussion checkboxes, the signature, withdrawal and the PDF."""

from __future__ import annotations

from handregen.consent.models import Consent
from handregen.pathway.models import Episode
from tests.conftest import signing
from tests.journeys import staff_client, to_consented, to_eligible

SIGNED = {
    "document_version": "2026.1",
    "discussed_risks": "on",
    "discussed_benefits": "on",
    "discussed_alternatives": "on",
    "discussed_expectations": "on",
    "signer_name": "Rose Tyler",
    "confirm_meaning": "on",
}


def test_the_consent_page_shows_the_document_and_labelled_fields(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    text = staff_client(persona).get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "The document (version 2026.1)" in text and "trapeziectomy" in text
    assert 'for="id_discussed_expectations"' in text or "Realistic expectations discussed" in text
    assert 'for="id_signer_name"' in text and 'value="Rose Tyler"' not in text  # typed by the patient


def test_signing_on_the_page_records_the_consent(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    response = staff_client(persona).post(f"/episodes/{episode.pk}/consent/", SIGNED | signing(physician))
    assert response.status_code == 302
    assert Episode.objects.get(pk=episode.pk).stage == "consented"
    page = staff_client(persona).get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "Valid for harvest and injection." in page and "Download the signed consent (PDF)" in page


def test_a_missing_discussion_topic_is_refused_in_plain_words(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    data = {k: v for k, v in SIGNED.items() if k != "discussed_alternatives"}
    page = staff_client(persona).post(f"/episodes/{episode.pk}/consent/", data | signing(physician))
    assert page.status_code == 200 and "The discussion of the alternatives is not recorded as done." in (
        page.content.decode()
    )
    assert not Consent.objects.exists()


def test_a_stale_page_on_an_old_document_version_is_refused(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    client = staff_client(persona)
    page = client.post(f"/episodes/{episode.pk}/consent/", SIGNED | {"document_version": "2025.1"} | signing(physician))
    assert "outdated" in page.content.decode()


def test_withdrawal_page_and_pdf_download(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    client = staff_client(persona, "nurse")
    pdf = client.get(f"/episodes/{episode.pk}/consent/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    response = client.post(f"/episodes/{episode.pk}/consent/withdraw/", {"reason": "Changed her mind"})
    assert response.status_code == 302
    page = client.get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "Consent was withdrawn on" in page


def test_no_pdf_without_a_signed_consent(make_episode, persona):
    assert staff_client(persona).get(f"/episodes/{make_episode().pk}/consent/pdf/").status_code == 404
