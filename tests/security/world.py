"""A small object graph at one site for the authorisation tests (Z2, Z3, Z5), built through the real services.

`World` builds lazily: a test that only needs an episode does not pay for a harvested product.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from handregen.accounts.actor import Actor
from handregen.cellproducts.models import CellProduct, Donor
from handregen.cellproducts.services import donor_register
from handregen.consent.models import Consent
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.services import followups_schedule, response_record
from handregen.pathway.models import Episode
from handregen.patients.models import Patient
from handregen.safety.models import AdverseEvent, SafetyAlert
from handregen.safety.services import adverse_event_record
from tests.cellproducts.chain import harvested, make_team
from tests.journeys import to_consented

QUICKDASH = dict(zip([f"q{i}" for i in range(1, 12)], [1, 2, 3, 4, 1, 1, 2, 3, 5, 1, 1], strict=True))


class World:
    """Objects of one site; `canary` is a family name that appears nowhere else."""

    def __init__(
        self,
        persona: Callable[..., Actor],
        make_patient: Callable[..., Patient],
        make_episode: Callable[..., Episode],
        site_code: str = "demo",
    ):
        self.persona, self.make_patient, self.make_episode = persona, make_patient, make_episode
        self.site_code = site_code
        self.canary = f"Zyqcanary{uuid.uuid4().hex[:10]}"
        self.canary_given = f"Qxgiven{uuid.uuid4().hex[:8]}"

    def actor(self, role: str) -> Actor:
        return self.persona(role, self.site_code)

    @functools.cached_property
    def patient(self) -> Patient:
        return self.make_patient(self.actor("physician"), family_name=self.canary, given_name=self.canary_given)

    @functools.cached_property
    def episode(self) -> Episode:
        """A fresh episode (referred) of the canary patient."""
        return self.make_episode(self.actor("physician"), patient=self.patient)

    @functools.cached_property
    def consented_episode(self) -> Episode:
        """An episode of the canary patient taken through consultation, candidacy and consent."""
        return to_consented(self.make_episode(self.actor("physician"), patient=self.patient), self.actor("physician"))

    @functools.cached_property
    def followed_episode(self) -> Episode:
        """An episode whose injection was six weeks ago, its follow-ups scheduled (w6 due today)."""
        episode = self.make_episode(self.actor("physician"), patient=self.patient)
        injected_on = episode.site.today() - timedelta(42)
        followups_schedule(actor=self.actor("nurse"), episode=episode, injected_on=injected_on)
        return episode

    @functools.cached_property
    def follow_up(self) -> FollowUp:
        return FollowUp.objects.get(episode=self.followed_episode, timepoint="w6")

    @functools.cached_property
    def response(self) -> QuestionnaireResponse:
        return response_record(
            actor=self.actor("nurse"), follow_up=self.follow_up, instrument="quickdash", answers=QUICKDASH
        )

    @functools.cached_property
    def adverse_event(self) -> AdverseEvent:
        return adverse_event_record(
            actor=self.actor("nurse"),
            episode=self.episode,
            **event_fields(term="infection", grade=3, serious=True, seriousness_criteria=["hospitalisation"]),
        )

    @functools.cached_property
    def alert(self) -> SafetyAlert:
        return SafetyAlert.objects.get(adverse_event=self.adverse_event)

    @functools.cached_property
    def product(self) -> CellProduct:
        """A harvested product (on a second episode of the canary patient, taken through consent and preparation)."""
        episode = self.make_episode(self.actor("physician"), patient=self.patient)
        return harvested(episode, make_team(self.persona, self.site_code))

    @functools.cached_property
    def consent(self) -> Consent:
        found = Consent.objects.filter(episode=self.consented_episode).order_by("pk").first()
        assert found is not None
        return found

    @functools.cached_property
    def calendar(self) -> Any:
        """A clinician, two rooms and a cell lab of this site, open Monday to Saturday."""
        from tests.scheduling.conftest import build_calendar

        return build_calendar(self.actor("site_admin"), self.actor("physician"), prefix=f"{self.site_code} ")

    @functools.cached_property
    def appointment(self) -> Any:
        """A consultation of the canary patient booked a few working days ahead at 10:00."""
        from handregen.scheduling.services import appointment_book

        return appointment_book(
            actor=self.actor("physician"),
            episode=self.episode,
            kind="consultation",
            starts_at=self.booking_time("10:00"),
            clinician=self.calendar.clinician,
            room=self.calendar.consultation_room,
        )

    def booking_time(self, clock: str) -> Any:
        from datetime import datetime, time
        from zoneinfo import ZoneInfo

        from tests.scheduling.conftest import next_weekday

        site = self.episode.site
        hour, minute = (int(p) for p in clock.split(":"))
        return datetime.combine(next_weekday(3, site), time(hour, minute), tzinfo=ZoneInfo(site.time_zone))

    @functools.cached_property
    def donor(self) -> Donor:
        return donor_register(
            actor=self.actor("physician"),
            code=f"D-{uuid.uuid4().hex[:6]}",
            eligibility="eligible",
            eligibility_basis="NAT and serology negative",
        )

    def ids(self, names: set[str]) -> dict[str, Any]:
        """Path parameters for an operation that names `names` (only what is asked for is built)."""
        table: dict[str, Callable[[], Any]] = {
            "patient_id": lambda: self.patient.pk,
            "episode_id": lambda: self.episode.pk,
            "product_id": lambda: self.product.pk,
            "follow_up_id": lambda: self.follow_up.pk,
            "response_id": lambda: self.response.pk,
            "adverse_event_id": lambda: self.adverse_event.pk,
            "alert_id": lambda: self.alert.pk,
            "donor_id": lambda: self.donor.pk,
            "appointment_id": lambda: self.appointment.pk,
            "code": lambda: self.episode.protocol.code,
            "version": lambda: "2026.1",
        }
        return {name: table[name]() for name in names}


def event_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "term": "injection_site_pain_flare",
        "onset_date": date.today(),
        "grade": 1,
        "serious": False,
        "relatedness": "probable",
    } | overrides
