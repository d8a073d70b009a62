"""Lab and procedure-room pages: forms with labels, refusals shown next to the form, scan fields."""

import pytest
from django.test import Client

from handregen.cellproducts.models import CellProduct
from handregen.procedures.models import Injection
from tests.cellproducts.chain import harvested, prepared, processed, released
from tests.conftest import PASSWORD, signing, verified_client


@pytest.fixture
def signed_in(persona, team):
    def make(role: str = "physician") -> Client:
        return verified_client(persona(role))

    return make


def test_the_lab_worklist_lists_products_in_the_lab_and_finds_one_by_scan(make_episode, team, signed_in):
    product = harvested(make_episode(), team)
    client = signed_in("lab_technician")
    page = client.get("/lab/")
    text = page.content.decode()
    assert page.status_code == 200
    assert product.code in text and "Tyler, Rose" in text and 'data-scan="1"' in text
    found = client.get("/lab/", {"code": product.product_code.eye_readable})
    assert found.status_code == 302 and found["Location"] == f"/lab/products/{product.pk}/"
    typo = product.code[:-1] + ("A" if product.code[-1] != "A" else "B")
    assert "check character does not match" in client.get("/lab/", {"code": typo}).content.decode()


def test_the_episode_page_leads_to_the_harvest_page_and_the_harvest_creates_a_product(make_episode, team, signed_in):
    episode = prepared(make_episode(), team)
    client = signed_in()
    assert f"/episodes/{episode.pk}/harvest/" in client.get(f"/episodes/{episode.pk}/").content.decode()
    form = client.get(f"/episodes/{episode.pk}/harvest/").content.decode()
    assert '<label for="id_volume_ml">Volume harvested (mL)' in form
    response = client.post(
        f"/episodes/{episode.pk}/harvest/",
        {
            "source": "bone_marrow",
            "origin": "autologous",
            "harvest_site": "iliac_crest",
            "volume_ml": "60",
            "anaesthesia": "local",
        },
    )
    product = CellProduct.objects.get(episode=episode)
    assert response.status_code == 302 and response["Location"] == f"/lab/products/{product.pk}/"


def test_processing_and_release_on_the_lab_pages_with_a_refusal_shown(make_episode, team, signed_in):
    product = harvested(make_episode(), team)
    client = signed_in("lab_technician")
    page = client.get(f"/lab/products/{product.pk}/").content.decode()
    assert "Record processing" in page and "Chain of custody" in page and "Collected" in page
    response = client.post(
        f"/lab/products/{product.pk}/processing/",
        {
            "method": "centrifugation_concentrate",
            "output_volume_ml": "3",
            "total_nucleated_cells": "20000000",
            "viability_percent": "64",
            "sterility_sample_taken": "on",
            "regulatory_class": "same_procedure_autologous",
        },
    )
    assert response.status_code == 302
    refused = client.post(
        f"/lab/products/{product.pk}/release/",
        {"verifier_username": team.lab2.user.username, "verifier_password": PASSWORD} | signing(team.lab),
    )
    text = refused.content.decode()
    assert refused.status_code == 200
    assert "This step was refused" in text and "measured 64 %, below the minimum of 70 %" in text
    client.post(
        f"/lab/products/{product.pk}/processing/",
        {
            "method": "centrifugation_concentrate",
            "output_volume_ml": "3",
            "total_nucleated_cells": "20000000",
            "viability_percent": "84",
            "sterility_sample_taken": "on",
            "correction_reason": "read from the wrong slide",
            "regulatory_class": "same_procedure_autologous",
        },
    )
    done = client.post(
        f"/lab/products/{product.pk}/release/",
        {"verifier_username": team.lab2.user.username, "verifier_password": PASSWORD} | signing(team.lab),
    )
    assert done.status_code == 302
    product.refresh_from_db()
    assert product.status == "released"
    detail = client.get(f"/lab/products/{product.pk}/").content.decode()
    assert "verified by Second Technician" in detail and "Released" in detail


def test_impossible_processing_values_are_shown_on_the_form(make_episode, team, signed_in):
    product = harvested(make_episode(), team)
    response = signed_in("lab_technician").post(
        f"/lab/products/{product.pk}/processing/",
        {
            "method": "centrifugation_concentrate",
            "output_volume_ml": "-1",
            "total_nucleated_cells": "1",
            "viability_percent": "120",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100" in text
    assert "Ensure this value is greater than or equal to 0.01" in text


def test_the_injection_page_has_two_scan_fields_and_records_a_verified_injection(make_episode, team, signed_in):
    product = released(harvested(make_episode(), team), team)
    episode = product.episode
    client = signed_in()
    form = client.get(f"/episodes/{episode.pk}/injection/").content.decode()
    assert 'name="product_code"' in form and "autofocus" in form and form.count('data-scan="1"') == 2
    assert "cellproducts/scan.js" in form
    data = {
        "product_code": product.code,
        "wristband_code": "W23456789AB4",
        "joint": "CMC1",
        "side": "right",
        "guidance": "ultrasound",
        "anaesthetic": "none",
        "volume_ml": "2",
    }
    refused = client.post(f"/episodes/{episode.pk}/injection/", data)
    assert "This step was refused" in refused.content.decode() and not Injection.objects.exists()
    done = client.post(f"/episodes/{episode.pk}/injection/", data | {"wristband_code": episode.patient.wristband_code})
    assert done.status_code == 302 and Injection.objects.count() == 1


def test_a_lab_technician_sees_no_release_button_before_processing(make_episode, team, signed_in):
    product = harvested(make_episode(), team)
    page = signed_in("lab_technician").get(f"/lab/products/{product.pk}/").content.decode()
    assert f"/lab/products/{product.pk}/release/" not in page
    processed(product, team)
    page = signed_in("lab_technician").get(f"/lab/products/{product.pk}/").content.decode()
    assert f"/lab/products/{product.pk}/release/" in page


def test_label_and_wristband_pdfs_from_the_pages(make_episode, team, signed_in):
    product = harvested(make_episode(), team)
    client = signed_in()
    assert client.get(f"/lab/products/{product.pk}/label.pdf")["Content-Type"] == "application/pdf"
    assert client.get(f"/patients/{product.patient_id}/wristband.pdf")["Content-Type"] == "application/pdf"


def test_another_sites_product_page_is_not_found(make_episode, team, persona):
    product = harvested(make_episode(), team)
    client = verified_client(persona("lab_technician", "north"))
    assert client.get(f"/lab/products/{product.pk}/").status_code == 404
    assert client.get(f"/patients/{product.patient_id}/wristband.pdf").status_code == 404


def test_the_lab_worklist_does_not_grow_queries_with_more_products(make_episode, team, signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in("lab_technician")
    harvested(make_episode(), team)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/lab/").status_code == 200
        return len(captured.captured_queries)

    client.get("/lab/")  # warm: the session's activity stamp is renewed at most once a minute
    few = count()
    for _ in range(3):
        processed(harvested(make_episode(), team), team)
    assert count() == few
