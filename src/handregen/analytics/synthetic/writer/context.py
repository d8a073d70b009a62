"""What every synthetic row of one site needs, computed once: staff, protocol, consent text, instruments, times."""

from __future__ import annotations

import random
import time as clock
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import Membership, Site, User
from handregen.aftercare.selectors import aftercare_instructions
from handregen.audit.services import audit_record
from handregen.cellproducts.services import product_policy
from handregen.consent.models import ConsentDocument
from handregen.consent.services import consent_document_ensure
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.scoring import RULES
from handregen.outcomes.selectors import MEASURED_BY_STAFF
from handregen.outcomes.services import baseline_instruments
from handregen.pathway.models import Episode, Protocol
from handregen.pathway.protocol import Protocol as ProtocolDefinition
from handregen.pathway.services import protocol_current

# The synthetic authors of the records: inactive, with unusable passwords, so nobody can sign in as them.
STAFF = (
    ("synth.physician", "physician", "Physician"),
    ("synth.nurse", "nurse", "Nurse"),
    ("synth.labtech", "lab_technician", "Lab technician"),
)


class TimeOrderedIds:
    """UUIDs of version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, 62 random bits.

    Keys that sort by creation make a large registry's inserts land at the end of each index instead of on a
    random page of it, which is what a database grown to millions of rows pays for most. They are as unique
    as the random keys the models make (the counter keeps them in order within a millisecond).
    """

    def __init__(self) -> None:
        self.last_ms = 0
        self.counter = 0
        self.random = random.SystemRandom()

    def __call__(self) -> uuid.UUID:
        now_ms = clock.time_ns() // 1_000_000
        if now_ms > self.last_ms:
            self.last_ms, self.counter = now_ms, 0
        else:
            self.counter += 1
            if self.counter > 0xFFF:  # more than 4096 in one millisecond: borrow the next one
                self.last_ms, self.counter = self.last_ms + 1, 0
        value = (self.last_ms << 80) | (0x7 << 76) | (self.counter << 64) | (0b10 << 62) | self.random.getrandbits(62)
        return uuid.UUID(int=value)


class SynthError(RuntimeError):
    """The synthetic registry cannot be written (e.g. its staff names are taken by real users)."""


@dataclass(frozen=True)
class InstrumentInfo:
    code: str
    version: int
    label_set: str
    options: frozenset[str]
    measured_by_staff: bool


@dataclass
class SiteContext:
    site: Site
    seed: int
    today: date
    now: datetime
    zone: ZoneInfo
    protocol: Protocol
    definition: ProtocolDefinition
    physician: Actor
    nurse: Actor
    labtech: Actor
    document: ConsentDocument
    needs_approval: tuple[str, ...]
    aftercare: dict[str, Any]
    baseline_instruments: list[str]
    instruments: dict[str, InstrumentInfo] = field(default_factory=dict)
    prwe_missing_policy: str = ""
    new_id: Callable[[], uuid.UUID] = field(default_factory=TimeOrderedIds)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """`day` at the site's local `hour:minute`, in UTC (as the database gives it back), never after now."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)
        return min(moment, self.now)


def _synthetic_user(username: str, label: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name="Synthetic", last_name=label, is_active=False)
        user.set_unusable_password()
        user.save()
    elif user.is_active or user.has_usable_password():
        raise SynthError(f"The user {username} exists and can sign in; synthetic records need their own authors.")
    return user


@transaction.atomic
def synthetic_staff(site: Site) -> dict[str, Actor]:
    """The synthetic physician, nurse and lab technician of `site` (created, with their roles, when missing)."""
    actors = {}
    for username, role, label in STAFF:
        user = _synthetic_user(username, label)
        membership = Membership.objects.filter(user=user, site=site).first()
        if membership is None:
            Membership.objects.create(user=user, site=site, role=role)
            audit_record(
                actor=None,
                site=site,
                action="membership.set",
                object_type="user",
                object_id=user.pk,
                changes={"username": [None, username], "role": [None, role]},
                reason="Synthetic registry author (inactive; cannot sign in)",
            )
        elif membership.role != role:
            raise SynthError(f"{username} has the role {membership.role} at {site.code}, not {role}.")
        actors[role] = Actor(user=user, site=site, role=role)
    return actors


def site_context(*, site: Site, seed: int, today: date) -> SiteContext:
    protocol = protocol_current(site.default_protocol_code)
    definition = protocol.definition
    document = consent_document_ensure(version=definition.consent_document_version)
    if document is None or not document.text_intact:
        raise SynthError(f"Consent document {definition.consent_document_version} is not installed or not intact.")
    staff = synthetic_staff(site)
    template = Episode(site=site, protocol=protocol)  # never saved: lets the apps' own helpers read the protocol
    baseline = baseline_instruments(template)
    codes = set(baseline) | {code for point in definition.follow_up for code in point.instruments}
    instruments = {}
    for code in sorted(codes):
        loaded = load_instrument(code)
        instruments[code] = InstrumentInfo(
            code=code,
            version=loaded.version,
            label_set=loaded.label_set or "",
            options=RULES[loaded.scoring_rule].options,
            measured_by_staff=code in MEASURED_BY_STAFF,
        )
    return SiteContext(
        site=site,
        seed=seed,
        today=today,
        now=timezone.now().replace(microsecond=0),
        zone=site.zone,
        protocol=protocol,
        definition=definition,
        physician=staff["physician"],
        nurse=staff["nurse"],
        labtech=staff["lab_technician"],
        document=document,
        needs_approval=product_policy(site),
        aftercare=aftercare_instructions(template),
        baseline_instruments=baseline,
        instruments=instruments,
        prwe_missing_policy=str((protocol.document.get("scoring") or {}).get("prwe_missing_policy") or ""),
    )
