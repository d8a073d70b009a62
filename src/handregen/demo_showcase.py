"""Demo patients carried along the pathway by the real services, so each worklist has someone on it.

Runs on the demo site's own patients (DEMO-xxxx) that are still at `referred`; safe to rerun.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.aftercare.services import post_care_record
from handregen.cellproducts.models import CellProduct
from handregen.cellproducts.services import processing_record, product_release
from handregen.consent.models import DEFAULT_MEANING
from handregen.consent.selectors import required_document_version
from handregen.consent.services import consent_record
from handregen.evaluation.services import candidacy_decide, consultation_record
from handregen.pathway.models import Episode
from handregen.preparation.services import preparation_complete
from handregen.procedures.services import harvest_record, injection_record

# MRN -> how far the showcase takes the episode.
SHOWCASE = {
    "DEMO-0001": "follow_up",
    "DEMO-0002": "released",
    "DEMO-0003": "consulted",
    "DEMO-0005": "eligible",
    "DEMO-0006": "prepared",
    "DEMO-0007": "harvested",
    "DEMO-0008": "consented",
}
ORDER = ["consulted", "eligible", "consented", "prepared", "harvested", "released", "injected", "follow_up"]


def _consultation(episode: Episode) -> dict[str, Any]:
    today = date.today()
    thumb = episode.indication == "thumb_cmc_oa"
    return {
        "complaint": "Pain in the treated joint when gripping and opening jars",
        "symptoms": ["pain", "stiffness"],
        "symptom_duration_months": 14,
        "prior_treatments": [
            {"kind": "splint", "date": (today - timedelta(days=300)).isoformat()},
            {"kind": "hand_therapy"},
        ],
        "medications": [{"name": "paracetamol", "drug_class": "analgesic", "dose": "1 g as needed"}],
        "comorbidities": [],
        "examination": {"tenderness": True, "grind_test": "positive" if thumb else "not_done"},
        "nrs_pain_rest": 4,
        "nrs_pain_load": 7,
        "grip_kg_affected": 17.5,
        "grip_kg_other": 24.0,
        "imaging": [
            {
                "modality": "xray",
                "date": (today - timedelta(days=20)).isoformat(),
                "joint": episode.target_joints[0],
                "findings": "Narrowing and small osteophytes",
                "kl_grade": 2,
                **({"eaton_littler_stage": "II"} if thumb else {}),
            }
        ],
    }


def _fresh(episode: Episode) -> Episode:
    return Episode.objects.select_related("protocol", "patient").get(pk=episode.pk)


def advance(episode: Episode, target: str, *, physician: Actor, nurse: Actor, labtech: Actor, password: str) -> None:
    """Carry `episode` from `referred` to `target` through each step's service."""
    steps = ORDER[: ORDER.index(target) + 1]
    if "consulted" in steps:
        consultation_record(actor=physician, episode=episode, **_consultation(episode))
    if "eligible" in steps:
        episode = _fresh(episode)
        candidacy_decide(
            actor=physician,
            episode=episode,
            decision="eligible",
            rationale="Meets the protocol.",
            criteria={c.code: c.kind == "inclusion" for c in episode.protocol.definition.criteria},
            password=password,
        )
    if "consented" in steps:
        episode = _fresh(episode)
        consent_record(
            actor=physician,
            episode=episode,
            document_version=required_document_version(episode=episode),
            discussed={"risks": True, "benefits": True, "alternatives": True, "expectations": True},
            signer_name=episode.patient.display_name,
            signature_meaning=DEFAULT_MEANING,
            password=password,
        )
    if "prepared" in steps:
        episode = _fresh(episode)
        preparation_complete(
            actor=nurse, episode=episode, checklist={code: True for code, _ in episode.protocol.definition.checklist}
        )
    if "harvested" in steps:
        harvest_record(
            actor=physician,
            episode=_fresh(episode),
            source="adipose",
            origin="autologous",
            volume_ml=40,
            harvest_site="abdomen",
        )
    product = CellProduct.objects.filter(episode=episode).order_by("-created_at").first()
    if "released" in steps and product is not None:
        processing_record(
            actor=labtech,
            product=product,
            method="washed_lipoaspirate",
            output_volume_ml=2.0,
            total_nucleated_cells=12_000_000,
            viability_percent=84,
            device="Demo concentrator",
            sterility_sample_taken=True,
            sterility_sample_id="ST-DEMO",
        )
        product_release(
            actor=labtech,
            product=product,
            verifier_username=physician.user.username,
            verifier_password=password,
            password=password,
        )
    if "injected" in steps and product is not None:
        episode = _fresh(episode)
        injection_record(
            actor=physician,
            episode=episode,
            product_code=product.code,
            wristband_code=episode.patient.wristband_code,
            joint=episode.target_joints[0],
            side=episode.side,
            guidance="ultrasound",
            anaesthetic="lidocaine 1 % 1 mL",
            volume_ml=2.0,
        )
    if "follow_up" in steps:
        now = timezone.now()
        observation = {
            "at": now,
            "pain_nrs": 3,
            "heart_rate": 70,
            "systolic_bp": 126,
            "diastolic_bp": 78,
            "injection_site": "normal",
            "harvest_site": "normal",
        }
        post_care_record(
            actor=nurse,
            episode=_fresh(episode),
            monitoring=[observation],
            discharged_at=now + timedelta(minutes=1),
            instructions_given=True,
        )


def build_showcase(*, site: Any, physician: Actor, nurse: Actor, labtech: Actor, password: str) -> int:
    """Advance the demo site's showcase patients still at `referred`; return how many moved."""
    moved = 0
    for mrn, target in SHOWCASE.items():
        episode = Episode.objects.filter(site=site, patient__mrn=mrn, stage="referred").first()
        if episode is not None:
            advance(episode, target, physician=physician, nurse=nurse, labtech=labtech, password=password)
            moved += 1
    return moved
