"""D4 no PHI in URLs, no-store on authenticated answers.

1. No route pattern has a component for a name, birth date, MRN, contact detail or token (the one exception,
   the questionnaire link's landing URL, is listed with its reason).
2. A crawl of the staff pages of a canary patient finds no canary value (names, MRN, birth date) in any link.
3. Every authenticated answer of the crawl, and of the API and FHIR, carries Cache-Control: no-store.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.routes import django_routes
from tests.security.world import World

PHI_PARAMETER = re.compile(
    r"name|given|family|surname|birth|dob|mrn|nhs|ssn|phone|email|mail|address|zip|postcode|token|secret|password",
    re.IGNORECASE,
)
ALLOWED: dict[str, str] = {
    "portal:land": "the questionnaire link a patient receives; the token is swapped for a session and the page "
    "redirects to /q/ on first use (Z4), so it is in the address bar for one request only",
    "scheduling:feed": "a resource's calendar feed for staff calendar apps, which cannot send a header: the "
    "secret names a clinician, room or lab (never a patient), is stored hashed, is revoked or "
    "replaced by a site admin, and the feed holds initials only",
}


def _parameters(pattern: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", pattern) + re.findall(r"\(\?P<(\w+)>", pattern)


def test_no_route_pattern_has_a_phi_or_token_component() -> None:
    offending = [
        (r.name, p)
        for r in django_routes()
        for p in _parameters(r.pattern)
        if PHI_PARAMETER.search(p) and r.name not in ALLOWED
    ]
    assert not offending, offending


def test_the_scan_would_see_a_phi_component() -> None:
    assert PHI_PARAMETER.search("family_name") and PHI_PARAMETER.search("birth_date")
    assert _parameters("patients/<str:mrn>/") == ["mrn"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("href", "src", "action", "hx-get", "hx-post", "formaction") and value:
                self.links.append(value)


@pytest.fixture
def canary(persona: Any, make_patient: Any, make_episode: Any) -> World:
    world = World(persona, make_patient, make_episode)
    world.episode  # noqa: B018
    world.adverse_event  # noqa: B018
    world.follow_up  # noqa: B018
    return world


def _canary_values(world: World) -> list[str]:
    from handregen.patients.models import Patient

    patient = Patient.objects.get(pk=world.patient.pk)
    return [
        world.canary,
        world.canary_given,
        patient.mrn,
        patient.birth_date.isoformat(),
        patient.birth_date.strftime("%d%m%Y"),
    ]


def _crawl(client: Client, starts: list[str], limit: int = 60) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(response.content.decode("utf-8", "replace"))
        response.links = parser.links  # type: ignore[attr-defined]
        for link in parser.links:
            target = urlparse(urljoin(url, link))
            if target.netloc or target.path.startswith(("/static/", "/logout", "/account/")):
                continue
            if target.path.endswith(".pdf"):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


def test_a_crawl_of_the_staff_pages_finds_no_canary_in_a_link_and_no_cacheable_answer(
    canary: World, signed_in: Any
) -> None:
    client = signed_in("physician")
    starts = [
        reverse("web:home"),
        reverse("web:patient", kwargs={"patient_id": canary.patient.pk}),
        reverse("web:episode", kwargs={"episode_id": canary.episode.pk}),
        reverse("web:episode", kwargs={"episode_id": canary.followed_episode.pk}),
        reverse("outcomes:worklist"),
        reverse("safety:alerts"),
    ]
    pages = _crawl(client, starts)
    assert len(pages) >= 10
    values = _canary_values(canary)
    in_links = [
        (url, link) for url, r in pages.items() for link in getattr(r, "links", []) if any(v in link for v in values)
    ]
    assert not in_links, in_links
    assert not [url for url in pages if any(v in url for v in values)]
    cacheable = [url for url, r in pages.items() if "no-store" not in r.get("Cache-Control", "")]
    assert not cacheable, cacheable
    # the canary patient's page was reached and does show the patient (the crawl is not empty of PHI)
    assert canary.canary in pages[starts[1]].content.decode()


def test_api_and_fhir_answers_are_not_stored(canary: World, api: Any) -> None:
    client = api("physician")
    urls = [
        f"/api/v1/patients/{canary.patient.pk}",
        f"/api/v1/episodes/{canary.episode.pk}",
        "/api/v1/follow-ups",
        f"/fhir/R4/Patient/{canary.patient.pk}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    # a refused or unknown request with a token is not cacheable either
    assert "no-store" in client.get(f"/api/v1/patients/{canary.patient.pk}0")["Cache-Control"]
