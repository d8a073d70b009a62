"""A server error shows a generic page with a correlation id; neither the page nor the log carries PHI."""

import logging

import pytest

CANARY = "Canarysurname-7731"


@pytest.fixture
def failing_patient_page(monkeypatch):
    import handregen.web.views as views

    def explode(**kwargs):
        raise RuntimeError(f"lookup failed for {CANARY}")

    monkeypatch.setattr(views, "patient_search", explode)


def test_a_failing_page_answers_500_with_a_correlation_id_and_no_phi(signed_in, failing_patient_page, caplog):
    client = signed_in()
    client.raise_request_exception = False
    with caplog.at_level(logging.DEBUG):
        response = client.post("/patients/", {"q": CANARY}, follow=True)
    body = response.content.decode()
    assert response.status_code == 500
    assert response["X-Correlation-ID"] in body
    assert CANARY not in body
    assert CANARY not in caplog.text
    assert response["X-Correlation-ID"] in caplog.text


def test_a_failing_api_call_answers_problem_json_500_without_phi(api, make_patient, monkeypatch, caplog):
    import handregen.patients.api as patients_api

    def explode(**kwargs):
        raise RuntimeError(f"lookup failed for {CANARY}")

    monkeypatch.setattr(patients_api.selectors, "patient_search", explode)
    client = api()
    client.client.raise_request_exception = False
    with caplog.at_level(logging.DEBUG):
        response = client.get("/api/v1/patients", q=CANARY)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert CANARY not in response.content.decode() and CANARY not in caplog.text
