"""Z3 object scoping across sites: Demo's physician replays every object endpoint with North's ids.

North Hand Clinic gets a patient (with a canary family and given name), episodes at several stages, a harvested
product, a consent, follow-ups, a response, a serious adverse event with its alert, and a donor. Every API
operation, FHIR read and staff page that takes an object id is then asked for, GET and POST, by Demo's
physician with North's ids. Each must answer 404, leave North's rows as they were and show no canary.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db.models import Model
from django.forms.models import model_to_dict
from django.urls import reverse

from handregen.audit.models import AuditEvent
from handregen.interop.fhir.builders import BY_PATIENT
from tests.security.routes import api_operations, django_routes, fill
from tests.security.test_deny_by_default import SAMPLE_KWARGS
from tests.security.test_role_matrix import MATRIX, QUERIES, _bodies
from tests.security.world import World

# Path parameters that are not objects of a site (reference data shared by every site).
NOT_OBJECTS = {"code", "version", "instrument", "token", "resource_type"}


def _params(template: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", template)) | set(re.findall(r"<(?:\w+:)?(\w+)>", template))


# The one door to another site's patient: emergency (break-glass) access asks for a reason, is flagged on that
# site's audit chain and expires; tests/security/test_break_glass.py holds it to that. Its form shows nothing of
# the patient. Reads stay 404 here, since these tests never break the glass.
BREAK_GLASS_OPERATIONS = {("POST", "/api/v1/patients/{patient_id}/break-glass")}
BREAK_GLASS_PAGES = {"web:break-glass"}


def object_operations() -> list[tuple[str, str]]:
    return [(m, p) for m, p in api_operations() if _params(p) - NOT_OBJECTS and (m, p) not in BREAK_GLASS_OPERATIONS]


def object_pages() -> list[str]:
    return sorted(
        r.name
        for r in django_routes()
        if not r.pattern.startswith(("api/", "fhir/"))
        and _params(r.pattern) - NOT_OBJECTS
        and r.name not in BREAK_GLASS_PAGES
    )


@pytest.fixture
def north(persona: Any, make_patient: Any, make_episode: Any) -> World:
    world = World(persona, make_patient, make_episode, site_code="north")
    for name in (
        "patient",
        "episode",
        "consented_episode",
        "follow_up",
        "response",
        "adverse_event",
        "alert",
        "product",
        "consent",
        "donor",
        "appointment",
    ):
        getattr(world, name)  # build everything before the replay
    return world


def _snapshot(world: World) -> dict[str, Any]:
    objects: list[Model] = [
        world.patient,
        world.episode,
        world.consented_episode,
        world.followed_episode,
        world.follow_up,
        world.response,
        world.adverse_event,
        world.alert,
        world.product,
        world.product.episode,
        world.consent,
        world.donor,
        world.appointment,
    ]
    dump: dict[str, Any] = {}
    for obj in objects:
        fresh = type(obj)._default_manager.get(pk=obj.pk)
        dump[f"{type(obj).__name__}:{obj.pk}"] = json.dumps(model_to_dict(fresh), default=str, sort_keys=True)
    dump["audit events at North"] = AuditEvent.objects.filter(site=world.patient.site).count()
    return dump


def _ids(world: World) -> dict[str, Any]:
    return {
        "patient_id": world.patient.pk,
        "episode_id": world.consented_episode.pk,
        "product_id": world.product.pk,
        "follow_up_id": world.follow_up.pk,
        "response_id": world.response.pk,
        "adverse_event_id": world.adverse_event.pk,
        "alert_id": world.alert.pk,
        "donor_id": world.donor.pk,
        "appointment_id": world.appointment.pk,
        "resource_id": world.calendar.clinician.pk,
    }


def _canaries(world: World) -> list[str]:
    return [world.canary, world.canary_given, world.patient.mrn]


def _leaks(world: World, body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [c for c in _canaries(world) if c in text]


def test_the_inventory_finds_the_object_endpoints() -> None:
    assert len(object_operations()) >= 40
    assert "web:patient" in object_pages() and "cellproducts:product" in object_pages()


def _demo_role_for(method: str, path: str) -> str:
    """A Demo role the matrix lets through (physician where it may), so the scope check is what answers."""
    roles = MATRIX[(method, path)][1].split()
    return "physician" if "physician" in roles else roles[0]


def test_api_object_endpoints_answer_404_to_another_site(north: World, api: Any) -> None:
    clients = {role: api(role, "demo") for role in ("physician", "lab_technician")}
    ids = _ids(north)
    bodies = _bodies(north)
    before = _snapshot(north)
    wrong = []
    for method, path in object_operations():
        url = fill(
            path,
            {k: ids.get(k, v) for k, v in {p: None for p in _params(path)}.items()} | ({"code": "x", "version": "x"}),
        )
        client = clients[_demo_role_for(method, path)]
        response = client.get(url, **QUERIES.get(path, {})) if method == "GET" else client.post(url, bodies[path]())
        if response.status_code != 404 or _leaks(north, response.content):
            wrong.append(f"{method} {path} → {response.status_code} {_leaks(north, response.content)}")
    assert not wrong, "\n".join(wrong)
    assert _snapshot(north) == before


def test_fhir_reads_answer_404_or_nothing_to_another_site(north: World, api: Any) -> None:
    """Every FHIR read of North's resources (every type) answers 404 to Demo; every search (by patient, by id,
    unscoped, with `_include`/`_revinclude`) answers nothing of North's."""
    headers = api("physician", "demo").headers
    from django.test import Client

    from handregen.interop.fhir.builders import patient_resource
    from handregen.interop.fhir.search_params import SEARCH_PARAMS

    client = Client()
    assert north.followed_episode  # records of most types for North's patient
    pid = north.patient.pk
    resources = [patient_resource(north.patient), *(r for build in BY_PATIENT.values() for r in build(north.patient))]
    assert len({r["resourceType"] for r in resources}) >= 6
    before = _snapshot(north)
    wrong = []
    reads = [
        reverse("fhir:read", kwargs={"resource_type": r["resourceType"], "resource_id": r["id"]}) for r in resources
    ]
    reads.append(reverse("fhir:patient-everything", kwargs={"patient_id": pid}))
    for url in reads:
        response = client.get(url, headers=headers)
        if response.status_code != 404 or _leaks(north, response.content):
            wrong.append(f"{url} → {response.status_code}")
    # Searches answer an empty bundle for another site's patient (FHIR search semantics), never its data.
    searches: list[tuple[str, dict[str, str]]] = []
    for t in sorted(set(SEARCH_PARAMS) - {"Questionnaire"}):
        url = reverse("fhir:search", kwargs={"resource_type": t})
        searches += [(url, {name: f"Patient/{pid}"}) for name in ("patient", "subject") if name in SEARCH_PARAMS[t]]
        searches += [(url, {"_id": r["id"]}) for r in resources if r["resourceType"] == t]
    patient_url = reverse("fhir:search", kwargs={"resource_type": "Patient"})
    searches += [
        (patient_url, {"name": north.canary}),
        (patient_url, {"identifier": north.patient.mrn}),
        (patient_url, {"name": north.canary, "_revinclude": "Observation:patient"}),
    ]
    unscoped = [
        (reverse("fhir:search", kwargs={"resource_type": t}), {"_include": f"{t}:patient"})
        for t in ("Observation", "QuestionnaireResponse", "Procedure")
    ]
    unscoped.append((patient_url, {"_revinclude": "QuestionnaireResponse:patient", "_count": "1000"}))
    for url, query in searches + unscoped:
        response = client.get(url, query, headers=headers)
        body = response.json() if response.status_code == 200 else {}
        total, entries = body.get("total"), json.dumps(body.get("entry", []))
        empty = total == 0 or (url, query) in unscoped
        if response.status_code != 200 or not empty or _leaks(north, entries.encode()) or str(pid) in entries:
            wrong.append(f"{url} {query} → {response.status_code} total={total}")
    # Writes: an update or a response for North's patient is not found; a transaction naming it changes nothing.
    patient = {
        "resourceType": "Patient",
        "id": str(pid),
        "name": [{"family": "Overwritten", "given": ["X"]}],
        "identifier": [{"system": "https://handregen.org/fhir/sid/mrn", "value": north.patient.mrn}],
        "gender": "female",
        "birthDate": "1960-01-01",
    }
    response_body = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "authored": "2026-01-01",
        "questionnaire": "https://handregen.org/fhir/Questionnaire/nrs|1",
        "extension": [{"url": "https://handregen.org/fhir/StructureDefinition/follow-up-timepoint", "valueCode": "w6"}],
        "subject": {"reference": f"Patient/{pid}"},
        "item": [{"linkId": "pain", "answer": [{"valueInteger": 1}]}],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": patient, "request": {"method": "PUT", "url": f"Patient/{pid}"}}],
    }
    writes = [
        ("put", reverse("fhir:read", kwargs={"resource_type": "Patient", "resource_id": pid}), patient, 404),
        ("post", reverse("fhir:search", kwargs={"resource_type": "QuestionnaireResponse"}), response_body, 404),
        ("post", reverse("fhir:transaction"), bundle, 422),
    ]
    for method, url, body, status in writes:
        response = getattr(client, method)(url, json.dumps(body), content_type="application/fhir+json", headers=headers)
        if response.status_code != status or _leaks(north, response.content):
            wrong.append(f"{method.upper()} {url} → {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert _snapshot(north) == before


@pytest.mark.parametrize("role", ["physician", "lab_technician"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_pages_with_an_object_id_answer_404_to_another_site(
    north: World, signed_in: Any, method: str, role: str
) -> None:
    client = signed_in(role, "demo")
    ids = _ids(north)
    before = _snapshot(north)
    wrong = []
    for name in object_pages():
        kwargs = {k: ids.get(k, v) for k, v in SAMPLE_KWARGS[name].items()}
        url = reverse(name, kwargs=kwargs)
        response = getattr(client, method)(url)
        if method == "get" and response.status_code == 405 and not _leaks(north, response.content):
            continue  # a POST-only page refuses GET before any look-up: nothing about the object is told
        if response.status_code != 404 or _leaks(north, response.content):
            wrong.append(f"{method.upper()} {name} {url} → {response.status_code} {_leaks(north, response.content)}")
    assert not wrong, "\n".join(wrong)
    assert _snapshot(north) == before


def test_lists_and_searches_of_demo_show_nothing_of_north(north: World, api: Any, signed_in: Any) -> None:
    client = api("physician", "demo")
    web = signed_in("physician", "demo")
    answers = [
        client.get("/api/v1/patients", q=north.canary),
        client.get("/api/v1/patients", q=north.patient.mrn),
        client.get("/api/v1/products"),
        client.get("/api/v1/follow-ups"),
        client.get("/api/v1/safety-alerts"),
        web.get(reverse("web:home")),
        web.get(reverse("outcomes:worklist")),
        web.get(reverse("safety:alerts")),
        web.get(reverse("cellproducts:lab")),
    ]
    leaks = [(r.request["PATH_INFO"], _leaks(north, r.content)) for r in answers if _leaks(north, r.content)]
    assert not leaks
    # The search page repeats what was typed; it finds nothing and shows nothing else of the patient.
    search = web.get(reverse("web:patients"), {"q": north.canary})
    assert "No patient found" in search.content.decode()
    assert north.canary_given not in search.content.decode() and north.patient.mrn not in search.content.decode()
