"""What each item is called on a page: a clinic's licensed wording when loaded, else the topic label we ship.

Licensed item wording is never shipped (clinical-facts, decisions). A clinic holding a licence puts
`<instrument>.json` files (see `instruments.load_wording`) in the folder named by HANDREGEN_WORDING_DIR.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from handregen.outcomes.instruments import Instrument, load_wording

log = logging.getLogger(__name__)


def licensed_wording(instrument: Instrument) -> dict[str, str] | None:
    """The clinic's licensed wording of `instrument` by item id, or None when none is loaded."""
    folder = getattr(settings, "HANDREGEN_WORDING_DIR", "")
    if not folder:
        return None
    path = Path(folder) / f"{instrument.code}.json"
    if not path.is_file():
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
    return {item.id: item.topic[:1].upper() + item.topic[1:] for item in instrument.items}, False
