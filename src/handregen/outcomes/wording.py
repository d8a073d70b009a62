"""What each item and each answer is called on a page: a clinic's licensed wording when loaded, else ours.

Licensed item wording is never shipped (clinical-facts, decisions). A clinic holding a licence puts
`<instrument>.json` files (see `instruments.load_wording`) in the folder named by HANDREGEN_WORDING_DIR; the
file may also carry the official answer labels per scale, `"scales": {"difficulty": ["...", ...]}`, one
label per answer in the order of ours (same number of answers, same direction).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings

from handregen.outcomes.instruments import Instrument, Item, ResponseOption, load_wording

log = logging.getLogger(__name__)


def _wording_file(instrument: Instrument) -> Path | None:
    folder = getattr(settings, "HANDREGEN_WORDING_DIR", "")
    if not folder:
        return None
    path = Path(folder) / f"{instrument.code}.json"
    return path if path.is_file() else None


def licensed_wording(instrument: Instrument) -> dict[str, str] | None:
    """The clinic's licensed wording of `instrument` by item id, or None when none is loaded."""
    path = _wording_file(instrument)
    if path is None:
        return None
    try:
        return load_wording(path, instrument=instrument.code)
    except ValueError:
        log.warning("licensed wording file for %s is unusable; showing topic labels", instrument.code)
        return None


def item_texts(instrument: Instrument) -> tuple[dict[str, str], bool]:
    """(text by item id, whether it is the licensed wording); topic labels stand in when none is loaded."""
    licensed = licensed_wording(instrument)
    if licensed is not None:
        return licensed, True
    return {item.id: item_text(item) for item in instrument.items}, False


def item_text(item: Item) -> str:
    """Our own wording of an item: its patient text where it has one, else its topic label."""
    text = item.text or item.topic
    return text[:1].upper() + text[1:]


def licensed_scales(instrument: Instrument) -> dict[str, list[str]]:
    """The clinic's licensed answer labels by scale name; only scales whose label count matches ours."""
    path = _wording_file(instrument)
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8")).get("scales") or {}
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return {}
    usable = {}
    for name, labels in raw.items() if isinstance(raw, dict) else ():
        ours = instrument.scales.get(name)
        if ours is None or not isinstance(labels, list) or len(labels) != len(ours.labels):
            log.warning("licensed answer labels for a scale of %s do not match; showing ours", instrument.code)
            continue
        if all(isinstance(label, str) and label.strip() for label in labels):
            usable[name] = [str(label) for label in labels]
    return usable


def answer_options(instrument: Instrument, item: Item, licensed: dict[str, list[str]]) -> list[ResponseOption]:
    """The labelled answers shown for `item`: the licensed labels of its scale when loaded, else ours."""
    ours = instrument.options_for(item)
    if item.scale is not None and item.scale in licensed:
        return [ResponseOption(o.value, label) for o, label in zip(ours, licensed[item.scale], strict=True)]
    return list(ours)
