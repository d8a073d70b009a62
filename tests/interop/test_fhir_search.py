"""FHIR search per R4: each declared parameter filters, tokens honour their system, comma-OR and repeated-AND,
paging, `_sort`, `_summary`, `_total`, `_include`/`_revinclude`, `Prefer: handling`, `_format`; and the
CapabilityStatement declares exactly the parameters the search handles."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from handregen.audit.models import AccessEvent
from handregen.interop.fhir.search_params import DATE, REFERENCE, SEARCH_PARAMS, STRING, TOKEN, URI

PARAMS = [(t, name) for t, params in sorted(SEARCH_PARAMS.items()) for name in params]


@pytest.fixture
def site_resources(api, treated, make_patient) -> dict[str, list[dict[str, Any]]]:
    """A treated patient and an untreated one: every resource of the site by type (as $everything gives them)."""
    episodes = [treated()]
    make_patient(family_name="Åberg", given_name="Ina", birth_date=date(1971, 2, 3), sex="male")
    client = api()
    found: dict[str, list[dict[str, Any]]] = {}
    for episode in episodes:
        for entry in client.get(f"/fhir/R4/Patient/{episode.patient_id}/$everything").json()["entry"]:
            found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    found["Patient"] = [e["resource"] for e in client.get("/fhir/R4/Patient", _count="100").json()["entry"]]
    found["Questionnaire"] = [e["resource"] for e in client.get("/fhir/R4/Questionnaire").json()["entry"]]
    return found


def _search(client: Any, resource_type: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/fhir/R4/{resource_type}", _count="1000", **params)
    assert response.status_code == 200, response.content
    body = response.json()
    Bundle.model_validate(body)
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]


def _codings(value: Any) -> list[tuple[str | None, str]]:
    """(system, code) of codes, Codings, CodeableConcepts and Identifiers, written apart from the server's."""
    if isinstance(value, list):
        return [t for v in value for t in _codings(v)]
    if isinstance(value, dict):
        if "coding" in value:
            return _codings(value["coding"])
        key = "code" if "code" in value else "value"
        return [(value.get("system"), str(value[key]))]
    return [(None, str(value))]


def _positive_and_negative(param: Any, values: list[Any]) -> tuple[str, str]:
    """A query value that the resource holding `values` matches, and one no resource can match."""
    value = values[0]
    if param.type == TOKEN:
        system, code = _codings(value)[0]
        return (f"{system}|{code}" if system else code), f"{system or ''}|no-such-code-zz"
    if param.type == DATE:
        text = value["start"] if isinstance(value, dict) else value
        return f"eq{text[:10]}", "lt1800-01-01"
    if param.type == STRING:
        return value[:3], "zzqxnobody"
    if param.type == REFERENCE:
        return (value if isinstance(value, str) else value["reference"]), f"Patient/{uuid.uuid4()}"
    assert param.type == URI
    return value, "https://example.org/none"


@pytest.mark.parametrize(("resource_type", "name"), PARAMS, ids=[f"{t}-{n}" for t, n in PARAMS])
def test_each_declared_parameter_filters(api, site_resources, resource_type, name):
    param = SEARCH_PARAMS[resource_type][name]
    resources = site_resources[resource_type]
    holder = next(r for r in resources if param.values(r))
    positive, negative = _positive_and_negative(param, param.values(holder))
    client = api()
    found = _search(client, resource_type, **{name: positive})
    assert holder["id"] in {r["id"] for r in found}
    assert _search(client, resource_type, **{name: negative}) == []
    if param.type == TOKEN:  # a resource without the token is left out
        system, code = _codings(param.values(holder)[0])[0]
        without = [r for r in resources if (system, code) not in _codings(param.values(r))]
        assert not {r["id"] for r in without} & {r["id"] for r in found}


def test_every_handled_parameter_is_declared_and_every_declared_one_handled(api):
    statement = api(None).get("/fhir/R4/metadata").json()
    declared = {(r["type"], p["name"]) for r in statement["rest"][0]["resource"] for p in r.get("searchParam", [])}
    assert declared == set(PARAMS)
    client = api()
    for resource_type, name in sorted(declared):
        response = client.get(f"/fhir/R4/{resource_type}", **{name: "x"}, HTTP_PREFER="handling=strict")
        # handled: a result, or a 400 about the value, never the refusal of an unknown parameter
        assert "is not a search parameter" not in response.content.decode(), (resource_type, name)
        undeclared = client.get(f"/fhir/R4/{resource_type}", **{"zz-not-declared": "x"})
        assert undeclared.json()["entry"][-1]["search"]["mode"] == "outcome"


def test_identifier_honours_its_system_and_tokens_take_every_form(api, make_patient):
    patient = make_patient(mrn="DEMO-0005")
    client = api()
    mrn = "https://handregen.org/fhir/sid/mrn"
    assert [r["id"] for r in _search(client, "Patient", identifier=f"{mrn}|DEMO-0005")] == [str(patient.pk)]
    assert _search(client, "Patient", identifier="http://wrong.example|DEMO-0005") == []
    assert _search(client, "Patient", identifier="|DEMO-0005") == []  # our identifiers all have a system
    assert len(_search(client, "Patient", identifier=f"{mrn}|")) == 1
    assert len(_search(client, "Patient", gender="|female")) == 1  # a plain code has no system


def test_code_on_observation_finds_pain_scores_only(api, treated):
    episode = treated()
    client = api()
    pain = _search(client, "Observation", patient=str(episode.patient_id), code="http://loinc.org|72514-3")
    assert len(pain) == 2 and all(o["valueQuantity"]["code"] == "{score}" for o in pain)
    imaging = _search(client, "Observation", patient=str(episode.patient_id), category="imaging")
    assert imaging and not {o["id"] for o in imaging} & {o["id"] for o in pain}


def test_comma_values_are_ored_and_repeated_parameters_anded(api, make_patient):
    make_patient(family_name="Hopper", birth_date=date(1950, 1, 1))
    make_patient(family_name="Turing", birth_date=date(1960, 6, 1))
    make_patient(family_name="Lovelace", birth_date=date(1970, 12, 31))
    client = api()
    assert len(_search(client, "Patient", family="hop,tur")) == 2
    within = client.get("/fhir/R4/Patient?birthdate=ge1955&birthdate=lt1970-12-31").json()
    assert within["total"] == 1 and within["entry"][0]["resource"]["name"][0]["family"] == "Turing"
    assert client.get("/fhir/R4/Patient?birthdate=ne1960-06-01&family=Turing").json()["total"] == 0
    assert len(_search(client, "Patient", birthdate="le1960-06-01")) == 2
    assert len(_search(client, "Patient", birthdate="gt1960")) == 1


def test_pages_link_forward_and_back_with_a_true_total(api, make_patient):
    for i in range(7):
        make_patient(family_name=f"Page{i}")
    client = api()
    first = client.get("/fhir/R4/Patient", _count="3").json()
    assert first["total"] == 7 and len(first["entry"]) == 3
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links["self"].startswith("http://testserver/fhir/R4/Patient?") and "previous" not in links
    seen = [e["resource"]["id"] for e in first["entry"]]
    page = first
    while "next" in {link["relation"] for link in page["link"]}:
        url = next(link["url"] for link in page["link"] if link["relation"] == "next")
        page = client.client.get(url, headers=client.headers).json()
        seen += [e["resource"]["id"] for e in page["entry"]]
        assert "previous" in {link["relation"] for link in page["link"]}
    assert len(seen) == len(set(seen)) == 7
    assert all(e["fullUrl"] == f"http://testserver/fhir/R4/Patient/{e['resource']['id']}" for e in first["entry"])
    assert "total" not in client.get("/fhir/R4/Patient", _total="none").json()
    count = client.get("/fhir/R4/Patient", _summary="count").json()
    assert count["total"] == 7 and "entry" not in count


def test_sort_on_dates_both_ways(api, make_patient):
    for year in (1961, 1949, 1955):
        make_patient(birth_date=date(year, 1, 1))
    client = api()
    years = [r["birthDate"][:4] for r in _search(client, "Patient", _sort="birthdate")]
    assert years == ["1949", "1955", "1961"]
    assert [r["birthDate"][:4] for r in _search(client, "Patient", _sort="-birthdate")] == years[::-1]


def test_include_and_revinclude_bring_the_patient_and_their_records(api, treated):
    episode = treated()
    client = api()
    body = client.get("/fhir/R4/Observation", patient=str(episode.patient_id), _include="Observation:patient").json()
    included = [e for e in body["entry"] if e["search"]["mode"] == "include"]
    assert [e["resource"]["id"] for e in included] == [str(episode.patient_id)]
    assert body["total"] == len(body["entry"]) - 1  # the total counts matches only
    body = client.get(
        "/fhir/R4/Patient?_id="
        + str(episode.patient_id)
        + "&_revinclude=QuestionnaireResponse:patient&_revinclude=Procedure:patient&_revinclude=Observation:patient"
    ).json()
    kinds = {e["resource"]["resourceType"] for e in body["entry"] if e["search"]["mode"] == "include"}
    assert kinds == {"QuestionnaireResponse", "Procedure", "Observation"} and body["total"] == 1
    assert AccessEvent.objects.filter(patient_id=episode.patient_id, channel="fhir", category="procedure").exists()


def test_unknown_parameters_are_refused_when_strict_and_noted_when_lenient(api, make_patient):
    make_patient()
    client = api()
    strict_header = {**client.headers, "Prefer": "handling=strict"}
    strict = client.client.get("/fhir/R4/Observation?colour=red", headers=strict_header)
    assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome"
    lenient = client.client.get("/fhir/R4/Patient?colour=red", headers={**client.headers, "Prefer": "handling=lenient"})
    body = lenient.json()
    assert lenient.status_code == 200 and body["total"] == 1
    assert "colour" in body["entry"][-1]["resource"]["issue"][0]["diagnostics"]
    assert client.get("/fhir/R4/Patient", _format="json").status_code == 200
    assert client.get("/fhir/R4/Patient", _format="application/fhir+json").status_code == 200
    assert client.get("/fhir/R4/Patient", _format="xml").status_code == 406


def test_questionnaires_are_served_by_url_and_version_and_responses_point_to_them(api, treated):
    episode = treated()
    client = api()
    responses = _search(client, "QuestionnaireResponse", patient=str(episode.patient_id))
    for canonical in {r["questionnaire"] for r in responses}:
        url, version = canonical.split("|")
        (questionnaire,) = _search(client, "Questionnaire", url=url, version=version)
        read = client.get(f"/fhir/R4/Questionnaire/{questionnaire['id']}")
        assert read.status_code == 200 and read["ETag"] == f'W/"{version}"'
        links = {i["linkId"] for i in questionnaire["item"]}
        assert {i["linkId"] for r in responses if r["questionnaire"] == canonical for i in r.get("item", [])} <= links
    quickdash = client.get("/fhir/R4/Questionnaire/quickdash").json()
    assert "own short topic labels" in quickdash["description"]
    assert quickdash["item"][0]["text"] == "opening a tight jar"  # our words, not the licensed wording
