"""Export tables of the foundation records: patients and episodes."""

from __future__ import annotations

from typing import Any

from handregen.accounts.actor import Actor
from handregen.interop.tables import TABLES, Column, Table
from handregen.pathway.models import INDICATIONS, Episode
from handregen.pathway.stages import Stage
from handregen.patients.models import HAND_CHOICES, SEX_CHOICES, Patient


def _patient_rows(actor: Actor) -> Any:
    return (
        Patient.objects.filter(site=actor.site)
        .order_by("created_at")
        .values_list(
            "id",
            "mrn",
            "given_name",
            "family_name",
            "birth_date",
            "sex",
            "dominant_hand",
            "occupation",
            "postal_code",
            "is_synthetic",
        )
        .iterator(chunk_size=5000)
    )


def _episode_rows(actor: Actor) -> Any:
    return (
        Episode.objects.filter(site=actor.site)
        .order_by("created_at")
        .values_list(
            "id",
            "patient_id",
            "indication",
            "side",
            "target_joints",
            "stage",
            "cycle",
            "protocol__code",
            "protocol__version",
            "created_at",
        )
        .iterator(chunk_size=5000)
    )


PATIENTS = TABLES.add(
    Table(
        "patients",
        "One row per patient of the site.",
        (
            Column("patient_id", "Patient id (same as the API and FHIR)", "uuid", deid="study_code"),
            Column("mrn", "Medical record number", "string", deid="drop"),
            Column("given_name", "Given name", "string", deid="drop"),
            Column("family_name", "Family name", "string", deid="drop"),
            Column("birth_date", "Date of birth", "date", deid="age"),
            Column("sex", "Sex", "string", allowed="|".join(v for v, _ in SEX_CHOICES)),
            Column("dominant_hand", "Dominant hand", "string", allowed="|".join(v for v, _ in HAND_CHOICES)),
            Column("occupation", "Occupation", "string", deid="drop"),
            Column("postal_code", "Postal code", "string", deid="zip3"),
            Column("is_synthetic", "Synthetic (made-up) record", "boolean"),
        ),
        _patient_rows,
    )
)

EPISODES = TABLES.add(
    Table(
        "episodes",
        "One row per episode (patient, indication, side, protocol version).",
        (
            Column("episode_id", "Episode id", "uuid", deid="study_code"),
            Column("patient_id", "Patient id", "uuid", deid="study_code"),
            Column("indication", "Indication", "string", allowed="|".join(v for v, _ in INDICATIONS)),
            Column("side", "Side", "string", allowed="left|right"),
            Column("target_joints", "Target joints", "string", allowed="e.g. CMC1, PIP3"),
            Column("stage", "Pathway stage now", "string", allowed="|".join(s.value for s in Stage)),
            Column("cycle", "Treatment cycle", "integer"),
            Column("protocol", "Protocol code", "string"),
            Column("protocol_version", "Protocol version", "string"),
            Column("opened_at", "Episode opened", "datetime", deid="year"),
        ),
        _episode_rows,
    )
)
