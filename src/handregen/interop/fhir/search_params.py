"""The search parameters handregen serves, per resource type: one registry read by the search code and by the
CapabilityStatement, so the statement declares exactly what is handled (a test checks both ways).

Each parameter says where its values sit in a built resource; matching is done on the built resources (see
`search`), so a parameter behaves the same whatever record the resource comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TOKEN, DATE, STRING, REFERENCE, URI = "token", "date", "string", "reference", "uri"


def at(resource: Any, path: str) -> list[Any]:
    """The values at a dotted path, lists flattened (`name.given` -> every given name of every name)."""
    values = [resource]
    for step in path.split("."):
        found: list[Any] = []
        for value in values:
            item = value.get(step) if isinstance(value, dict) else None
            if isinstance(item, list):
                found.extend(item)
            elif item is not None:
                found.append(item)
        values = found
    return values


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str
    paths: tuple[str, ...]  # where the values sit in the resource
    documentation: str
    target: str | None = None  # the resource type a reference parameter points to
    definition: str | None = None  # the HL7 SearchParameter, where one is defined for this type

    def values(self, resource: dict[str, Any]) -> list[Any]:
        found: list[Any] = []
        for path in self.paths:
            found.extend(at(resource, path))
        return found


def _hl7(resource_type: str, name: str) -> str:
    return f"http://hl7.org/fhir/SearchParameter/{resource_type}-{name}"


def _p(
    resource_type: str, name: str, kind: str, *paths: str, doc: str, target: str | None = None, hl7: str | None = None
) -> SearchParam:
    return SearchParam(name, kind, paths, doc, target, _hl7(hl7 or resource_type, name.lstrip("_")))


COMMON = (
    SearchParam("_id", TOKEN, ("id",), "The logical id.", None, "http://hl7.org/fhir/SearchParameter/Resource-id"),
    SearchParam(
        "_lastUpdated",
        DATE,
        ("meta.lastUpdated",),
        "When the record was last written (from the audit trail).",
        None,
        "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
    ),
)


def _subject(t: str, *, patient: bool = True, subject: bool = True, path: str = "subject") -> tuple[SearchParam, ...]:
    found = []
    if patient:
        found.append(
            _p(
                t,
                "patient",
                REFERENCE,
                path,
                doc="The patient (Patient/id or id).",
                target="Patient",
                hl7="clinical" if t != "QuestionnaireResponse" else t,
            )
        )
    if subject:
        found.append(_p(t, "subject", REFERENCE, path, doc="The subject (Patient/id).", target="Patient"))
    return tuple(found)


def _with_common(*params: SearchParam) -> dict[str, SearchParam]:
    return {p.name: p for p in (*COMMON, *params)}


T = "Patient"
OBS, Q, P = "Observation", "QuestionnaireResponse", "Procedure"
SEARCH_PARAMS: dict[str, dict[str, SearchParam]] = {
    "Patient": _with_common(
        _p(T, "identifier", TOKEN, "identifier", doc="MRN or wristband code; `system|value` honours the system."),
        _p(T, "name", STRING, "name.family", "name.given", doc="Starts any family or given name."),
        _p(T, "family", STRING, "name.family", doc="Starts the family name.", hl7="individual"),
        _p(T, "given", STRING, "name.given", doc="Starts a given name.", hl7="individual"),
        _p(T, "birthdate", DATE, "birthDate", doc="Date of birth.", hl7="individual"),
        _p(T, "gender", TOKEN, "gender", doc="Administrative gender.", hl7="individual"),
    ),
    "Condition": _with_common(
        *_subject("Condition"),
        _p("Condition", "code", TOKEN, "code", doc="ICD-10 or handregen indication code.", hl7="clinical"),
        _p("Condition", "category", TOKEN, "category", doc="Always problem-list-item."),
        _p("Condition", "recorded-date", DATE, "recordedDate", doc="When the episode was opened."),
    ),
    "Encounter": _with_common(
        *_subject("Encounter"),
        _p("Encounter", "date", DATE, "period", doc="The consultation day.", hl7="clinical"),
        _p("Encounter", "status", TOKEN, "status", doc="Always finished."),
    ),
    P: _with_common(
        *_subject(P),
        _p(P, "code", TOKEN, "code", doc="Harvest or injection code.", hl7="clinical"),
        _p(P, "date", DATE, "performedDateTime", "performedPeriod", doc="When it was performed.", hl7="clinical"),
        _p(P, "status", TOKEN, "status", doc="Always completed."),
    ),
    # R4 defines no search parameter on BiologicallyDerivedProduct: `patient` here is handregen's own.
    "BiologicallyDerivedProduct": _with_common(
        SearchParam(
            "patient",
            REFERENCE,
            ("collection.source",),
            "The patient the cells were collected from (handregen's own parameter: R4 defines none on this type).",
            "Patient",
        ),
    ),
    OBS: _with_common(
        *_subject(OBS),
        _p(
            OBS, "code", TOKEN, "code", doc="LOINC (NRS pain: 72514-3) or handregen score/staging code.", hl7="clinical"
        ),
        _p(OBS, "category", TOKEN, "category", doc="survey or imaging."),
        _p(OBS, "status", TOKEN, "status", doc="Always final."),
        _p(OBS, "date", DATE, "effectiveDateTime", doc="When it was measured or answered.", hl7="clinical"),
    ),
    Q: _with_common(
        *_subject(Q),
        _p(Q, "authored", DATE, "authored", doc="When the answers were given."),
        _p(Q, "status", TOKEN, "status", doc="Always completed."),
        _p(
            Q,
            "questionnaire",
            REFERENCE,
            "questionnaire",
            doc="The Questionnaire's canonical URL[|version].",
            target="Questionnaire",
        ),
    ),
    "AdverseEvent": _with_common(
        *_subject("AdverseEvent", patient=False),
        _p("AdverseEvent", "date", DATE, "date", doc="Onset date."),
        _p("AdverseEvent", "seriousness", TOKEN, "seriousness", doc="Serious or Non-serious (HL7)."),
        _p("AdverseEvent", "severity", TOKEN, "severity", doc="mild, moderate or severe (from the CTCAE grade)."),
        _p("AdverseEvent", "event", TOKEN, "event", doc="The handregen adverse event term."),
    ),
    "Consent": _with_common(
        *_subject("Consent", subject=False, path="patient"),
        _p("Consent", "status", TOKEN, "status", doc="active or inactive."),
        _p("Consent", "date", DATE, "dateTime", doc="When consent was recorded.", hl7="clinical"),
    ),
    "CarePlan": _with_common(
        *_subject("CarePlan"),
        _p("CarePlan", "status", TOKEN, "status", doc="Always active."),
    ),
    "Questionnaire": _with_common(
        _p("Questionnaire", "url", URI, "url", doc="The canonical URL."),
        _p("Questionnaire", "version", TOKEN, "version", doc="The instrument's version."),
        _p("Questionnaire", "name", STRING, "name", doc="The computable name."),
        _p("Questionnaire", "status", TOKEN, "status", doc="Always active."),
    ),
}

# `_include` / `_revinclude` pairs: (source type, reference parameter) -> target type.
INCLUDES: dict[tuple[str, str], str] = {(t, name): "Patient" for t in (OBS, Q, P) for name in ("patient", "subject")}
# `_sort` keys: the date parameters of each type (`-` before one sorts newest first).
SORTABLE: dict[str, tuple[str, ...]] = {
    t: tuple(name for name, p in params.items() if p.type == DATE) for t, params in SEARCH_PARAMS.items()
}
# Parameters that shape the result rather than filter it.
RESULT_PARAMS = frozenset({"_count", "_offset", "_sort", "_include", "_revinclude", "_summary", "_total", "_format"})
# Modifiers handled per parameter type (any other is an unknown parameter).
MODIFIERS: dict[str, frozenset[str]] = {STRING: frozenset({"exact", "contains"})}

Extractor = Callable[[dict[str, Any]], list[Any]]
