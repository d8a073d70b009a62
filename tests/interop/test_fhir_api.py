"""The FHIR R4 read API: capability, Patient read and search, $everything, search by patient; site-scoped."""

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient as FhirPatient

from handregen.audit.models import AccessEvent


def test_metadata_is_a_valid_capability_statement_listing_what_is_served(api):
    body = api(None).get("/fhir/R4/metadata").json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert {"Patient", "Condition"} <= types


def test_a_patient_reads_as_a_valid_fhir_patient_with_mrn_and_wristband(api, make_patient):
    patient = make_patient(mrn="F-1", family_name="Lovelace")
    response = api().get(f"/fhir/R4/Patient/{patient.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    resource = FhirPatient.model_validate(response.json())
    assert resource.id == str(patient.pk)
    assert {i.value for i in resource.identifier} == {"F-1", patient.wristband_code}
    assert resource.name[0].family == "Lovelace"
    assert AccessEvent.objects.filter(patient_id=patient.pk, channel="fhir").exists()


def test_patients_are_found_by_identifier_and_by_name(api, make_patient):
    patient = make_patient(mrn="F-2", family_name="Hopper")
    make_patient(mrn="F-3", family_name="Turing")
    client = api()
    by_mrn = client.get("/fhir/R4/Patient", identifier="F-2").json()
    assert by_mrn["total"] == 1 and by_mrn["entry"][0]["resource"]["id"] == str(patient.pk)
    assert client.get("/fhir/R4/Patient", name="turi").json()["total"] == 1
    assert client.get("/fhir/R4/Patient", birthdate="in 1950").status_code == 400  # not a FHIR date


def test_everything_bundles_the_patient_and_their_conditions(api, make_episode):
    episode = make_episode()
    body = api().get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").json()
    Bundle.model_validate(body)
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert kinds == ["Patient", "Condition"]
    condition = body["entry"][1]["resource"]
    assert condition["subject"]["reference"] == f"Patient/{episode.patient_id}"
    assert condition["code"]["coding"][0]["code"] == "M18.9"


def test_another_sites_patient_is_not_found_and_not_listed(api, make_episode):
    episode = make_episode()
    north = api("physician", "north")
    assert north.get(f"/fhir/R4/Patient/{episode.patient_id}").status_code == 404
    assert north.get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").status_code == 404
    assert north.get("/fhir/R4/Condition", patient=str(episode.patient_id)).json()["total"] == 0
    assert north.get("/fhir/R4/Patient", name="Tyler").json()["total"] == 0


def test_without_a_token_or_with_a_researcher_token_nothing_is_served(api, make_patient):
    patient = make_patient()
    assert api(None).get(f"/fhir/R4/Patient/{patient.pk}").status_code == 401
    assert api("researcher").get(f"/fhir/R4/Patient/{patient.pk}").status_code == 403


def test_an_unknown_resource_type_is_an_operation_outcome(api):
    response = api().get("/fhir/R4/Medication", patient="x")
    assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"
