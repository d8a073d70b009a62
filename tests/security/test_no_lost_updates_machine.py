"""R3 as a Hypothesis state machine over the services: tabs load adverse events, scores and the consent, and
save in any interleaving. A save from a stale tab is refused and changes nothing; a save from a current tab
lands; nothing is lost and nothing is stored twice; there is always exactly one active consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from handregen.consent.models import Consent
from handregen.errors import GuardRefused
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.services import followups_schedule, response_record
from handregen.safety.models import AdverseEvent
from handregen.safety.services import adverse_event_amend, adverse_event_record
from handregen.versions import StaleVersion
from tests.conftest import signing
from tests.consent.test_services import take
from tests.journeys import to_consented


@dataclass(frozen=True)
class Tab:
    kind: str  # "ae" or "score"
    version: int


@pytest.mark.django_db
def test_interleaved_loads_and_saves_never_lose_an_update_or_store_twice(make_episode, persona):
    physician, nurse = persona("physician"), persona("nurse")

    class Clinic(RuleBasedStateMachine):
        tabs = Bundle("tabs")

        @initialize()
        def open_records(self) -> None:
            self.episode = to_consented(make_episode(), physician)
            self.event = adverse_event_record(
                actor=nurse,
                episode=self.episode,
                term="infection",
                onset_date=timezone.localdate(),
                grade=1,
                serious=False,
                relatedness="possible",
            )
            followups_schedule(
                actor=nurse, episode=self.episode, injected_on=self.episode.site.today() - timedelta(days=14)
            )
            self.w2 = FollowUp.objects.get(episode=self.episode, timepoint="w2")
            self.score = response_record(actor=nurse, follow_up=self.w2, instrument="nrs", answers={"pain": 5})
            self.model = {"ae": (1, 1), "score": (1, 5)}  # kind -> (version, value) as the model expects
            self.events_recorded = 1
            self.consents = 1

        @rule(target=tabs, kind=st.sampled_from(["ae", "score"]))
        def load(self, kind: str) -> Tab:
            row = (
                AdverseEvent.objects.get(pk=self.event.pk)
                if kind == "ae"
                else QuestionnaireResponse.objects.get(pk=self.score.pk)
            )
            return Tab(kind, row.version)

        @rule(tab=tabs, value=st.integers(1, 4))
        def save(self, tab: Tab, value: int) -> None:
            version, _ = self.model[tab.kind]
            try:
                if tab.kind == "ae":
                    adverse_event_amend(
                        actor=nurse,
                        adverse_event=self.event,
                        changes={"grade": value},
                        reason="re-graded",
                        expected_version=tab.version,
                    )
                else:
                    response_record(
                        actor=nurse,
                        follow_up=self.w2,
                        instrument="nrs",
                        answers={"pain": value},
                        amendment_reason="corrected",
                        expected_version=tab.version,
                    )
            except StaleVersion:
                assert tab.version != version, "a current tab was refused"
            else:
                assert tab.version == version, "a stale tab overwrote a newer save"
                self.model[tab.kind] = (version + 1, value)

        @rule()
        def record_another_event(self) -> None:
            adverse_event_record(
                actor=nurse,
                episode=self.episode,
                term="numbness",
                onset_date=timezone.localdate(),
                grade=1,
                serious=False,
                relatedness="unlikely",
                description=f"episode {self.events_recorded} of tingling",
            )
            self.events_recorded += 1

        @rule()
        def record_the_same_event_again(self) -> None:
            """Back and re-submit: an identical event is refused, never stored twice."""
            now = AdverseEvent.objects.get(pk=self.event.pk)
            try:
                adverse_event_record(
                    actor=nurse,
                    episode=self.episode,
                    term=now.term,
                    onset_date=now.onset_date,
                    grade=now.grade,
                    serious=now.serious,
                    relatedness=now.relatedness,
                )
            except GuardRefused as refused:
                assert "Duplicate rule" in refused.reasons[0]
            else:
                raise AssertionError("an identical event was stored twice")

        @rule(on_purpose=st.booleans())
        def consent_again(self, on_purpose: bool) -> None:
            extra = {"reconsent_kind": "material_change", "reconsent_reason": "new risk information"}
            try:
                take(self.episode, physician, **signing(physician), **(extra if on_purpose else {}))
            except GuardRefused:
                assert not on_purpose, "an explicit re-consent was refused"
            else:
                assert on_purpose, "a consent was taken over the active one without a reason"
                self.consents += 1

        @invariant()
        def nothing_lost_nothing_twice(self) -> None:
            if not hasattr(self, "episode"):
                return
            event = AdverseEvent.objects.get(pk=self.event.pk)
            score = QuestionnaireResponse.objects.get(pk=self.score.pk)
            assert (event.version, event.grade) == self.model["ae"]
            assert (score.version, score.total) == self.model["score"]
            assert QuestionnaireResponse.objects.filter(follow_up=self.w2, instrument="nrs").count() == 1
            assert AdverseEvent.objects.filter(episode=self.episode).count() == self.events_recorded
            consents = Consent.objects.filter(episode=self.episode)
            assert consents.count() == self.consents and consents.filter(status="active").count() == 1

    Clinic.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    Clinic.TestCase().runTest()
