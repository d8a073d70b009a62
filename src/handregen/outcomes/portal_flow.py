"""How the patient's questionnaires are cut into short screens, and how far along the patient is.

One questionnaire per screen; a long one is cut into pages of at most PAGE_ITEMS items, at the boundaries of
its sections (the item ids without their number: MHQ "ia", "ib", ...; QuickDASH "q"), so that a page asks
about one thing and one hand. Pure: no Django import, so the browser test can count screens from it too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handregen.outcomes.instruments import Instrument, Item, load_instrument

PAGE_ITEMS = 8
SECONDS_PER_ITEM = 12  # reading the question and tapping one answer on a phone; a deliberately slow guess
DECLINED = "declined"  # stored in the draft for "prefer not to answer"; scored as a missing item


@dataclass(frozen=True)
class Page:
    instrument: Instrument
    part: int  # 1-based within the instrument
    parts: int
    items: tuple[Item, ...]

    @property
    def hand(self) -> str | None:
        hands = {item.hand for item in self.items}
        return hands.pop() if len(hands) == 1 else None

    @property
    def shared_prompt(self) -> str | None:
        """The question every item of the page answers, when they all answer the same one."""
        prompts = {self.instrument.prompt_for(item) for item in self.items}
        return prompts.pop() if len(prompts) == 1 else None


def _section(item: Item) -> str:
    return re.sub(r"\d+$", "", item.id)


def _split(items: Sequence[Item]) -> list[list[Item]]:
    """A run of items longer than a page, cut into near-equal pages."""
    count = math.ceil(len(items) / PAGE_ITEMS)
    size = math.ceil(len(items) / count)
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def instrument_pages(instrument: Instrument) -> list[list[Item]]:
    sections: list[list[Item]] = []
    for item in instrument.items:
        if sections and _section(sections[-1][-1]) == _section(item):
            sections[-1].append(item)
        else:
            sections.append([item])
    pages: list[list[Item]] = []
    for section in sections:
        pages += _split(section)
    return pages


def flow_pages(instruments: Sequence[Instrument]) -> list[Page]:
    """Every page the patient goes through, in order (the review step comes after them)."""
    pages = []
    for instrument in instruments:
        parts = instrument_pages(instrument)
        pages += [Page(instrument, number, len(parts), tuple(items)) for number, items in enumerate(parts, start=1)]
    return pages


def page_complete(page: Page, draft: Mapping[str, Mapping[str, object]]) -> bool:
    saved = draft.get(page.instrument.code) or {}
    return all(item.id in saved for item in page.items)


def first_open_page(pages: Sequence[Page], draft: Mapping[str, Mapping[str, object]]) -> int | None:
    """The 1-based number of the first page with an unanswered item; None when every page is answered."""
    for number, page in enumerate(pages, start=1):
        if not page_complete(page, draft):
            return number
    return None


def minutes_left(pages: Sequence[Page], draft: Mapping[str, Mapping[str, object]]) -> int:
    """About how many minutes the unanswered items take (at least 1 while any is left)."""
    open_items = sum(
        1 for page in pages for item in page.items if item.id not in (draft.get(page.instrument.code) or {})
    )
    return math.ceil(open_items * SECONDS_PER_ITEM / 60)


def patient_item_count(codes: Sequence[str]) -> int:
    """How many questions a time point with these instruments asks the patient (staff measurements aside)."""
    return sum(
        len(instrument.items)
        for instrument in map(load_instrument, codes)
        if instrument.options_for(instrument.items[0])
    )


def answers_for_scoring(instrument: Instrument, saved: Mapping[str, object]) -> dict[str, object]:
    """A draft's answers of one instrument as the scoring takes them: declined items are missing (None)."""
    return {item.id: (None if saved.get(item.id) == DECLINED else saved.get(item.id)) for item in instrument.items}
