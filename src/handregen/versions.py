"""No lost updates (security requirement R3): a save made on a version that is no longer current is refused.

Every editable record counts its saves in `version`. A page or an API client sends the version it loaded;
when the record moved on meanwhile, `version_check` refuses with `StaleVersion`, which carries the values as
they are saved now so that the edge can show both (a conflict page, a 409 with `current`) and keep what the
user typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handregen.errors import GuardRefused


class StaleVersion(GuardRefused):
    """The record changed since the user loaded it; nothing was saved."""

    def __init__(self, *, what: str, current_version: int, expected_version: int, current: Mapping[str, Any]):
        self.what = what
        self.current_version = current_version
        self.expected_version = expected_version
        self.current = {str(k): _shown(v) for k, v in current.items()}
        opened = f"you opened version {expected_version}" if expected_version else "there was none when you opened it"
        super().__init__(
            [
                f"Version rule 'no lost updates': the {what} was saved by someone else meanwhile (now version "
                f"{current_version}; {opened}). Nothing was saved. Compare the saved values with yours, then save "
                "again if yours should stand."
            ]
        )


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def version_check(*, what: str, version: int, expected_version: int | None, current: Mapping[str, Any]) -> None:
    """Refuse with StaleVersion when `expected_version` is given and is not the record's `version`."""
    if expected_version is not None and expected_version != version:
        raise StaleVersion(what=what, current_version=version, expected_version=expected_version, current=current)
