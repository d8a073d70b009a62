"""The main menu by role: each entry shows only to a role that may open it (issue 18: no menu link to a 404)."""

from __future__ import annotations

from dataclasses import dataclass

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    permissions: tuple[Permission, ...]  # any one of them shows the entry


MENU: tuple[MenuEntry, ...] = (
    MenuEntry("Worklists", "web:home", (Permission.PATIENT_VIEW,)),
    MenuEntry("Patients", "web:patients", (Permission.PATIENT_VIEW,)),
    MenuEntry("Outcomes", "analytics:dashboard", (Permission.COHORT_VIEW_DEIDENTIFIED,)),
    MenuEntry("Follow-ups", "outcomes:worklist", (Permission.PATIENT_VIEW,)),
    MenuEntry("Safety alerts", "safety:alerts", (Permission.PATIENT_VIEW,)),
    MenuEntry("Cell lab", "cellproducts:lab", (Permission.PATIENT_VIEW,)),
    MenuEntry("Calendar", "scheduling:home", (Permission.PATIENT_VIEW, Permission.SCHEDULE_MANAGE)),
    MenuEntry("Emergency access report", "web:break-glass-report", (Permission.AUDIT_VIEW,)),
)


def menu_for(actor: Actor) -> list[MenuEntry]:
    """The entries `actor`'s role may open, in menu order."""
    return [entry for entry in MENU if any(actor.can(p) for p in entry.permissions)]
