"""A protocol as a typed, validated value (pure: no Django). Protocols are data files, never `if` chains."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

CRITERION_KINDS = ("inclusion", "hard_exclusion", "soft_flag")
# The most injected into one joint (mL) when a protocol names no limit. Clinic parameters, not published rules:
# published series inject 1-2.5 mL at the thumb base and up to 4 mL into the wrist; the small finger joints
# hold about 1 mL.
DEFAULT_MAX_INJECTION_ML: dict[str, float] = {
    "RADIOCARPAL": 4.0,
    "CMC1": 2.5,
    "STT": 2.5,
    "MCP": 2.0,
    "PIP": 1.5,
    "DIP": 1.0,
    "IP": 1.0,
    "default": 2.0,
}


class ProtocolError(ValueError):
    """A protocol file that does not follow the schema."""


@dataclass(frozen=True)
class Criterion:
    code: str
    kind: str
    label: str
    source: str = ""
    confirmed: bool = False
    window_days: int | None = None
    derived_from: str | None = None


@dataclass(frozen=True)
class ReleaseCriterion:
    code: str
    measure: str
    label: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    equals: Any = None
    source: str = ""
    confirmed: bool = False


@dataclass(frozen=True)
class FollowUpPoint:
    code: str
    label: str
    days: int
    window_before: int
    window_after: int
    instruments: tuple[str, ...]


@dataclass(frozen=True)
class Protocol:
    code: str
    version: str
    title: str
    indications: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    checklist: tuple[tuple[str, str], ...]
    consent_document_version: str
    release_criteria: tuple[ReleaseCriterion, ...]
    follow_up: tuple[FollowUpPoint, ...]
    expiry_hours_after_harvest: float
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def hard_exclusions(self) -> list[str]:
        return [c.code for c in self.criteria if c.kind == "hard_exclusion"]

    @property
    def soft_flags(self) -> list[str]:
        return [c.code for c in self.criteria if c.kind == "soft_flag"]

    @property
    def inclusions(self) -> list[str]:
        return [c.code for c in self.criteria if c.kind == "inclusion"]

    def criterion(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)

    def max_injection_ml(self, joint: str) -> float:
        """The most that may be injected into one `joint` (mL): the protocol's `product.max_injection_ml`
        for the joint or its family (e.g. "PIP"), else the shipped clinic parameter."""
        limits = {**DEFAULT_MAX_INJECTION_ML, **(self.raw.get("product", {}).get("max_injection_ml") or {})}
        family = joint.rstrip("0123456789")
        return float(limits.get(joint, limits.get(family, limits["default"])))


def _need(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ProtocolError(f"{where}: '{key}' is missing")
    return data[key]


def parse_protocol(data: dict[str, Any]) -> Protocol:
    """Validate a protocol document and return it typed; raise ProtocolError naming the first problem."""
    code = _need(data, "code", "protocol")
    where = f"protocol {code}"
    criteria = []
    for item in _need(_need(data, "eligibility", where), "criteria", where):
        if item.get("kind") not in CRITERION_KINDS:
            raise ProtocolError(f"{where}: criterion {item.get('code')} has unknown kind {item.get('kind')!r}")
        criteria.append(Criterion(**{k: item[k] for k in item if k in Criterion.__dataclass_fields__}))
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        raise ProtocolError(f"{where}: criterion codes repeat")
    preparation = _need(data, "preparation", where)
    checklist = tuple((i["code"], i["label"]) for i in _need(preparation, "checklist", where))
    release = []
    for item in _need(data, "release_criteria", where):
        release.append(ReleaseCriterion(**{k: item[k] for k in item if k in ReleaseCriterion.__dataclass_fields__}))
    points = []
    for item in _need(data, "follow_up", where):
        points.append(
            FollowUpPoint(
                item["code"],
                item["label"],
                int(item["days"]),
                int(item["window_before"]),
                int(item["window_after"]),
                tuple(item["instruments"]),
            )
        )
    if [p.days for p in points] != sorted(p.days for p in points):
        raise ProtocolError(f"{where}: follow-up time points must be in order of days")
    return Protocol(
        code=code,
        version=str(_need(data, "version", where)),
        title=_need(data, "title", where),
        indications=tuple(_need(data, "indications", where)),
        criteria=tuple(criteria),
        checklist=checklist,
        consent_document_version=str(_need(data, "consent_document_version", where)),
        release_criteria=tuple(release),
        follow_up=tuple(points),
        expiry_hours_after_harvest=float(_need(_need(data, "product", where), "expiry_hours_after_harvest", where)),
        raw=data,
    )


def shipped_protocol_documents() -> list[dict[str, Any]]:
    """Every protocol file shipped in the package, parsed as JSON."""
    folder = resources.files("handregen.pathway") / "protocols"
    docs = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            docs.append(json.loads(entry.read_text(encoding="utf-8")))
    return docs
