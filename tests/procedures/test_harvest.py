"""The harvest: guards of the pathway, donors for allogeneic products, impossible values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from handregen.audit.models import AuditEvent
from handregen.cellproducts.models import CellProduct, ProductSequence
from handregen.cellproducts.services import donor_eligibility_record, donor_register
from handregen.errors import Forbidden, GuardRefused, InvalidInput
from handregen.procedures.models import Harvest
from handregen.procedures.services import harvest_record
from tests.cellproducts.chain import BONE_MARROW, harvested, prepared


def test_a_harvest_is_recorded_with_its_details_and_audited(make_episode, team, clock):
    episode = prepared(make_episode(), team)
    clock.advance(hours=1)  # the harvest starts after the consent was signed
    start = timezone.now() - timedelta(minutes=40)
    end = timezone.now() - timedelta(minutes=10)
    record = harvest_record(
        actor=team.physician,
        episode=episode,
        **BONE_MARROW,
        started_at=start,
        ended_at=end,
        complications="small haematoma at the puncture site",
    )
    assert (record.operator, record.started_at, record.ended_at) == (team.physician.user, start, end)
    assert record.product.collected_at == end and record.product.expires_at == end + timedelta(hours=6)
    assert record.cycle == 1 and record.patient == episode.patient
    episode.refresh_from_db()
    assert episode.stage == "harvested"
    actions = list(AuditEvent.objects.filter(episode_id=episode.pk).order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["product.collect", "harvest.record", "episode.harvest"]


def test_a_harvest_before_the_episode_is_prepared_is_refused_and_audited(make_episode, team):
    episode = make_episode()
    with pytest.raises(GuardRefused) as caught:
        harvest_record(actor=team.physician, episode=episode, **BONE_MARROW)
    assert "needs the episode at prepared" in caught.value.reasons[0]
    assert not CellProduct.objects.exists() and not Harvest.objects.exists()
    assert not ProductSequence.objects.filter(last_sequence__gt=0).exists()  # no number was used up
    assert AuditEvent.objects.filter(action="episode.harvest", outcome="refused").count() == 1


def test_a_nurse_may_not_harvest(make_episode, team):
    episode = prepared(make_episode(), team)
    with pytest.raises(Forbidden):
        harvest_record(actor=team.nurse, episode=episode, **BONE_MARROW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"volume_ml": -10}, "volume_ml"),
        ({"volume_ml": 0}, "volume_ml"),
        ({"harvest_site": "abdomen"}, "harvest_site"),  # bone marrow comes from the iliac crest
        ({"source": "adipose", "harvest_site": "iliac_crest"}, "harvest_site"),
        ({"origin": "allogeneic"}, "donor_id"),
        ({"anaesthesia": "hypnosis"}, "anaesthesia"),
        ({"ended_at": timezone.now() + timedelta(hours=1)}, "ended_at"),
        ({"started_at": timezone.now(), "ended_at": timezone.now() - timedelta(hours=1)}, "started_at"),
    ],
)
def test_impossible_harvest_values_are_invalid_input(make_episode, team, changes, field):
    episode = prepared(make_episode(), team)
    with pytest.raises(InvalidInput) as caught:
        harvest_record(actor=team.physician, episode=episode, **(BONE_MARROW | changes))
    assert field in [f for f, _ in caught.value.errors]
    assert not CellProduct.objects.exists()


def test_an_allogeneic_harvest_needs_an_eligible_donor_and_an_approval(make_episode, team):
    episode = prepared(make_episode(), team)
    donor = donor_register(
        actor=team.physician,
        code="D-0001",
        eligibility="pending",
        eligibility_basis="Screening questionnaire done; serology pending",
    )
    allogeneic = BONE_MARROW | {"origin": "allogeneic", "donor": donor.pk}
    with pytest.raises(GuardRefused) as caught:
        harvest_record(actor=team.physician, episode=episode, **allogeneic)
    assert caught.value.reasons[0] == "Donor D-0001 is not documented as eligible (eligibility: pending)."
    assert "approval reference" in caught.value.reasons[1]
    donor_eligibility_record(
        actor=team.physician,
        donor=donor,
        eligibility="eligible",
        eligibility_basis="HIV, HBV, HCV, HTLV, syphilis negative (NAT and serology)",
    )
    record = harvest_record(actor=team.physician, episode=episode, **allogeneic, approval_reference="IND 0999")
    product = record.product
    assert (product.origin, product.donor, product.patient) == ("allogeneic", donor, episode.patient)
    assert product.regulatory_class == "investigational"


def test_an_autologous_harvest_takes_no_donor(make_episode, team):
    episode = prepared(make_episode(), team)
    donor = donor_register(actor=team.physician, code="D-2", eligibility="eligible", eligibility_basis="tests")
    with pytest.raises(InvalidInput):
        harvest_record(actor=team.physician, episode=episode, **BONE_MARROW, donor=donor.pk)


def test_an_adipose_harvest_from_the_abdomen(make_episode, team):
    product = harvested(
        make_episode(), team, source="adipose", harvest_site="abdomen", volume_ml=120, anaesthesia="local_sedation"
    )
    assert product.source == "adipose" and product.harvest.harvest_site == "abdomen"
