"""The product's numbers agree: what is injected fits what was processed and what the protocol allows; the
injection's details are shown where staff look; a regulatory class against the site's policy is justified and
verified by a second person."""

from __future__ import annotations

import re

import pytest

from handregen.audit.models import AuditEvent
from handregen.cellproducts.models import CustodyEvent
from handregen.cellproducts.services import processing_record
from handregen.errors import GuardRefused
from handregen.pathway.protocol import parse_protocol
from handregen.pathway.services import protocol_sync_shipped
from handregen.procedures.models import Injection
from handregen.procedures.services import injection_record
from tests.cellproducts.chain import GOOD_PROCESSING, harvested, processed, released
from tests.conftest import PASSWORD
from tests.state import database_state

ADIPOSE = {"source": "adipose", "harvest_site": "abdomen", "volume_ml": 120}
SVF = GOOD_PROCESSING | {"method": "enzymatic_svf"}


def _inject(product, team, **changes):
    episode = product.episode
    fields = {
        "joint": episode.target_joints[0],
        "side": episode.side,
        "guidance": "ultrasound",
        "anaesthetic": "lidocaine 1 % 1 mL",
        "volume_ml": 2.0,
    } | changes
    return injection_record(
        actor=team.physician,
        episode=episode,
        product_code=product.code,
        wristband_code=episode.patient.wristband_code,
        **fields,
    )


def _refused(product, team, **changes) -> list[str]:
    before = database_state()
    with pytest.raises(GuardRefused) as caught:
        _inject(product, team, **changes)
    assert database_state() == before  # only the refusal is audited
    return caught.value.reasons


# --- volumes ---------------------------------------------------------------------------------------------


def test_ten_millilitres_from_a_three_millilitre_product_is_refused(make_episode, team):
    product = released(
        processed(harvested(make_episode(target_joints=["RADIOCARPAL"]), team), team, output_volume_ml=3.0), team
    )
    reasons = _refused(product, team, joint="RADIOCARPAL", volume_ml=10)
    rule = "Volume rule 'no more than the product holds': 10 mL is more than product"
    assert any(r.startswith(rule) for r in reasons)
    assert any("3 mL processed, 0 mL given earlier, 3 mL left" in r for r in reasons)


def test_more_than_the_protocol_allows_into_the_joint_is_refused_even_when_the_product_holds_it(make_episode, team):
    product = released(processed(harvested(make_episode(), team), team, output_volume_ml=4.0), team)
    reasons = _refused(product, team, joint="CMC1", volume_ml=3.0)
    assert reasons == [
        "Volume rule 'protocol maximum per joint': the protocol allows at most 2.5 mL into CMC1, not 3 mL. "
        "Give no more than 2.5 mL."
    ]


def test_the_whole_product_within_the_joints_limit_is_accepted(make_episode, team):
    product = released(processed(harvested(make_episode(), team), team, output_volume_ml=2.5), team)
    assert _inject(product, team, volume_ml=2.5).volume_ml == 2.5


def test_a_protocol_may_set_its_own_limits_per_joint_or_family():
    document = protocol_document()
    document["product"]["max_injection_ml"] = {"PIP": 0.8, "CMC1": 1.5}
    protocol = parse_protocol(document)
    assert (protocol.max_injection_ml("PIP3"), protocol.max_injection_ml("CMC1")) == (0.8, 1.5)
    assert protocol.max_injection_ml("RADIOCARPAL") == 4.0  # the shipped clinic parameter
    assert protocol.max_injection_ml("DIP2") == 1.0


def protocol_document() -> dict:
    import copy

    from handregen.pathway.protocol import shipped_protocol_documents

    return copy.deepcopy(shipped_protocol_documents()[0])


# --- the injection shown where staff look ---------------------------------------------------------------


def test_the_injection_is_shown_on_the_episode_page_the_product_page_and_in_the_custody_history(
    make_episode, team, signed_in
):
    product = released(harvested(make_episode(), team), team)
    _inject(product, team, anaesthetic="lidocaine 1 % 0.5 mL", volume_ml=1.5)
    client = signed_in("physician")
    for url in (f"/episodes/{product.episode_id}/", f"/lab/products/{product.pk}/"):
        text = re.sub(r"\s+", " ", client.get(url).content.decode())
        assert "<h2" in text and ">Injection</h2>" in text, url
        assert "CMC1, right hand" in text and "1.5 mL of 3 mL processed" in text, url
        assert "Ultrasound" in text and "lidocaine 1 % 0.5 mL" in text, url
    note = CustodyEvent.objects.get(product=product, event="administered").note
    assert "CMC1, right hand, 1.5 mL, ultrasound guidance, anaesthetic: lidocaine 1 % 0.5 mL" in note


# --- regulatory class against the site's policy --------------------------------------------------------


def _svf_product(make_episode, team):
    return harvested(make_episode(), team, **ADIPOSE)


def _class_change(team, product, **changes):
    fields = SVF | {"regulatory_class": "minimally_manipulated_homologous"} | changes
    return processing_record(actor=team.lab, product=product, **fields)


def test_a_class_avoiding_the_policys_approval_without_justification_or_verifier_is_refused(make_episode, team):
    product = _svf_product(make_episode, team)
    before = database_state()
    with pytest.raises(GuardRefused) as caught:
        _class_change(team, product)
    reasons = caught.value.reasons
    assert any("Regulatory class rule" in r and "needs a written justification" in r for r in reasons)
    assert any("needs a second person to verify it" in r for r in reasons)
    assert database_state() == before


def test_the_technician_cannot_verify_their_own_class_choice(make_episode, team):
    product = _svf_product(make_episode, team)
    with pytest.raises(GuardRefused) as caught:
        _class_change(
            team,
            product,
            class_justification="Mechanical only in our validated process, no enzyme",
            class_verifier_username=team.lab.user.username,
            class_verifier_password=PASSWORD,
        )
    assert "The verifier must be a second person, not the one who records the class." in caught.value.reasons


def test_a_justified_and_verified_class_change_is_recorded_shown_and_audited(make_episode, team, signed_in):
    product = _svf_product(make_episode, team)
    justification = "Site validation report VR-12: the kit's digestion step is not used for this product"
    _class_change(
        team,
        product,
        class_justification=justification,
        class_verifier_username=team.lab2.user.username,
        class_verifier_password=PASSWORD,
    )
    product.refresh_from_db()
    assert product.regulatory_class == "minimally_manipulated_homologous"
    assert (product.class_justification, product.class_verified_by) == (justification, team.lab2.user)
    event = AuditEvent.objects.filter(action="product.processing", object_id=str(product.pk)).latest("seq")
    assert event.reason == justification and event.changes["class_verified_by"] == [None, team.lab2.user.username]
    page = signed_in("lab_technician").get(f"/lab/products/{product.pk}/").content.decode()
    assert "Chosen against the site's policy" in page and "Second Technician" in page


def test_the_class_the_policy_gives_needs_no_second_person(make_episode, team):
    product = _svf_product(make_episode, team)
    processing_record(
        actor=team.lab, product=product, **SVF, regulatory_class="investigational", approval_reference="IND 012345"
    )
    product.refresh_from_db()
    assert product.regulatory_class == "investigational" and product.class_verified_by is None


def test_the_processing_form_starts_without_a_class_and_says_which_ones_need_an_approval(make_episode, team, signed_in):
    protocol_sync_shipped()
    product = _svf_product(make_episode, team)
    page = signed_in("lab_technician").get(f"/lab/products/{product.pk}/processing/").content.decode()
    select = re.search(r'<select name="regulatory_class".*?</select>', page, re.S)
    assert select is not None and "selected" not in select.group(0).replace('<option value="" selected>', "")
    assert "needs an approval reference at this site" in select.group(0)
    assert "Enzymatic stromal vascular fraction" in page and "needed before processing is recorded" in page
    assert not Injection.objects.exists()
