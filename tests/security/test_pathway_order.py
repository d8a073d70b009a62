"""U9 pathway step order: steps happen only in the permitted order, and every refusal says why.

A Hypothesis state machine calls the real step services (consultation, candidacy, consent, preparation,
harvest, processing, release, injection) in random order on two patients' episodes, with right and wrong
arguments: a wrong or self verifier, the other patient's wristband or product, a mistyped product code, a
nurse attempting the injection. After every step it checks, against the database, that no injection exists
without a verified bedside match of its product to its patient and that no released product lacks its
second-person verification. The direct tests below skip one step each and assert the documented refusal
(docs/protocols.md, "Step order and its refusals").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from handregen.accounts.models import Membership
from handregen.accounts.reauth import VERIFIER_REFUSED
from handregen.accounts.roles import Permission, role_has
from handregen.audit.models import AuditEvent
from handregen.cellproducts.identifiers import parse_scanned_code
from handregen.cellproducts.models import CellProduct, ReleaseDecision
from handregen.cellproducts.services import processing_record, product_release
from handregen.checkcodes import CHECK_ALPHABET
from handregen.consent.models import DEFAULT_MEANING
from handregen.consent.selectors import required_document_version
from handregen.consent.services import consent_record
from handregen.errors import Forbidden, GuardRefused, InvalidInput
from handregen.evaluation.services import candidacy_decide, consultation_record
from handregen.pathway.models import Episode
from handregen.patients.wristband import parse_wristband_code
from handregen.preparation.services import preparation_complete
from handregen.procedures.models import Injection
from handregen.procedures.services import harvest_record, injection_record
from tests.cellproducts.chain import BONE_MARROW, GOOD_PROCESSING, Team, harvested, make_team, processed, released
from tests.conftest import PASSWORD, signing
from tests.journeys import DISCUSSED_ALL, consultation_data, to_consented, to_prepared

INJECTED_OR_LATER = {"injected", "follow_up", "completed"}
VERIFIERS = ("second technician", "physician", "self", "wrong password", "nobody")
MISTAKES = (
    "none",
    "the other patient's product",
    "the other patient's wristband",
    "a mistyped code",
    "a nurse injects",
    "a joint not treated",
)


def _mistyped(code: str) -> str:
    check = code[-1]
    return code[:-1] + CHECK_ALPHABET[(CHECK_ALPHABET.index(check) + 1) % len(CHECK_ALPHABET)]


def check_no_injection_without_a_verified_match(episodes: list[Episode]) -> None:
    for injection in Injection.objects.filter(episode__in=episodes).select_related("product", "patient"):
        product, patient = injection.product, injection.patient
        assert product.patient_id == patient.pk == injection.episode.patient_id, "product given to another patient"
        assert product.episode_id == injection.episode_id and product.cycle == injection.cycle
        assert parse_wristband_code(injection.scanned_wristband_code) == patient.wristband_code
        assert parse_scanned_code(injection.scanned_product_code).din == product.din
        release = ReleaseDecision.objects.filter(product=product).first()
        assert release is not None and release.released_at <= injection.performed_at, "injected before release"
        assert injection.verification["same_patient"] is True and injection.verification["product"] == product.code


def check_no_release_without_its_signatures(episodes: list[Episode]) -> None:
    for product in CellProduct.objects.filter(episode__in=episodes, status__in=("released", "administered")):
        release = ReleaseDecision.objects.filter(product=product).first()
        assert release is not None, f"{product.code} is {product.status} without a release decision"
        assert release.verified_by_id != release.released_by_id, "released without a second person"
        membership = Membership.objects.get(user_id=release.verified_by_id, site_id=product.site_id)
        assert role_has(membership.role, Permission.PRODUCT_VERIFY)


def check_stages_match_the_records(episodes: list[Episode]) -> None:
    for episode in Episode.objects.filter(pk__in=[e.pk for e in episodes]):
        injected = Injection.objects.filter(episode=episode, cycle=episode.cycle).exists()
        assert injected == (episode.stage in INJECTED_OR_LATER), f"{episode.stage} and injected={injected}"
        if episode.stage == "released":
            assert CellProduct.objects.filter(episode=episode, cycle=episode.cycle, status="released").exists()


class PathwayOrder(RuleBasedStateMachine):
    """Two episodes (two patients) at one site; every rule calls real services, right or wrong."""

    team: Team
    new_episode: Callable[[], Episode]
    injections = 0  # scanned right, over all runs: shows the runs get that far
    wrong_injections_refused = 0

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()  # each run starts clean and is rolled back in teardown
        self._savepoint.__enter__()
        # One episode starts fresh; the other with its product processed, awaiting release, so that runs reach
        # the release and the bedside often (from there on only the random rules act on it).
        ready = self.new_episode()
        processed(harvested(ready, self.team), self.team)
        self.episodes = [self.new_episode(), ready]
        self.refusals = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    def _episode(self, which: int) -> Episode:
        return Episode.objects.select_related("patient", "protocol").get(pk=self.episodes[which].pk)

    def _product(self, which: int) -> CellProduct | None:
        episode = self._episode(which)
        return CellProduct.objects.filter(episode=episode).order_by("-created_at").first()

    def _attempt(self, step: Callable[..., Any], **kwargs: Any) -> None:
        """Run a step; a refusal is fine as long as it says why in words."""
        try:
            step(**kwargs)
        except GuardRefused as refusal:
            assert refusal.reasons and all(len(r.strip()) > 10 for r in refusal.reasons), refusal.reasons
            self.refusals += 1
        except InvalidInput as invalid:
            assert invalid.errors and all(field and message for field, message in invalid.errors)
        except Forbidden as forbidden:
            assert " may not " in str(forbidden)

    @rule(which=st.integers(0, 1), steps=st.integers(1, 3))
    def advance(self, which: int, steps: int) -> None:
        """The right next steps with the right data, so that random runs reach release and injection."""
        # A refusal is still possible here (a product processed below the viability criterion is never released).
        for _ in range(steps):
            self._attempt(self._advance, which=which)

    def _advance(self, which: int) -> None:
        episode = self._episode(which)
        stage, product = episode.stage, self._product(which)
        if stage in ("referred", "consulted", "eligible"):
            to_consented(episode, self.team.physician)
        elif stage == "consented":
            to_prepared(episode, self.team.physician, self.team.nurse)
        elif stage == "prepared":
            harvested(episode, self.team)
        elif stage == "harvested" and product is not None and product.status in ("collected", "received", "processed"):
            released(product, self.team)
        # From released on, only the `inject` rule acts: it scans right or makes one mistake.

    @rule(which=st.integers(0, 1))
    def consult(self, which: int) -> None:
        self._attempt(
            consultation_record, actor=self.team.physician, episode=self._episode(which), **consultation_data()
        )

    @rule(which=st.integers(0, 1))
    def decide_eligible(self, which: int) -> None:
        episode = self._episode(which)
        criteria = {c.code: c.kind == "inclusion" for c in episode.protocol.definition.criteria}
        self._attempt(
            candidacy_decide,
            actor=self.team.physician,
            episode=episode,
            criteria=criteria,
            decision="eligible",
            rationale="Meets the protocol.",
        )

    @rule(which=st.integers(0, 1))
    def consent(self, which: int) -> None:
        episode = self._episode(which)
        self._attempt(
            consent_record,
            actor=self.team.physician,
            episode=episode,
            document_version=required_document_version(episode=episode),
            discussed=DISCUSSED_ALL,
            signer_name=episode.patient.display_name,
            signature_meaning=DEFAULT_MEANING,
        )

    @rule(which=st.integers(0, 1), complete=st.booleans())
    def prepare(self, which: int, complete: bool) -> None:
        episode = self._episode(which)
        checklist = {code: True for code, _ in episode.protocol.definition.checklist}
        if not complete:
            checklist[next(iter(checklist))] = False
        self._attempt(preparation_complete, actor=self.team.nurse, episode=episode, checklist=checklist)

    @rule(which=st.integers(0, 1))
    def harvest(self, which: int) -> None:
        self._attempt(harvest_record, actor=self.team.physician, episode=self._episode(which), **BONE_MARROW)

    @rule(which=st.integers(0, 1), viable=st.booleans())
    def process(self, which: int, viable: bool) -> None:
        product = self._product(which)
        if product is not None:
            self._attempt(
                processing_record,
                actor=self.team.lab,
                product=product,
                **GOOD_PROCESSING | ({} if viable else {"viability_percent": 20}),
            )

    @rule(which=st.integers(0, 1), verifier=st.sampled_from(VERIFIERS))
    def release(self, which: int, verifier: str) -> None:
        product = self._product(which)
        if product is None:
            return
        username, password = {
            "second technician": (self.team.lab2.user.username, PASSWORD),
            "physician": (self.team.physician.user.username, PASSWORD),
            "self": (self.team.lab.user.username, PASSWORD),
            "wrong password": (self.team.lab2.user.username, "not the password at all"),
            "nobody": ("", ""),
        }[verifier]
        self._attempt(
            product_release,
            actor=self.team.lab,
            product=product,
            verifier_username=username,
            verifier_password=password,
            **signing(self.team.lab),
        )

    @rule(which=st.integers(0, 1), mistake=st.sampled_from(MISTAKES))
    def inject(self, which: int, mistake: str) -> None:
        other = 1 - which
        product = self._product(other if mistake == "the other patient's product" else which)
        if product is None:
            return
        episode = self._episode(which)
        band = self._episode(other if mistake == "the other patient's wristband" else which).patient.wristband_code
        code = _mistyped(product.code) if mistake == "a mistyped code" else product.code
        actor = self.team.nurse if mistake == "a nurse injects" else self.team.physician
        before = Injection.objects.count()
        self._attempt(
            injection_record,
            actor=actor,
            episode=episode,
            product_code=code,
            wristband_code=band,
            joint="PIP2" if mistake == "a joint not treated" else "CMC1",
            side="right",
            guidance="ultrasound",
            anaesthetic="lidocaine 1 % 1 mL",
            volume_ml=2,
        )
        if mistake != "none":
            assert Injection.objects.count() == before, f"an injection with {mistake} was recorded"
            if episode.stage == "released":
                type(self).wrong_injections_refused += 1
        elif Injection.objects.count() > before:
            type(self).injections += 1

    @invariant()
    def no_injection_without_a_verified_match(self) -> None:
        check_no_injection_without_a_verified_match(self.episodes)

    @invariant()
    def no_release_without_its_signatures(self) -> None:
        check_no_release_without_its_signatures(self.episodes)

    @invariant()
    def stages_match_the_records(self) -> None:
        check_stages_match_the_records(self.episodes)


def test_random_step_sequences_keep_the_pathway_order(persona: Any, make_episode: Any) -> None:
    team = make_team(persona)
    PathwayOrder.team = team
    PathwayOrder.new_episode = staticmethod(lambda: make_episode(team.physician))  # type: ignore[method-assign]
    PathwayOrder.injections = PathwayOrder.wrong_injections_refused = 0
    run_state_machine_as_test(
        PathwayOrder,
        settings=settings(
            max_examples=20, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
    print(
        f"injections scanned right: {PathwayOrder.injections}; "
        f"wrong injections refused at the released stage: {PathwayOrder.wrong_injections_refused}"
    )


def test_the_invariants_see_a_forged_injection(persona: Any, make_episode: Any) -> None:
    """The state machine's checks are not vacuous: an injection written past the services is caught."""
    team = make_team(persona)
    mine, other = make_episode(team.physician), make_episode(team.physician)
    product = released(harvested(mine, team), team)
    Injection.objects.create(
        site=mine.site,
        episode=mine,
        patient=other.patient,
        product=product,
        joint="CMC1",
        side="right",
        guidance="ultrasound",
        anaesthetic="none",
        volume_ml=1,
        operator=team.physician.user,
        performed_at=product.released_at or product.collected_at,
        scanned_product_code=product.code,
        scanned_wristband_code=other.patient.wristband_code,
    )
    with pytest.raises(AssertionError, match="another patient"):
        check_no_injection_without_a_verified_match([mine])
    with pytest.raises(AssertionError, match="injected=True"):
        check_stages_match_the_records([mine])


# --- direct calls that skip one step: the documented refusals ---------------------------------------------


@pytest.fixture
def team(persona: Any) -> Team:
    return make_team(persona)


def _refused(step: Callable[..., Any], **kwargs: Any) -> list[str]:
    """Call a step that must be refused; the refusal is audited with its reasons and nothing else is written."""
    done_before = AuditEvent.objects.filter(outcome="done").count()
    with pytest.raises(GuardRefused) as caught:
        step(**kwargs)
    assert AuditEvent.objects.filter(outcome="done").count() == done_before
    last_refusal = AuditEvent.objects.filter(outcome="refused").order_by("-seq").first()
    assert last_refusal is not None and last_refusal.reason == "; ".join(caught.value.reasons)
    return caught.value.reasons


def test_consent_before_candidacy_is_refused(make_episode: Any, team: Team) -> None:
    episode = make_episode(team.physician)
    assert _refused(
        consent_record,
        actor=team.physician,
        episode=episode,
        document_version="2026.1",
        discussed=DISCUSSED_ALL,
        signer_name=episode.patient.display_name,
        **signing(team.physician),
    ) == ["'Record consent' needs the episode at eligible; it is at referred."]


def test_harvest_without_the_days_preparation_is_refused(make_episode: Any, team: Team) -> None:
    episode = to_consented(make_episode(team.physician), team.physician)
    assert _refused(harvest_record, actor=team.physician, episode=episode, **BONE_MARROW) == [
        "'Record the harvest' needs the episode at prepared; it is at consented."
    ]


def test_release_before_processing_is_refused(make_episode: Any, team: Team) -> None:
    product = harvested(make_episode(team.physician), team)
    reasons = _refused(product_release, actor=team.lab, product=product, **team.verify())
    # then each release criterion that has nothing to be judged on, e.g. "Viability at least 70 %: no value ..."
    assert reasons[0] == "The product has no processing record yet; record processing before release."
    assert reasons[1:] and all(r.endswith("no value was recorded.") for r in reasons[1:])


@pytest.mark.parametrize(
    ("who", "password", "reason"),
    [
        ("", "", "A second person must verify the release: give the verifier's username and password."),
        (
            "lab_technician.demo",
            PASSWORD,
            "The verifier must be a second person, not the one who releases the product.",
        ),
        ("lab2.demo", "wrong", VERIFIER_REFUSED),
        ("nurse.demo", PASSWORD, VERIFIER_REFUSED),  # right password, wrong role: the same answer (A7)
    ],
)
def test_release_without_the_second_signature_is_refused(
    make_episode: Any, team: Team, who: str, password: str, reason: str
) -> None:
    team.nurse  # noqa: B018 - the nurse persona exists, so "nurse.demo" is a real user without the permission
    product = processed(harvested(make_episode(team.physician), team), team)
    reasons = _refused(
        product_release,
        actor=team.lab,
        product=product,
        verifier_username=who,
        verifier_password=password,
        **signing(team.lab),
    )
    assert len(reasons) == 1 and reasons[0].endswith(reason)
    product.refresh_from_db()
    assert product.status == "processed"


def _inject(team: Team, episode: Episode, product: CellProduct, wristband: str) -> Callable[[], Any]:
    return lambda: injection_record(
        actor=team.physician,
        episode=episode,
        product_code=product.code,
        wristband_code=wristband,
        joint="CMC1",
        side="right",
        guidance="ultrasound",
        anaesthetic="lidocaine 1 % 1 mL",
        volume_ml=2,
    )


def test_injection_before_release_is_refused(make_episode: Any, team: Team) -> None:
    product = processed(harvested(make_episode(team.physician), team), team)
    episode = Episode.objects.get(pk=product.episode_id)
    reasons = _refused(_inject(team, episode, product, episode.patient.wristband_code))
    assert reasons == [
        "'Verify at the bedside and record the injection' needs the episode at released; it is at harvested.",
        f"Product {product.code} has not been released by the lab.",
    ]


def test_injection_with_another_patients_wristband_is_refused(make_episode: Any, team: Team) -> None:
    product = released(harvested(make_episode(team.physician), team), team)
    episode = Episode.objects.select_related("patient").get(pk=product.episode_id)
    stranger = make_episode(team.physician).patient
    reasons = _refused(_inject(team, episode, product, stranger.wristband_code))
    assert reasons == [
        f"The wristband scanned ({stranger.wristband_code}) is not the wristband of {episode.patient.display_name} "
        f"(MRN {episode.patient.mrn}), the patient of this episode."
    ]


def test_injection_of_another_patients_product_is_refused(make_episode: Any, team: Team) -> None:
    theirs = released(harvested(make_episode(team.physician), team), team)
    mine = released(harvested(make_episode(team.physician), team), team)
    episode = Episode.objects.select_related("patient").get(pk=mine.episode_id)
    reasons = _refused(_inject(team, episode, theirs, episode.patient.wristband_code))
    assert reasons == [f"Product {theirs.code} was collected for another patient, not this patient: do not give it."]


def test_a_prepared_episode_goes_through_when_nothing_is_skipped(make_episode: Any, team: Team) -> None:
    """The refusals above are about order, not about the data: the same steps in order succeed."""
    episode = to_prepared(make_episode(team.physician), team.physician, team.nurse)
    product = released(harvested(episode, team), team)
    episode.refresh_from_db()
    _inject(team, episode, product, episode.patient.wristband_code)()
    episode.refresh_from_db()
    assert episode.stage == "injected"
    check_no_injection_without_a_verified_match([episode])
    check_no_release_without_its_signatures([episode])
