"""The consent API: outdated versions, the discussion, the signed PDF, withdrawal, the document text."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.journeys import (
    CHECKLIST_ALL,
    CONSENT_BODY,
    DISCUSSED_ALL,
    to_consented,
    to_eligible,
)

PROBLEM = "application/problem+json"


def test_consent_on_an_outdated_document_version_is_a_409(make_episode, physician, api):
    episode = to_eligible(make_episode(), physician)
    response = api().post(f"/api/v1/episodes/{episode.pk}/consent", CONSENT_BODY | {"document_version": "2024.2"})
    assert response.status_code == 409 and "outdated" in response.json()["reasons"][0]


def test_consent_without_the_expectations_discussion_is_a_409(make_episode, physician, api):
    episode = to_eligible(make_episode(), physician)
    discussed = DISCUSSED_ALL | {"expectations": False}
    response = api().post(f"/api/v1/episodes/{episode.pk}/consent", CONSENT_BODY | {"discussed": discussed})
    assert response.status_code == 409 and "realistic expectations" in response.json()["reasons"][0]


def test_the_consent_pdf_downloads_with_the_signature_details(make_episode, physician, api):
    episode = to_consented(make_episode(), physician)
    response = api().get(f"/api/v1/episodes/{episode.pk}/consent/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "Rose Tyler" in text and "consent to harvest and injection" in text and "2026.1" in text


def test_withdrawing_consent_through_the_api_makes_it_invalid(make_episode, physician, api):
    episode = to_consented(make_episode(), physician)
    base = f"/api/v1/episodes/{episode.pk}"
    withdrawn = api("nurse").post(f"{base}/consent/withdraw", {"reason": "Patient withdrew at the desk"})
    assert withdrawn.status_code == 200 and withdrawn.json()["consent"]["status"] == "withdrawn"
    state = api().get(f"{base}/consent").json()
    assert state["valid"] is False and state["refusals"][0].startswith("Consent was withdrawn on")
    refused = api("nurse").post(f"{base}/preparation", {"checklist": CHECKLIST_ALL})
    assert refused.status_code == 409
    assert "consent_valid cannot be confirmed: the consent is not valid." in refused.json()["reasons"]


def test_the_consent_document_is_readable_with_its_hash(api):
    document = api().get("/api/v1/consent-documents/2026.1").json()
    assert document["version"] == "2026.1" and len(document["sha256"]) == 64 and "saline" in document["text"]
    assert api().get("/api/v1/consent-documents/0.0").status_code == 404
