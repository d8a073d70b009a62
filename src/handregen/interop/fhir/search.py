"""A FHIR search request as a plan (which resources match, in what order, which page), and the matching itself,
on built resources (no Django): parameters from `search_params.SEARCH_PARAMS`, values from `search_values`.

Repeated parameters are ANDed, comma-separated values ORed. Parameters the server does not handle (or a
modifier it does not know) are refused under `Prefer: handling=strict` and otherwise ignored and named in the
result (lenient, the default).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handregen.interop.fhir.search_params import (
    DATE,
    INCLUDES,
    MODIFIERS,
    REFERENCE,
    RESULT_PARAMS,
    SEARCH_PARAMS,
    SORTABLE,
    STRING,
    TOKEN,
    URI,
    SearchParam,
)
from handregen.interop.fhir.search_values import (
    CanonicalValue,
    DateValue,
    ReferenceValue,
    SearchValueError,
    StringValue,
    TokenValue,
    split_or,
    tokens,
    value_range,
)

DEFAULT_COUNT = 50
MAX_COUNT = 1000
FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


class SearchRefused(ValueError):
    """A search the server will not run: a 400 OperationOutcome with this text."""


@dataclass(frozen=True)
class Criterion:
    """One occurrence of a parameter: any of its values matches (OR)."""

    param: SearchParam
    values: tuple[Any, ...]

    def matches(self, resource: dict[str, Any]) -> bool:
        found = self.param.values(resource)
        return any(_matches(self.param, value, found) for value in self.values)


@dataclass
class SearchPlan:
    resource_type: str
    criteria: list[Criterion] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (date parameter, descending)
    include: list[tuple[str, str]] = field(default_factory=list)  # (source type, reference parameter)
    revinclude: list[tuple[str, str]] = field(default_factory=list)
    summary_count: bool = False
    total: bool = True
    ignored: list[str] = field(default_factory=list)  # parameters left out under lenient handling

    def matches(self, resource: dict[str, Any]) -> bool:
        return all(c.matches(resource) for c in self.criteria)

    def values_of(self, name: str) -> list[Any]:
        """The parsed values of every criterion on parameter `name` (e.g. to narrow the patients read)."""
        return [v for c in self.criteria if c.param.name == name for v in c.values]

    def sorted(self, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        params = SEARCH_PARAMS[self.resource_type]
        for name, descending in reversed(self.sort):
            param = params[name]
            dated = [(r, _first_date(param, r)) for r in resources]
            present = [(r, when) for r, when in dated if when is not None]
            present.sort(key=lambda x: x[1], reverse=descending)  # stable: earlier keys keep their order
            resources = [r for r, _ in present] + [r for r, when in dated if when is None]
        return resources


def plan_search(resource_type: str, query: Sequence[tuple[str, str]], *, strict: bool = False) -> SearchPlan:
    """The plan of `<resource_type>?<query>` (pairs in request order); SearchRefused for what cannot be run."""
    params = SEARCH_PARAMS[resource_type]
    plan = SearchPlan(resource_type)
    for key, raw in query:
        name, _, modifier = key.partition(":")
        if key in RESULT_PARAMS:
            _result_param(plan, key, raw, strict)
            continue
        param = params.get(name)
        if param is None or (modifier and modifier not in MODIFIERS.get(param.type, frozenset())):
            _unknown(plan, key, strict)
            continue
        try:
            values = tuple(_parse(param, modifier, text) for text in split_or(raw))
        except SearchValueError as exc:
            raise SearchRefused(f"{key}: {exc}") from exc
        plan.criteria.append(Criterion(param, values))
    return plan


def _unknown(plan: SearchPlan, key: str, strict: bool) -> None:
    if strict:
        raise SearchRefused(f"{key} is not a search parameter of {plan.resource_type} here (Prefer: handling=strict)")
    plan.ignored.append(key)


def _result_param(plan: SearchPlan, key: str, raw: str, strict: bool) -> None:
    if key in ("_count", "_offset"):
        try:
            number = int(raw)
        except ValueError as exc:
            raise SearchRefused(f"{key} must be a whole number") from exc
        if number < 0:
            raise SearchRefused(f"{key} must not be negative")
        if key == "_count":
            plan.count = min(number, MAX_COUNT)
        else:
            plan.offset = number
    elif key == "_sort":
        for name in (n.strip() for n in raw.split(",") if n.strip()):
            if name.lstrip("-") not in SORTABLE[plan.resource_type]:
                _unknown(plan, f"_sort={name}", strict)
            else:
                plan.sort.append((name.lstrip("-"), name.startswith("-")))
    elif key in ("_include", "_revinclude"):
        source, _, name = raw.partition(":")
        pair = (source, name.partition(":")[0])
        fits = pair in INCLUDES and (
            source == plan.resource_type if key == "_include" else INCLUDES[pair] == plan.resource_type
        )
        if not fits:
            _unknown(plan, f"{key}={raw}", strict)
        else:
            (plan.include if key == "_include" else plan.revinclude).append(pair)
    elif key == "_summary":
        if raw == "count":
            plan.summary_count = True
        elif raw != "false":
            _unknown(plan, f"_summary={raw}", strict)
    elif key == "_total":
        plan.total = raw != "none"
    elif key == "_format" and raw not in FORMATS:
        raise SearchRefused(f"_format={raw}: this server answers JSON only")


def _parse(param: SearchParam, modifier: str, text: str) -> Any:
    if param.type == TOKEN:
        return TokenValue.parse(text)
    if param.type == DATE:
        return DateValue.parse(text)
    if param.type == STRING:
        if not text:
            raise SearchValueError("an empty string matches nothing")
        return StringValue(text, modifier)
    if param.type == REFERENCE:
        if param.target == "Questionnaire":
            return CanonicalValue.parse(text)
        return ReferenceValue.parse(text, param.target)
    if param.type == URI:
        return text
    raise SearchValueError(f"{param.type} parameters are not handled")  # pragma: no cover - registry is closed


def _matches(param: SearchParam, value: Any, found: Iterable[Any]) -> bool:
    if param.type == TOKEN:
        return any(value.matches(t) for t in tokens(list(found)))
    if param.type == DATE:
        ranges = (value_range(f) for f in found)
        return any(value.matches(r) for r in ranges if r is not None)
    if param.type == STRING:
        return any(isinstance(f, str) and value.matches(f) for f in found)
    if param.type == REFERENCE:
        if isinstance(value, CanonicalValue):
            return any(isinstance(f, str) and value.matches(f) for f in found)
        return any(isinstance(f, dict) and value.matches(f.get("reference", "")) for f in found)
    return any(f == value for f in found)


def _first_date(param: SearchParam, resource: dict[str, Any]) -> datetime | None:
    for value in param.values(resource):
        found = value_range(value)
        if found is not None:
            return found[0]
    return None


def referenced_ids(resources: Iterable[dict[str, Any]], pairs: Iterable[tuple[str, str]], target: str) -> set[str]:
    """Ids of `target` resources that `resources` refer to through the (type, parameter) pairs."""
    found: set[str] = set()
    for source, name in pairs:
        param = SEARCH_PARAMS[source][name]
        for resource in resources:
            if resource["resourceType"] != source:
                continue
            for reference in param.values(resource):
                kind, _, ident = str(reference.get("reference", "")).rpartition("/")
                if kind.rsplit("/", 1)[-1] == target and ident:
                    found.add(ident)
    return found
