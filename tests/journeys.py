"""Move an episode along the pathway through the real services, with valid data (for tests of later steps).

    to_consulted(episode, physician)      referred (or deferred) → consulted
    to_eligible(episode, physician)       → eligible   (consults first when needed)
    to_consented(episode, physician)      → consented  (and every step before it that is missing)
    to_prepared(episode, physician, nurse) → prepared  (the nurse completes the day-of checklist)

Each returns the episode reloaded from the database. The data are those of an unremarkable candidate: a
thumb-base osteoarthritis staged on X-ray, no flagged medicine, no recent steroid injection.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.test import Client

from handregen.accounts.actor import Actor
from handregen.consent.models import DEFAULT_MEANING
from handregen.consent.selectors import required_document_version
from handregen.consent.services import consent_record
from handregen.evaluation.services import candidacy_decide, consultation_record
from handregen.pathway.models import Episode
from handregen.preparation.services import preparation_complete
from tests.conftest import PASSWORD, signing

# Answers for every criterion of the shipped protocol that a plain candidate gives.
ELIGIBLE_ANSWERS: dict[str, bool] = {
    "adult": True,
    "symptomatic_radiographic_oa": True,
    "failed_conservative_care": True,
    "active_infection": False,
    "active_malignancy": False,
    "pregnancy": False,
    "systemic_inflammatory_flare": False,
    "anticoagulants": False,
    "antiplatelets": False,
    "recent_corticosteroid_injection": False,
    "systemic_immunomodulators": False,
    "post_traumatic_arthritis": False,
    "heavy_smoking": False,
}
DISCUSSED_ALL = {"risks": True, "benefits": True, "alternatives": True, "expectations": True}
# Request bodies for the API (DESIGN.md §9) that a plain candidate's clinic would send.
CONSENT_BODY = {
    "document_version": "2026.1",
    "discussed": DISCUSSED_ALL,
    "signer_name": "Rose Tyler",
    "signature_meaning": "consent to harvest and injection",
    "password": PASSWORD,  # the physician witnesses with their own signature (API users have no authenticator)
}
CHECKLIST_ALL = {
    "fasting_confirmed": True,
    "medication_holds_confirmed": True,
    "consent_valid": True,
    "no_new_exclusion": True,
}


def criteria_body(**overrides: bool) -> dict[str, bool]:
    """Every criterion of the shipped protocol answered for a plain candidate, as an API client sends them."""
    return ELIGIBLE_ANSWERS | overrides


def consultation_data(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for `consultation_record` of a plain candidate (override any of them)."""
    today = date.today()
    return {
        "complaint": "Pain at the base of the thumb when gripping and opening jars",
        "symptoms": ["pain", "weakness"],
        "symptom_duration_months": 18,
        "prior_treatments": [
            {"kind": "splint", "date": (today - timedelta(days=400)).isoformat()},
            {"kind": "nsaids"},
            {"kind": "hand_therapy"},
        ],
        "medications": [{"name": "paracetamol", "drug_class": "analgesic", "dose": "1 g as needed"}],
        "comorbidities": ["hypertension"],
        "examination": {"tenderness": True, "grind_test": "positive", "findings": "Tender CMC1, positive grind"},
        "nrs_pain_rest": 4,
        "nrs_pain_load": 7,
        "grip_kg_affected": 18.5,
        "grip_kg_other": 26.0,
        "imaging": [
            {
                "modality": "xray",
                "date": (today - timedelta(days=30)).isoformat(),
                "joint": "CMC1",
                "findings": "Joint-space narrowing, osteophytes under 2 mm",
                "kl_grade": 2,
                "eaton_littler_stage": "II",
            }
        ],
    } | overrides


def _fresh(episode: Episode) -> Episode:
    return Episode.objects.select_related("protocol", "patient").get(pk=episode.pk)


def to_consulted(episode: Episode, physician: Actor, **overrides: Any) -> Episode:
    consultation_record(actor=physician, episode=episode, **consultation_data(**overrides))
    return _fresh(episode)


def to_eligible(episode: Episode, physician: Actor) -> Episode:
    episode = _fresh(episode)
    if episode.stage == "referred":
        episode = to_consulted(episode, physician)
    criteria = {c.code: c.kind == "inclusion" for c in episode.protocol.definition.criteria}
    candidacy_decide(
        actor=physician,
        episode=episode,
        criteria=criteria,
        decision="eligible",
        rationale="Meets the protocol; no exclusion or flag.",
        **signing(physician),
    )
    return _fresh(episode)


def to_consented(episode: Episode, physician: Actor) -> Episode:
    episode = _fresh(episode)
    if episode.stage in ("referred", "consulted", "deferred"):
        episode = to_eligible(episode, physician)
    consent_record(
        actor=physician,
        episode=episode,
        document_version=required_document_version(episode=episode),
        discussed=DISCUSSED_ALL,
        signer_name=episode.patient.display_name,
        signature_meaning=DEFAULT_MEANING,
        **signing(physician),
    )
    return _fresh(episode)


def to_prepared(episode: Episode, physician: Actor, nurse: Actor) -> Episode:
    episode = _fresh(episode)
    if episode.stage in ("referred", "consulted", "deferred", "eligible"):
        episode = to_consented(episode, physician)
    preparation_complete(
        actor=nurse,
        episode=episode,
        checklist={code: True for code, _ in episode.protocol.definition.checklist},
    )
    return _fresh(episode)


def staff_client(persona: Any, role: str = "physician", site_code: str = "demo") -> Client:
    """A web client signed in as the persona of `role` at `site_code` (pass the `persona` fixture)."""
    from tests.conftest import verified_client

    return verified_client(persona(role, site_code))
