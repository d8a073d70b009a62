"""Questionnaire resources generated from the instruments' data files (`outcomes/instruments/*.json`).

One Questionnaire per instrument, versioned by the file's `version` (canonical `<url>|<version>`, the value of
every QuestionnaireResponse.questionnaire). Where the licence keeps the official wording out
(`licence.wording_shipped` false: QuickDASH, PRWE, MHQ, FIHOA) each item's text is handregen's own topic label,
said so in the description; the shipped wording is used only where the file holds it (NRS, PGIC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from handregen.interop.fhir.builders import meta, validated
from handregen.interop.fhir.codes import QUESTIONNAIRE_BASE
from handregen.outcomes.instruments import Instrument, all_instruments

MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
OWN_WORDS = (
    "Item texts are handregen's own short topic labels, not the instrument's official wording, which is licensed "
    "and not shipped. "
)


def canonical(instrument: Instrument) -> str:
    return f"{QUESTIONNAIRE_BASE}/{instrument.code}|{instrument.version}"


def _file_time(code: str) -> datetime:
    """When the instrument's data file was last changed: the Questionnaire's `lastUpdated`."""
    path = resources.files("handregen.outcomes.instruments").joinpath(f"{code}.json")
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)  # type: ignore[attr-defined]


def _item(instrument: Instrument, item_id: str, topic: str) -> dict[str, Any]:
    response = instrument.response
    single_question = instrument.question if len(instrument.items) == 1 else None
    item: dict[str, Any] = {"linkId": item_id, "text": single_question or topic, "required": False}
    if instrument.options:
        item["type"] = "choice"
        item["answerOption"] = [{"valueCoding": {"code": str(o.value), "display": o.label}} for o in instrument.options]
        return item
    kind = "integer" if response.integer else "decimal"
    item["type"] = kind
    bound = (lambda v: {"valueInteger": int(v)}) if response.integer else (lambda v: {"valueDecimal": v})
    item["extension"] = [{"url": MIN_VALUE, **bound(response.min)}, {"url": MAX_VALUE, **bound(response.max)}]
    if response.unit:
        item["extension"].append(
            {"url": UNIT, "valueCoding": {"system": "http://unitsofmeasure.org", "code": response.unit}}
        )
    return item


def questionnaire_resource(instrument: Instrument) -> dict[str, Any]:
    licensed = not instrument.licence.wording_shipped
    return validated(
        Questionnaire,
        {
            "resourceType": "Questionnaire",
            "id": instrument.code.replace("_", "-"),
            "meta": meta(instrument.version, _file_time(instrument.code)),
            "url": f"{QUESTIONNAIRE_BASE}/{instrument.code}",
            "version": str(instrument.version),
            "name": re.sub(r"[^A-Za-z0-9]", "", instrument.code.title()),
            "title": instrument.name,
            "status": "active",
            "subjectType": ["Patient"],
            "publisher": "handregen",
            "description": (OWN_WORDS if licensed else "") + f"Source: {instrument.source}",
            "copyright": instrument.licence.note,
            "item": [_item(instrument, item.id, item.topic) for item in instrument.items],
        },
    )


@cache
def questionnaires() -> tuple[dict[str, Any], ...]:
    """Every instrument's Questionnaire, in code order (the files do not change while the server runs)."""
    return tuple(questionnaire_resource(i) for i in all_instruments())
