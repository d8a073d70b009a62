"""Identifiers, processing, release and custody of cell products (services on a real database)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from handregen.audit.models import AuditEvent
from handregen.cellproducts.identifiers import parse_scanned_code
from handregen.cellproducts.models import CellProduct, CustodyEvent, ProcessingRecord, ProductSequence, ReleaseDecision
from handregen.cellproducts.services import (
    processing_record,
    product_code_allocate,
    product_discard,
    product_policy_set,
    product_receive,
    product_release,
)
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound, RecordProtected
from handregen.pathway.models import Episode
from handregen.pathway.services import episode_withdraw
from tests.cellproducts.chain import GOOD_PROCESSING, harvested, processed, released
from tests.conftest import PASSWORD, signing


def custody(product: CellProduct) -> list[str]:
    return list(CustodyEvent.objects.filter(product=product).order_by("position").values_list("event", flat=True))


def refusals(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome="refused"))


# --- identifiers -------------------------------------------------------------------------------------


def test_identifiers_count_up_per_facility_and_year_and_carry_a_valid_check_character(demo_site, north_site):
    now = timezone.now()
    with transaction.atomic():
        first = product_code_allocate(site=demo_site)
        second = product_code_allocate(site=demo_site)
        north = product_code_allocate(site=north_site)
    assert first.facility == "X9999" and north.facility == "X9998"
    assert first.year == f"{now.year % 100:02d}"
    assert (first.sequence, second.sequence, north.sequence) == (1, 2, 1)
    assert parse_scanned_code(second.scanned) == second


def test_a_number_given_out_is_never_given_again_even_in_a_later_year(demo_site):
    with transaction.atomic():
        codes = {product_code_allocate(site=demo_site).din for _ in range(5)}
    assert len(codes) == 5
    counter = ProductSequence.objects.get(facility_code="X9999")
    assert counter.last_sequence == 5
    with transaction.atomic():
        later = product_code_allocate(site=demo_site, now=timezone.now() + timedelta(days=366))
    assert later.sequence == 1 and later.din not in codes  # a new year: the year digits differ


def test_a_used_up_year_is_refused_rather_than_wrapping_around(demo_site):
    with transaction.atomic():
        product_code_allocate(site=demo_site)
        counter = ProductSequence.objects.get(facility_code="X9999")
        counter.last_sequence = 999_999
        counter.save()
    with transaction.atomic(), pytest.raises(ValueError, match="used up"):
        product_code_allocate(site=demo_site)


# --- harvest creates the product ---------------------------------------------------------------------


def test_the_harvest_creates_a_collected_product_with_expiry_from_the_protocol(make_episode, team):
    product = harvested(make_episode(), team)
    assert product.status == "collected"
    assert parse_scanned_code(product.code).din == product.din
    assert product.expires_at - product.collected_at == timedelta(hours=6)  # protocol: 6 h after harvest
    assert custody(product) == ["collected"]
    assert product.episode.stage == "harvested"
    event = CustodyEvent.objects.get(product=product)
    assert (event.actor, event.actor_role, event.location) == (team.physician.user, "physician", "Procedure room")


# --- processing --------------------------------------------------------------------------------------


def test_processing_records_the_results_and_receives_the_product_on_the_way(make_episode, team):
    product = processed(harvested(make_episode(), team), team, markers={"CD34_percent": 1.5})
    record = ProcessingRecord.objects.get(product=product)
    assert (record.viability_percent, record.total_nucleated_cells, record.markers) == (
        Decimal("88.50"),
        25_000_000,
        {"CD34_percent": 1.5},
    )
    assert record.technician == team.lab.user
    assert product.status == "processed"
    assert custody(product) == ["collected", "received", "processed"]
    assert product.regulatory_class == "same_procedure_autologous"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"viability_percent": 100.5}, "viability_percent"),
        ({"viability_percent": -1}, "viability_percent"),
        ({"output_volume_ml": -2}, "output_volume_ml"),
        ({"output_volume_ml": 0}, "output_volume_ml"),
        ({"total_nucleated_cells": -5}, "total_nucleated_cells"),
        ({"total_nucleated_cells": 1.5}, "total_nucleated_cells"),
        ({"method": "enzymatic_svf"}, "method"),  # not a method for bone marrow
        ({"ended_at": timezone.now() + timedelta(hours=2)}, "ended_at"),
    ],
)
def test_impossible_processing_values_are_invalid_input_and_nothing_is_written(make_episode, team, changes, field):
    product = harvested(make_episode(), team)
    with pytest.raises(InvalidInput) as caught:
        processing_record(actor=team.lab, product=product, **(GOOD_PROCESSING | changes))
    assert field in [f for f, _ in caught.value.errors]
    assert not ProcessingRecord.objects.exists()
    assert custody(product) == ["collected"]


def test_a_physician_may_not_record_processing(make_episode, team):
    product = harvested(make_episode(), team)
    with pytest.raises(Forbidden):
        processing_record(actor=team.physician, product=product, **GOOD_PROCESSING)


def test_a_correction_needs_a_reason_and_keeps_the_earlier_values_in_the_audit(make_episode, team):
    product = processed(harvested(make_episode(), team), team)
    with pytest.raises(GuardRefused, match="give a reason"):
        processing_record(actor=team.lab, product=product, **(GOOD_PROCESSING | {"viability_percent": 78}))
    processing_record(
        actor=team.lab,
        product=product,
        **(GOOD_PROCESSING | {"viability_percent": 78}),
        correction_reason="typed 88.5 instead of 78",
    )
    record = ProcessingRecord.objects.get(product=product)
    assert (record.viability_percent, record.version) == (Decimal("78.00"), 2)
    event = AuditEvent.objects.filter(action="product.processing", outcome="done").order_by("-seq").first()
    assert event.changes["viability_percent"] == ["88.50", "78"]
    assert event.reason == "typed 88.5 instead of 78"


def test_a_class_the_site_blocks_needs_an_approval_reference(make_episode, team):
    adipose = {"source": "adipose", "harvest_site": "abdomen", "volume_ml": 120}
    product = harvested(make_episode(), team, **adipose)
    svf = GOOD_PROCESSING | {"method": "enzymatic_svf"}
    with pytest.raises(GuardRefused) as caught:
        processing_record(actor=team.lab, product=product, **svf)
    assert "approval reference" in caught.value.reasons[0]
    assert not ProcessingRecord.objects.exists() and custody(product) == ["collected"]
    assert len(refusals("product.processing")) == 1
    processing_record(actor=team.lab, product=product, **svf, approval_reference="IND 0123456")
    product.refresh_from_db()
    assert (product.regulatory_class, product.approval_reference) == ("investigational", "IND 0123456")


def test_a_site_may_set_a_policy_that_blocks_no_class(make_episode, team, persona):
    product_policy_set(actor=persona("site_admin"), classes_needing_approval=[])
    product = harvested(make_episode(), team, source="adipose", harvest_site="thigh")
    processing_record(actor=team.lab, product=product, **GOOD_PROCESSING | {"method": "mechanical_microfragmentation"})
    product.refresh_from_db()
    assert product.regulatory_class == "investigational" and product.approval_reference == ""


def test_receipt_is_recorded_once(make_episode, team):
    product = harvested(make_episode(), team)
    product_receive(actor=team.lab, product=product, location="Lab bench 2")
    with pytest.raises(GuardRefused):
        product_receive(actor=team.lab, product=product)
    assert custody(product) == ["collected", "received"]
    assert CustodyEvent.objects.get(product=product, event="received").location == "Lab bench 2"


# --- release -----------------------------------------------------------------------------------------


def test_release_records_both_people_the_criteria_and_moves_the_episode(make_episode, team):
    product = released(harvested(make_episode(), team), team)
    assert product.status == "released" and product.released_at is not None
    decision = ReleaseDecision.objects.get(product=product)
    assert (decision.released_by, decision.verified_by) == (team.lab.user, team.lab2.user)
    assert decision.expires_at == product.expires_at
    assert all(c["met"] for c in decision.criteria) and len(decision.criteria) == 5
    assert not decision.exceptional
    assert Episode.objects.get(pk=product.episode_id).stage == "released"
    assert custody(product) == ["collected", "received", "processed", "released"]
    assert AuditEvent.objects.filter(action="product.release", outcome="done").count() == 1
    assert AuditEvent.objects.filter(action="episode.release", outcome="done").count() == 1


def test_each_unmet_criterion_refuses_the_release_with_its_reason(make_episode, team):
    product = processed(harvested(make_episode(), team), team, viability_percent=61, sterility_sample_taken=False)
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify())
    assert caught.value.reasons == [
        "Viability at least 70 %: measured 61 %, below the minimum of 70 %.",
        "Sterility culture sample taken (its result may arrive after injection): recorded no.",
    ]
    product.refresh_from_db()
    assert product.status == "processed" and not ReleaseDecision.objects.exists()
    assert custody(product) == ["collected", "received", "processed"]
    (refusal,) = refusals("episode.release")
    assert refusal.object_id == str(product.pk) and "Viability" in refusal.reason
    assert refusal.episode_id == product.episode_id


def test_a_product_past_the_time_limit_is_not_released(make_episode, team, clock):
    product = processed(harvested(make_episode(), team), team)
    clock.advance(hours=6, minutes=1)
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify())
    assert any("expired at" in r for r in caught.value.reasons)
    assert any("Released within 4 hours of harvest" in r for r in caught.value.reasons)


def test_release_before_processing_is_refused(make_episode, team):
    product = harvested(make_episode(), team)
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify())
    assert "no processing record" in caught.value.reasons[0]


def test_release_needs_a_verifier(make_episode, team):
    product = processed(harvested(make_episode(), team), team)
    with pytest.raises(GuardRefused) as caught:
        product_release(
            actor=team.lab, product=product, verifier_username="", verifier_password="", **signing(team.lab)
        )
    assert caught.value.reasons == [
        "A second person must verify the release: give the verifier's username and password."
    ]


def test_the_verifier_must_be_a_second_person(make_episode, team):
    product = processed(harvested(make_episode(), team), team)
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify(team.lab))
    assert caught.value.reasons == ["The verifier must be a second person, not the one who releases the product."]


@pytest.mark.parametrize("who", ["wrong password", "nurse", "other site", "unknown"])
def test_the_verifier_must_sign_with_their_password_and_may_verify_here(make_episode, team, persona, who):
    product = processed(harvested(make_episode(), team), team)
    credentials = {
        "wrong password": {"verifier_username": team.lab2.user.username, "verifier_password": "not it"},
        "nurse": {"verifier_username": persona("nurse").user.username, "verifier_password": PASSWORD},
        "other site": {
            "verifier_username": persona("lab_technician", "north").user.username,
            "verifier_password": PASSWORD,
        },
        "unknown": {"verifier_username": "nobody", "verifier_password": PASSWORD},
    }[who]
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **credentials, **signing(team.lab))
    assert len(caught.value.reasons) == 1
    assert "verif" in caught.value.reasons[0]


def test_a_physician_cannot_release_a_product(make_episode, team):
    product = processed(harvested(make_episode(), team), team)
    with pytest.raises(Forbidden):
        product_release(actor=team.physician, product=product, **team.verify())


def test_a_physician_may_verify_a_release(make_episode, team):
    product = processed(harvested(make_episode(), team), team)
    product_release(actor=team.lab, product=product, **team.verify(team.physician))
    assert ReleaseDecision.objects.get(product=product).verified_by_role == "physician"


def test_a_product_is_released_once(make_episode, team):
    product = released(harvested(make_episode(), team), team)
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify())
    assert "already released" in caught.value.reasons[0]


def test_another_sites_product_is_not_found(make_episode, team, persona):
    product = processed(harvested(make_episode(), team), team)
    with pytest.raises(NotFound):
        product_release(actor=persona("lab_technician", "north"), product=product, **team.verify())


# --- exceptional release -----------------------------------------------------------------------------

JUSTIFICATION = "Second harvest not possible (anticoagulation); viability 65 % judged acceptable for this patient."


def test_an_exceptional_release_needs_a_physician_verifier_and_is_flagged(make_episode, team):
    product = processed(harvested(make_episode(), team), team, viability_percent=65)
    with pytest.raises(GuardRefused) as caught:  # a technician as verifier is not enough
        product_release(actor=team.lab, product=product, **team.verify(), exceptional_justification=JUSTIFICATION)
    assert "physician as the verifier" in caught.value.reasons[-1]
    product_release(
        actor=team.lab, product=product, **team.verify(team.physician), exceptional_justification=JUSTIFICATION
    )
    product.refresh_from_db()
    assert product.status == "released" and product.exceptional_release
    decision = ReleaseDecision.objects.get(product=product)
    assert decision.exceptional and decision.justification == JUSTIFICATION
    assert [c["code"] for c in decision.criteria if not c["met"]] == ["viability"]
    event = AuditEvent.objects.get(action="product.exceptional_release")
    assert event.reason == JUSTIFICATION and event.changes["criteria_failed"][1][0].startswith("Viability")
    assert "EXCEPTIONAL RELEASE" in CustodyEvent.objects.get(product=product, event="released").note


def test_an_exceptional_release_needs_a_real_justification(make_episode, team):
    product = processed(harvested(make_episode(), team), team, viability_percent=65)
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, **team.verify(team.physician), exceptional_justification="ok")
    assert "justification" in caught.value.reasons[-1]


def test_exceptional_release_does_not_override_expiry(make_episode, team, clock):
    product = processed(harvested(make_episode(), team), team, viability_percent=65)
    clock.advance(hours=7)
    with pytest.raises(GuardRefused) as caught:
        product_release(
            actor=team.lab, product=product, **team.verify(team.physician), exceptional_justification=JUSTIFICATION
        )
    assert any("expired" in r for r in caught.value.reasons)


# --- custody and discard -----------------------------------------------------------------------------


def test_custody_events_cannot_be_changed_or_deleted(make_episode, team):
    product = harvested(make_episode(), team)
    event = CustodyEvent.objects.get(product=product)
    event.location = "elsewhere"
    with pytest.raises(RecordProtected):
        event.save()
    with pytest.raises(RecordProtected):
        CustodyEvent.objects.filter(pk=event.pk).update(location="elsewhere")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cellproducts_custodyevent SET location = 'elsewhere'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cellproducts_custodyevent")
    assert CustodyEvent.objects.get(pk=event.pk).location == "Procedure room"


def test_a_withdrawn_episodes_product_is_not_processed_but_can_be_discarded(make_episode, team):
    product = harvested(make_episode(), team)
    episode_withdraw(actor=team.physician, episode=product.episode, reason="patient changed their mind")
    with pytest.raises(GuardRefused, match="processed while it is at harvested"):
        processing_record(actor=team.lab, product=product, **GOOD_PROCESSING)
    with pytest.raises(InvalidInput):
        product_discard(actor=team.lab, product=product, reason=" ")
    product_discard(actor=team.lab, product=product, reason="episode withdrawn")
    assert custody(product) == ["collected", "discarded"]
    with pytest.raises(GuardRefused, match="The product is discarded; it cannot be discarded now"):
        product_discard(actor=team.lab, product=product, reason="again")
