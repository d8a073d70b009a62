"""Outcome instruments as data: one JSON file per instrument in this folder.

Each file holds structure only - item ids, a short topic label per item in handregen's own words, the
response range, direction, scoring rule id, subscales and a licence note. The official wording of licensed
questionnaires (QuickDASH, PRWE, MHQ, FIHOA) is never shipped; a clinic holding a licence loads it with
`load_wording` (clinical-facts, "Decisions taken" and §1.10). No Django import here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

HANDS = ("right", "left")


@dataclass(frozen=True)
class ResponseRange:
    """The values an item accepts; anything else is treated as missing, never clipped."""

    min: float
    max: float
    integer: bool
    unit: str | None = None

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        kind = "whole numbers " if self.integer else ""
        return f"{kind}{self.min:g} to {self.max:g}{unit}"


@dataclass(frozen=True)
class ScoreRange:
    """Bounds of a score; None means unbounded on that side (e.g. a z-score)."""

    min: float | None
    max: float | None

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class Item:
    id: str
    topic: str
    hand: str | None = None  # MHQ: "right" / "left" for per-hand items, None for items asked once
    reversed: bool = False  # MHQ: answer flipped (6 - x) before scoring
    scale: str | None = None  # the named answer scale of the instrument this item uses
    text: str | None = None  # the item as a patient reads it, in our own words, where the topic is not enough


@dataclass(frozen=True)
class Subscale:
    code: str
    name: str
    items: tuple[str, ...]
    higher_is_worse: bool
    score_range: ScoreRange


@dataclass(frozen=True)
class ResponseOption:
    value: int
    label: str


@dataclass(frozen=True)
class Scale:
    """The answers an item offers, one plain-words label per value, and the question they answer (our wording)."""

    prompt: str
    labels: tuple[ResponseOption, ...]


@dataclass(frozen=True)
class Licence:
    wording_shipped: bool
    note: str


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    version: int
    scoring_rule: str
    higher_is_worse: bool
    score_range: ScoreRange
    response: ResponseRange
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    licence: Licence
    source: str
    question: str | None = None  # only where the wording may be shipped (NRS, PGIC)
    options: tuple[ResponseOption, ...] = ()
    label_set: str | None = None
    title: str = ""  # a plain heading for patients; `name` is the clinical name
    scales: Mapping[str, Scale] = field(default_factory=dict)
    missing_allowed: bool = False  # the scoring rule tolerates unanswered items: patients may skip one

    def options_for(self, item: Item) -> tuple[ResponseOption, ...]:
        """The labelled answers of `item`: its scale's, else the instrument's options; () for measured values."""
        if item.scale is not None:
            return self.scales[item.scale].labels
        return self.options

    def prompt_for(self, item: Item) -> str | None:
        """The question an item's answers reply to (our wording), or the instrument's question."""
        if item.scale is not None:
            return self.scales[item.scale].prompt
        return self.question

    @property
    def scoring_version(self) -> str:
        """Stored with every score, e.g. "quickdash-1"; bump `version` in the JSON when the rule changes."""
        return f"{self.code}-{self.version}"

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def subscale(self, code: str) -> Subscale:
        for subscale in self.subscales:
            if subscale.code == code:
                return subscale
        raise KeyError(code)


def instrument_codes() -> tuple[str, ...]:
    """Codes of every shipped instrument, sorted."""
    return _codes()


def load_instrument(code: str) -> Instrument:
    """The instrument with this code; ValueError naming the known codes if there is none."""
    if code not in _codes():
        raise ValueError(f"unknown instrument {code!r}; known instruments: {', '.join(_codes())}")
    return _load(code)


def all_instruments() -> tuple[Instrument, ...]:
    """Every shipped instrument, sorted by code."""
    return tuple(_load(code) for code in _codes())


def instrument_from_dict(data: Mapping[str, object]) -> Instrument:
    """Build and check an instrument from its JSON form; ValueError says what is wrong."""
    code = _text(data, "code")
    items = tuple(_item(code, raw) for raw in _list(data, "items"))
    ids = [item.id for item in items]
    duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if not items or duplicates:
        raise ValueError(f"instrument {code}: needs unique item ids (duplicates: {duplicates})")
    response = _object(data, "response")
    licence = _object(data, "licence")
    unit = response.get("unit")
    response_range = ResponseRange(
        min=_real(response, "min"),
        max=_real(response, "max"),
        integer=_flag(response, "integer"),
        unit=unit if isinstance(unit, str) else None,
    )
    scales = {name: _scale(code, name, raw, response_range) for name, raw in _object_or_empty(data, "scales").items()}
    unscaled = [item.id for item in items if item.scale is not None and item.scale not in scales]
    if unscaled:
        raise ValueError(f"instrument {code}: items {unscaled} name a scale the instrument does not define")
    return Instrument(
        code=code,
        name=_text(data, "name"),
        version=_whole(data, "version"),
        scoring_rule=_text(data, "scoring_rule"),
        higher_is_worse=_flag(data, "higher_is_worse"),
        score_range=_score_range(_object(data, "score_range")),
        response=response_range,
        items=items,
        subscales=tuple(_subscale(code, raw, set(ids)) for raw in _list(data, "subscales")),
        licence=Licence(wording_shipped=_flag(licence, "wording_shipped"), note=_text(licence, "note")),
        source=_text(data, "source"),
        question=_text(data, "question") if "question" in data else None,
        options=tuple(_option(code, raw) for raw in (_list(data, "options") if "options" in data else [])),
        label_set=_text(data, "label_set") if "label_set" in data else None,
        title=_text(data, "title") if "title" in data else "",
        scales=scales,
        missing_allowed=_flag(data, "missing_allowed") if "missing_allowed" in data else False,
    )


def load_wording(path: str | Path, *, instrument: str | None = None) -> dict[str, str]:
    """Read a clinic's licensed wording file and return {item id: text}.

    The file is JSON: {"instrument": "quickdash", "items": {"q1": "...", ...}}. Every item of the instrument
    must have a non-empty text and no other ids may appear; `instrument`, when given, must match the file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"wording file {path}: cannot be read as JSON ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
        raise ValueError(f'wording file {path}: expected {{"instrument": CODE, "items": {{ITEM_ID: TEXT}}}}')
    code = data.get("instrument")
    if not isinstance(code, str):
        raise ValueError(f"wording file {path}: 'instrument' must name the instrument")
    if instrument is not None and code != instrument:
        raise ValueError(f"wording file {path}: is for {code!r}, not {instrument!r}")
    definition = load_instrument(code)
    texts: dict[str, object] = data["items"]
    unknown = [item_id for item_id in texts if item_id not in definition.item_ids]
    if unknown:
        raise ValueError(
            f"wording file {path}: unknown item ids for {code}: {', '.join(unknown)} "
            f"(known: {', '.join(definition.item_ids)})"
        )
    lacking = [item_id for item_id in definition.item_ids if item_id not in texts]
    if lacking:
        raise ValueError(f"wording file {path}: no text for {code} items: {', '.join(lacking)}")
    blank = [item_id for item_id, text in texts.items() if not isinstance(text, str) or not text.strip()]
    if blank:
        raise ValueError(f"wording file {path}: empty or non-text wording for items: {', '.join(blank)}")
    return {item_id: str(texts[item_id]) for item_id in definition.item_ids}


@cache
def _codes() -> tuple[str, ...]:
    folder = resources.files(__name__)
    return tuple(sorted(entry.name[: -len(".json")] for entry in folder.iterdir() if entry.name.endswith(".json")))


@cache
def _load(code: str) -> Instrument:
    text = resources.files(__name__).joinpath(f"{code}.json").read_text(encoding="utf-8")
    instrument = instrument_from_dict(json.loads(text))
    if instrument.code != code:
        raise ValueError(f"{code}.json declares code {instrument.code!r}")
    return instrument


def _item(code: str, raw: object) -> Item:
    if not isinstance(raw, dict):
        raise ValueError(f"instrument {code}: each item must be an object, got {raw!r}")
    hand = raw.get("hand")
    if hand is not None and hand not in HANDS:
        raise ValueError(f"instrument {code}: item {raw.get('id')!r} has hand {hand!r}; use right or left")
    return Item(
        id=_text(raw, "id"),
        topic=_text(raw, "topic"),
        hand=hand,
        reversed=_flag(raw, "reversed") if "reversed" in raw else False,
        scale=_text(raw, "scale") if "scale" in raw else None,
        text=_text(raw, "text") if "text" in raw else None,
    )


def _scale(code: str, name: str, raw: object, response: ResponseRange) -> Scale:
    """A scale with exactly one label for each whole value of the response range, in order."""
    if not isinstance(raw, dict):
        raise ValueError(f"instrument {code}: scale {name!r} must be an object")
    labels = tuple(_option(code, entry) for entry in _list(raw, "labels"))
    expected = list(range(int(response.min), int(response.max) + 1))
    if [option.value for option in labels] != expected:
        raise ValueError(f"instrument {code}: scale {name!r} must label each of {expected} once, in order")
    return Scale(prompt=_text(raw, "prompt"), labels=labels)


def _option(code: str, raw: object) -> ResponseOption:
    if not isinstance(raw, dict):
        raise ValueError(f"instrument {code}: each option must be an object, got {raw!r}")
    return ResponseOption(value=_whole(raw, "value"), label=_text(raw, "label"))


def _subscale(code: str, raw: object, item_ids: set[str]) -> Subscale:
    if not isinstance(raw, dict):
        raise ValueError(f"instrument {code}: each subscale must be an object, got {raw!r}")
    members = tuple(str(item_id) for item_id in _list(raw, "items"))
    strangers = [item_id for item_id in members if item_id not in item_ids]
    if strangers:
        raise ValueError(f"instrument {code}: subscale {raw.get('code')!r} names unknown items {strangers}")
    return Subscale(
        code=_text(raw, "code"),
        name=_text(raw, "name"),
        items=members,
        higher_is_worse=_flag(raw, "higher_is_worse"),
        score_range=_score_range(_object(raw, "score_range")),
    )


def _score_range(raw: Mapping[str, object]) -> ScoreRange:
    return ScoreRange(
        min=_real(raw, "min") if raw.get("min") is not None else None,
        max=_real(raw, "max") if raw.get("max") is not None else None,
    )


def _wrong(key: str, value: object, expected: str) -> ValueError:
    return ValueError(f"field {key!r} must be {expected}, got {value!r}")


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _wrong(key, value, "a non-empty string")
    return value


def _flag(data: Mapping[str, object], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise _wrong(key, value, "true or false")
    return value


def _whole(data: Mapping[str, object], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(key, value, "a whole number")
    return value


def _real(data: Mapping[str, object], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _wrong(key, value, "a number")
    return value


def _object(data: Mapping[str, object], key: str) -> dict[str, object]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise _wrong(key, value, "an object")
    return value


def _object_or_empty(data: Mapping[str, object], key: str) -> dict[str, object]:
    return _object(data, key) if key in data else {}


def _list(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key)
    if not isinstance(value, list):
        raise _wrong(key, value, "a list")
    return value
