"""Bedside verification: the injection is recorded only when product and wristband scans match and every
guard holds; any refusal leaves nothing but one audited refusal; a product is given once, even under races."""

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from handregen.audit.models import AuditEvent
from handregen.cellproducts.models import CellProduct, CustodyEvent
from handregen.checkcodes import ALPHABET, CHECK_ALPHABET, check_character
from handregen.consent.services import consent_withdraw
from handregen.errors import Forbidden, GuardRefused, InvalidInput
from handregen.pathway.models import Episode
from handregen.procedures.models import Injection
from handregen.procedures.selectors import last_injection
from handregen.procedures.services import injection_record
from tests.cellproducts.chain import harvested, processed, released, released_product


def inject(team, product: CellProduct, episode: Episode | None = None, **changes):
    episode = episode or product.episode
    actor = changes.pop("actor", team.physician)
    fields = {
        "product_code": product.code,
        "wristband_code": episode.patient.wristband_code,
        "joint": "CMC1",
        "side": "right",
        "guidance": "ultrasound",
        "anaesthetic": "lidocaine 1 % 1 mL",
        "volume_ml": 2.0,
    } | changes
    return injection_record(actor=actor, episode=episode, **fields)


def refused(team, product: CellProduct, episode: Episode | None = None, **changes) -> list[str]:
    """Attempt the injection; it must be refused, leave no injection or custody row, and audit one refusal."""
    episode = episode or product.episode
    custody_before = CustodyEvent.objects.count()
    injections_before = Injection.objects.count()
    refusals_before = AuditEvent.objects.filter(action="episode.injection", outcome="refused").count()
    done_before = AuditEvent.objects.filter(outcome="done").count()
    with pytest.raises(GuardRefused) as caught:
        inject(team, product, episode, **changes)
    assert Injection.objects.count() == injections_before
    assert CustodyEvent.objects.count() == custody_before
    assert AuditEvent.objects.filter(outcome="done").count() == done_before
    assert AuditEvent.objects.filter(action="episode.injection", outcome="refused").count() == refusals_before + 1
    episode.refresh_from_db()
    product.refresh_from_db()
    return caught.value.reasons


def test_a_verified_injection_is_recorded_and_consumes_the_product(make_episode, team):
    product = released_product(make_episode, team)
    injection = inject(team, product, product_code=product.product_code.eye_readable.lower())  # typed, spaced
    product.refresh_from_db()
    assert product.status == "administered" and product.administered_at == injection.performed_at
    assert (injection.joint, injection.side, injection.guidance, injection.operator) == (
        "CMC1",
        "right",
        "ultrasound",
        team.physician.user,
    )
    assert injection.verification["same_patient"] is True
    events = list(CustodyEvent.objects.filter(product=product).order_by("position").values_list("event", flat=True))
    assert events == ["collected", "received", "processed", "released", "dispensed", "administered"]
    episode = Episode.objects.get(pk=product.episode_id)
    assert episode.stage == "injected"
    assert last_injection(episode=episode) == injection
    assert AuditEvent.objects.filter(action="injection.record", outcome="done").count() == 1
    assert AuditEvent.objects.filter(action="episode.injection", outcome="done").count() == 1


def test_a_wrong_check_character_is_refused(make_episode, team):
    product = released_product(make_episode, team)
    wrong = CHECK_ALPHABET[(CHECK_ALPHABET.index(product.product_code.check) + 1) % 37]
    reasons = refused(team, product, product_code=product.din + wrong)
    assert reasons == [
        f"Product code '{product.din + wrong}' was not accepted: check character does not match: "
        "the code was mistyped or misread."
    ]
    assert product.status == "released"


def test_any_single_mistyped_character_of_the_product_code_is_refused(make_episode, team):
    product = released_product(make_episode, team)
    for position, original in enumerate(product.code):
        pool = CHECK_ALPHABET if position == len(product.code) - 1 else ALPHABET
        typo = pool[(pool.index(original) + 7) % len(pool)]
        scanned = product.code[:position] + typo + product.code[position + 1 :]
        reasons = refused(team, product, product_code=scanned)
        assert "not accepted" in reasons[0], scanned
    assert not Injection.objects.exists()


def test_an_unknown_product_is_refused(make_episode, team):
    product = released_product(make_episode, team)
    din = product.din[:-6] + "999999"
    reasons = refused(team, product, product_code=din + check_character(din))
    assert reasons == [f"No product {din + check_character(din)} is known at this site."]


def test_another_patients_product_is_refused(make_episode, team):
    mine = released_product(make_episode, team)
    theirs = released_product(make_episode, team)
    reasons = refused(team, mine, product_code=theirs.code)  # my episode, my wristband, their product
    assert reasons == [f"Product {theirs.code} was collected for another patient, not this patient: do not give it."]
    theirs.refresh_from_db()
    assert theirs.status == "released"


def test_another_patients_wristband_is_refused(make_episode, team):
    product = released_product(make_episode, team)
    other = make_episode()
    reasons = refused(team, product, wristband_code=other.patient.wristband_code)
    assert len(reasons) == 1 and reasons[0].startswith(f"The wristband scanned ({other.patient.wristband_code})")


def test_a_mistyped_wristband_is_refused(make_episode, team):
    product = released_product(make_episode, team)
    band = product.patient.wristband_code
    wrong = band[:-1] + CHECK_ALPHABET[(CHECK_ALPHABET.index(band[-1]) + 1) % 37]
    reasons = refused(team, product, wristband_code=wrong)
    assert "check character does not match" in reasons[0]


def test_an_unreleased_product_is_refused(make_episode, team):
    product = processed(harvested(make_episode(), team), team)
    reasons = refused(team, product)
    assert f"Product {product.code} has not been released by the lab." in reasons
    assert "needs the episode at released; it is at harvested" in reasons[0]


def test_an_expired_product_is_refused(make_episode, team, clock):
    product = released_product(make_episode, team)
    clock.advance(hours=6, seconds=1)
    reasons = refused(team, product)
    assert len(reasons) == 1 and reasons[0].startswith(f"Product {product.code} expired at ")
    assert product.status == "released"


def test_withdrawn_consent_refuses_the_injection(make_episode, team):
    product = released_product(make_episode, team)
    consent_withdraw(actor=team.nurse, episode=product.episode, reason="Patient called: does not want the injection")
    reasons = refused(team, product)
    assert len(reasons) == 1
    assert reasons[0].startswith("Consent was withdrawn on ") and "does not want the injection" in reasons[0]


def test_a_product_is_used_once(make_episode, team):
    product = released_product(make_episode, team)
    inject(team, product)
    product.refresh_from_db()
    reasons = refused(team, product)
    assert f"Product {product.code} was already administered" in " ".join(reasons)
    assert Injection.objects.count() == 1


def test_the_database_refuses_a_second_injection_row_for_a_product(make_episode, team):
    injection = inject(team, released_product(make_episode, team))
    duplicate = Injection(
        site=injection.site,
        episode=injection.episode,
        patient=injection.patient,
        product=injection.product,
        joint="CMC1",
        side="right",
        guidance="ultrasound",
        anaesthetic="none",
        volume_ml=1,
        operator=injection.operator,
        performed_at=injection.performed_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_wrong_side_or_joint_is_refused(make_episode, team):
    product = released_product(make_episode, team)
    reasons = refused(team, product, side="left", joint="PIP2")
    assert reasons == [
        "PIP2 is not a target joint of this episode (CMC1).",
        "This episode treats the right hand, not the left.",
    ]


def test_a_lab_technician_cannot_inject(make_episode, team):
    product = released_product(make_episode, team)
    with pytest.raises(Forbidden):
        inject(team, product, actor=team.lab)
    assert not Injection.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"volume_ml": -1}, "volume_ml"),
        ({"volume_ml": 50}, "volume_ml"),
        ({"guidance": "none"}, "guidance"),
        ({"joint": "KNEE"}, "joint"),
        ({"anaesthetic": " "}, "anaesthetic"),
    ],
)
def test_impossible_injection_values_are_invalid_input(make_episode, team, changes, field):
    product = released_product(make_episode, team)
    with pytest.raises(InvalidInput) as caught:
        inject(team, product, **changes)
    assert [f for f, _ in caught.value.errors] == [field]


def test_an_allogeneic_product_goes_only_to_its_intended_recipient(make_episode, team):
    from handregen.cellproducts.services import donor_register

    donor = donor_register(actor=team.physician, code="D-9", eligibility="eligible", eligibility_basis="all negative")
    product = released(
        harvested(make_episode(), team, origin="allogeneic", donor=donor.pk, approval_reference="IND 1"), team
    )
    other = released_product(make_episode, team)
    reasons = refused(team, other, product_code=product.code)
    assert reasons == [
        f"Product {product.code} was collected for another patient, not the intended recipient: do not give it."
    ]
    inject(team, product)


# --- concurrency -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_injections_of_the_last_product_give_exactly_one(make_episode, team):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks across connections: run scripts/with-postgres .venv/bin/pytest")
    product = released_product(make_episode, team)
    episode = product.episode
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    reasons: list[list[str]] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            inject(team, product, episode=Episode.objects.get(pk=episode.pk))
            result = "injected"
        except GuardRefused as refusal:
            result = "refused"
            with lock:
                reasons.append(refusal.reasons)
        except Exception as exc:  # anything else is a failure of the test, reported below
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["injected"] + ["refused"] * 19
    # Each loser waited for the winner's locks and then saw the committed state (not the unique-index backstop).
    for refusal in reasons:
        assert "it is at injected" in refusal[0]
        assert any(f"Product {product.code} was already administered" in r for r in refusal)
    assert Injection.objects.filter(product=product).count() == 1
    assert CustodyEvent.objects.filter(product=product, event="administered").count() == 1
    assert AuditEvent.objects.filter(action="episode.injection", outcome="refused").count() == 19
    assert AuditEvent.objects.filter(action="injection.record", outcome="done").count() == 1
