"""An independent client (SMART's `fhirclient`, over HTTP against a live server) pages, searches and reads."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest
from django.db import transaction
from fhirclient import client
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient

from handregen.patients.services import patient_register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(live_server: Any, api: Any) -> Any:
    """fhirclient's server object for /fhir/R4/, sending a Demo physician's bearer token."""
    smart = client.FHIRClient(settings={"app_id": "handregen-tests", "api_base": f"{live_server.url}/fhir/R4/"})
    smart.server.session.headers.update(api().headers)
    return smart.server


def test_paging_through_500_patients_returns_500_distinct_ids(server, physician):
    with transaction.atomic():  # one commit: registering 500 patients takes a few seconds
        for i in range(500):
            patient_register(
                actor=physician,
                mrn=f"P{i:04d}",
                given_name="Ina",
                family_name=f"Page{i % 7}",
                birth_date=date(1950 + i % 40, 1, 1),
                sex="female",
                dominant_hand="right",
            )
    ids = [p.id for p in Patient.where(struct={"_count": "100"}).perform_resources_iter(server)]
    assert len(ids) == 500 and len(set(ids)) == 500
    # Sorted, the matching is done on built resources; the pages still hold every patient once, in order.
    by_age = list(Patient.where(struct={"_count": "150", "_sort": "-birthdate"}).perform_resources_iter(server))
    assert sorted(p.id for p in by_age) == sorted(ids)
    born = [p.birthDate.isostring for p in by_age]
    assert born == sorted(born, reverse=True)


def test_every_resource_of_a_treated_patient_reads_back_by_type_and_id(server, treated, api):
    episode = treated()
    everything = api().get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").json()["entry"]
    assert len({e["resource"]["resourceType"] for e in everything}) >= 9
    for entry in everything:
        resource = entry["resource"]
        model = getattr(
            importlib.import_module(f"fhirclient.models.{resource['resourceType'].lower()}"), resource["resourceType"]
        )
        read = model.read(resource["id"], server)
        assert read.as_json() == model(resource).as_json()
    pain = Observation.where(
        struct={"patient": str(episode.patient_id), "code": "http://loinc.org|72514-3"}
    ).perform_resources_iter(server)
    assert sorted(o.valueQuantity.value for o in pain) == [4, 7]
