"""The chain of identity through API v1 (DESIGN.md §9): harvest, processing, release, product, injection."""

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp

from handregen.audit.models import AuditEvent
from handregen.cellproducts.identifiers import parse_scanned_code
from handregen.cellproducts.models import CustodyEvent
from handregen.procedures.models import Injection
from tests.cellproducts.chain import GOOD_PROCESSING, prepared
from tests.conftest import PASSWORD

HARVEST = {"source": "bone_marrow", "origin": "autologous", "volume_ml": 60, "harvest_site": "iliac_crest"}
PROCESSING = {
    k: GOOD_PROCESSING[k]
    for k in ("method", "output_volume_ml", "total_nucleated_cells", "viability_percent", "sterility_sample_taken")
}


@pytest.fixture
def clients(api, team):
    return {"physician": api("physician"), "lab": api("lab_technician"), "north_lab": api("lab_technician", "north")}


def harvest(clients, episode) -> dict:
    response = clients["physician"].post(f"/api/v1/episodes/{episode.pk}/harvest", HARVEST)
    assert response.status_code == 201, response.content
    return response.json()


def release_body(team) -> dict:
    return {"verifier_username": team.lab2.user.username, "verifier_password": PASSWORD, "password": PASSWORD}


def test_the_whole_chain_through_the_api(make_episode, team, clients):
    episode = prepared(make_episode(), team)
    body = harvest(clients, episode)
    assert body["stage"] == "harvested"
    code = parse_scanned_code(body["product_code"])  # identifier + check character, verifiable
    assert len(code.din) == 13 and body["product_code"] == code.din + code.check
    product_id = body["product_id"]

    response = clients["lab"].post(f"/api/v1/products/{product_id}/processing", PROCESSING)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processed"

    response = clients["lab"].post(f"/api/v1/products/{product_id}/release", release_body(team))
    assert response.status_code == 200, response.content
    released = response.json()
    assert released["status"] == "released" and released["expires_at"]
    assert released["release"]["verified_by"] == "Second Technician"

    episode_view = clients["physician"].get(f"/api/v1/episodes/{episode.pk}").json()
    assert episode_view["stage"] == "released"
    assert episode_view["current_product"] == {
        "id": product_id,
        "code": body["product_code"],
        "status": "released",
        "expires_at": released["expires_at"],
    }

    response = clients["physician"].post(
        f"/api/v1/episodes/{episode.pk}/injection",
        {
            "product_code": body["product_code"],
            "wristband_code": episode.patient.wristband_code,
            "joint": "CMC1",
            "side": "right",
            "guidance": "ultrasound",
            "anaesthetic": "lidocaine 1 % 1 mL",
            "volume_ml": 2,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["stage"] == "injected"

    detail = clients["lab"].get(f"/api/v1/products/{product_id}").json()
    assert detail["status"] == "administered"
    assert detail["results"]["processing"]["viability_percent"] == 88.5
    assert [c["code"] for c in detail["results"]["criteria"]] == [
        "viability",
        "cell_count",
        "volume",
        "time_since_harvest",
        "sterility_sample",
    ]
    assert [e["event"] for e in detail["custody"]] == [
        "collected",
        "received",
        "processed",
        "released",
        "dispensed",
        "administered",
    ]
    assert [e["position"] for e in detail["custody"]] == [1, 2, 3, 4, 5, 6]
    assert {e["by"] for e in detail["custody"][:1]} == {"physician.demo"}
    assert all(e["location"] and e["at"] for e in detail["custody"])

    timeline = clients["physician"].get(f"/api/v1/episodes/{episode.pk}/timeline").json()["items"]
    steps = [i["what"] for i in timeline if i["action"].split(".")[0] in ("product", "harvest", "injection")]
    assert steps == [
        "Cell product collected and identified",
        "Harvest recorded",
        "Cell product received in the lab",
        "Cell product processing recorded",
        "Cell product released (second person verified)",
        "Cell product administered",
        "Injection recorded after bedside verification",
    ]


def test_unmet_release_criteria_are_a_409_naming_each(make_episode, team, clients):
    product_id = harvest(clients, prepared(make_episode(), team))["product_id"]
    clients["lab"].post(
        f"/api/v1/products/{product_id}/processing", PROCESSING | {"viability_percent": 50, "total_nucleated_cells": 10}
    )
    response = clients["lab"].post(f"/api/v1/products/{product_id}/release", release_body(team))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    reasons = response.json()["reasons"]
    assert reasons == [
        "Viability at least 70 %: measured 50 %, below the minimum of 70 %.",
        "At least 1 million nucleated cells: measured 10 cells, below the minimum of 1,000,000 cells.",
    ]


def test_release_without_a_verifier_is_a_409(make_episode, team, clients):
    product_id = harvest(clients, prepared(make_episode(), team))["product_id"]
    clients["lab"].post(f"/api/v1/products/{product_id}/processing", PROCESSING)
    response = clients["lab"].post(f"/api/v1/products/{product_id}/release", {"password": PASSWORD})
    assert response.status_code == 409
    assert "second person must verify" in response.json()["reasons"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"viability_percent": 101}, "viability_percent"),
        ({"output_volume_ml": -1}, "output_volume_ml"),
        ({"total_nucleated_cells": -3}, "total_nucleated_cells"),
        ({"method": "magic"}, "method"),
    ],
)
def test_impossible_processing_values_are_a_422_naming_the_field(make_episode, team, clients, changes, field):
    product_id = harvest(clients, prepared(make_episode(), team))["product_id"]
    response = clients["lab"].post(f"/api/v1/products/{product_id}/processing", PROCESSING | changes)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"volume_ml": -5}, "volume_ml"),
        ({"source": "blood"}, "source"),
        ({"harvest_site": "abdomen"}, "harvest_site"),
        ({"origin": "allogeneic"}, "donor_id"),
    ],
)
def test_impossible_harvest_values_are_a_422(make_episode, team, clients, changes, field):
    episode = prepared(make_episode(), team)
    response = clients["physician"].post(f"/api/v1/episodes/{episode.pk}/harvest", HARVEST | changes)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_mismatched_injection_is_a_409_with_reasons_and_nothing_but_the_refusal(make_episode, team, clients):
    episode = prepared(make_episode(), team)
    product_id = harvest(clients, episode)["product_id"]
    clients["lab"].post(f"/api/v1/products/{product_id}/processing", PROCESSING)
    clients["lab"].post(f"/api/v1/products/{product_id}/release", release_body(team))
    other = make_episode()
    custody = CustodyEvent.objects.count()
    response = clients["physician"].post(
        f"/api/v1/episodes/{episode.pk}/injection",
        {
            "product_code": "X999999000001A",
            "wristband_code": other.patient.wristband_code,
            "joint": "CMC1",
            "side": "right",
            "guidance": "ultrasound",
            "anaesthetic": "none",
            "volume_ml": 2,
        },
    )
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert len(reasons) == 2 and "not accepted" in reasons[0] and "wristband" in reasons[1]
    assert not Injection.objects.exists() and CustodyEvent.objects.count() == custody
    assert AuditEvent.objects.filter(action="episode.injection", outcome="refused").count() == 1


def test_a_lab_technician_cannot_inject_through_the_api(make_episode, team, clients):
    episode = prepared(make_episode(), team)
    response = clients["lab"].post(
        f"/api/v1/episodes/{episode.pk}/injection",
        {
            "product_code": "X",
            "wristband_code": "W",
            "joint": "CMC1",
            "side": "right",
            "guidance": "ultrasound",
            "anaesthetic": "none",
            "volume_ml": 1,
        },
    )
    assert response.status_code == 403


def test_another_sites_product_is_404(make_episode, team, clients):
    product_id = harvest(clients, prepared(make_episode(), team))["product_id"]
    assert clients["north_lab"].get(f"/api/v1/products/{product_id}").status_code == 404
    assert clients["north_lab"].get(f"/api/v1/products/{product_id}/label.pdf").status_code == 404
    assert clients["north_lab"].post(f"/api/v1/products/{product_id}/processing", PROCESSING).status_code == 404


def test_a_product_is_found_by_its_scanned_code_and_a_mistyped_one_is_422(make_episode, team, clients):
    body = harvest(clients, prepared(make_episode(), team))
    found = clients["lab"].get("/api/v1/products", code=body["product_code"].lower()).json()
    assert found["items"][0]["id"] == body["product_id"]
    code = body["product_code"]
    typo = code[:3] + ("1" if code[3] != "1" else "2") + code[4:]
    assert clients["lab"].get("/api/v1/products", code=typo).status_code == 422
    assert clients["lab"].get("/api/v1/products").json()["count"] == 1


def barcodes(pdf: bytes) -> list[tuple[str, str]]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil()
    return [(found.format.name, found.text) for found in zxingcpp.read_barcodes(image)]


def test_the_label_pdf_shows_the_identifier_and_its_barcode_decodes_back_to_it(make_episode, team, clients):
    episode = prepared(make_episode(), team)
    body = harvest(clients, episode)
    response = clients["lab"].get(f"/api/v1/products/{body['product_id']}/label.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    code = parse_scanned_code(body["product_code"])
    assert code.eye_readable.replace(" ", "") in text.replace(" ", "").replace("\n", "")
    for shown in (episode.patient.mrn, "Tyler", "1958-04-01", "NOT RELEASED", "Bone marrow"):
        assert shown in text
    assert barcodes(pdf) == [("Code128", body["product_code"])]
    assert AuditEvent.objects.filter(action="product.label_print").count() == 1


def test_the_wristband_pdf_decodes_to_the_patients_wristband_code(make_episode, clients):
    patient = make_episode().patient
    response = clients["physician"].get(f"/api/v1/patients/{patient.pk}/wristband.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert barcodes(response.content) == [("Code128", patient.wristband_code)]
    assert clients["north_lab"].get(f"/api/v1/patients/{patient.pk}/wristband.pdf").status_code == 404


def test_donors_are_recorded_through_the_api(clients, make_episode, team):
    response = clients["physician"].post(
        "/api/v1/donors", {"code": "D-100", "eligibility": "eligible", "eligibility_basis": "NAT and serology negative"}
    )
    assert response.status_code == 201
    donor_id = response.json()["id"]
    episode = prepared(make_episode(), team)
    response = clients["physician"].post(
        f"/api/v1/episodes/{episode.pk}/harvest",
        HARVEST | {"origin": "allogeneic", "donor_id": donor_id, "approval_reference": "IND 42"},
    )
    assert response.status_code == 201
    product = clients["lab"].get(f"/api/v1/products/{response.json()['product_id']}").json()
    assert (product["origin"], product["donor_id"], product["regulatory_class"]) == (
        "allogeneic",
        donor_id,
        "investigational",
    )


def test_the_openapi_document_lists_the_chain_endpoints(api):
    paths = api().client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/episodes/{episode_id}/harvest",
        "/api/v1/products/{product_id}/processing",
        "/api/v1/products/{product_id}/release",
        "/api/v1/products/{product_id}",
        "/api/v1/episodes/{episode_id}/injection",
        "/api/v1/products/{product_id}/label.pdf",
        "/api/v1/patients/{patient_id}/wristband.pdf",
    ):
        assert path in paths
