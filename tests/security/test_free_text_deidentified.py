"""D6 (issue 19, finding 2): free text never reaches the de-identified role (the researcher).

A treated patient's records carry a marker in every free-text field (found by introspecting the models), the
withdrawal and consent-withdrawal reasons included; then every page, PDF, API answer and export a researcher
can reach is fetched and searched for the marker. The tester saw a withdrawal reason naming a patient, an MRN
and an address on the analytics page's flow diagram and in the cohort report PDF.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from pypdf import PdfReader

from handregen.interop.research_export import export_research
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import followups_schedule, response_record
from handregen.pathway.services import episode_withdraw
from handregen.pathway.worklists import WORKLISTS
from handregen.records import CLINICAL
from handregen.safety.services import adverse_event_record
from tests.aftercare.conftest import inject
from tests.cellproducts.chain import make_team, released_product
from tests.security.routes import api_operations, django_routes, fill
from tests.security.world import QUICKDASH, event_fields

MARKER = "Qmarkerfreetext"
# Fields that hold a code, a key or a digest rather than words a person wrote.
_CODE_NAMES = {"code", "label", "label_set", "missing_policy", "timepoint", "instrument", "side", "joint", "din"}
_CODE_SUFFIXES = ("_code", "_hash", "_version", "_sha256", "digest")


def free_text_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every text field of the clinical records that a person fills in with words (names and identifiers too)."""
    found = []
    for model in apps.get_app_configs():
        if not model.name.startswith("handregen"):
            continue
        for m in model.get_models():
            if getattr(m, "record_kind", None) != CLINICAL:
                continue
            for f in m._meta.get_fields():
                if not isinstance(f, models.CharField | models.TextField) or f.choices:
                    continue
                if f.name in _CODE_NAMES or f.name.endswith(_CODE_SUFFIXES):
                    continue
                if isinstance(f, models.TextField) or (f.max_length or 0) >= 40:
                    found.append((m, f))
    return found


def plant_marker() -> set[str]:
    """Write the marker (with the row's id, for unique fields) into every free-text field of every clinical row.

    Raw SQL: the clinical models refuse bulk updates on purpose, and this is test data, not an amendment.
    Returns the models that had rows to plant into.
    """
    planted: set[str] = set()
    with connection.cursor() as cursor:
        for model, field in free_text_fields():
            table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
            cursor.execute(f'SELECT "{pk}" FROM "{table}"')
            for (row_id,) in cursor.fetchall():
                value = f"{MARKER} {str(row_id).replace('-', '')[:12]}"[: field.max_length or None]
                cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "{pk}" = %s', [value, row_id])
                planted.add(model.__name__)
    return planted


@pytest.fixture
def treated_patient_with_marked_records(persona, make_episode, monkeypatch) -> dict[str, Any]:
    team = make_team(persona)
    product = released_product(make_episode, team)
    episode = inject(product.episode, team)
    nurse = persona("nurse")
    followups_schedule(actor=nurse, episode=episode, injected_on=episode.site.today() - timedelta(42))
    follow_up = FollowUp.objects.get(episode=episode, timepoint="w6")
    response_record(actor=nurse, follow_up=follow_up, instrument="quickdash", answers=QUICKDASH)
    adverse_event_record(
        actor=nurse,
        episode=episode,
        **event_fields(
            term="other", other_text=f"{MARKER} rash", description=f"{MARKER} seen by the patient's husband at home"
        ),
    )
    # A second episode of the same patient, withdrawn with a reason that names the patient (the tester's attempt).
    left = make_episode(persona("physician"), patient=episode.patient)
    episode_withdraw(actor=nurse, episode=left, reason=f"{MARKER}: Rose Tyler, MRN 123, 1 Main St, born 1958-04-01")
    planted = plant_marker()
    return {"episode": episode, "withdrawn": left, "planted": planted, "follow_up": follow_up, "product": product}


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        return "".join(page.extract_text() or "" for page in PdfReader(BytesIO(body)).pages)
    return body.decode("utf-8", errors="replace")


def _web_urls(ids: dict[str, Any]) -> list[str]:
    urls = []
    for route in django_routes():
        if route.pattern.startswith("api/") or "^" in route.pattern:
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route.pattern)
        choices: list[dict[str, Any]] = [{"code": w.code} for w in WORKLISTS] if "code" in names else [{}]
        for choice in choices:
            values = ids | choice
            if all(n in values for n in names):
                urls.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), route.pattern))
    return urls


def test_no_free_text_reaches_a_researcher_anywhere(
    treated_patient_with_marked_records, persona, api, signed_in, tmp_path
):
    world = treated_patient_with_marked_records
    # The planting reached the records that carry a person's words.
    assert {"Patient", "Consultation", "CandidacyDecision", "Consent", "Harvest", "AdverseEvent"} <= world["planted"]
    episode = world["episode"]
    ids = {
        "episode_id": episode.pk,
        "patient_id": episode.patient_id,
        "product_id": world["product"].pk,
        "follow_up_id": world["follow_up"].pk,
        "instrument": "quickdash",
    }

    # A clinician does see the marker (the planting shows on a page; the test can see it when it is there).
    assert MARKER in _text(signed_in("physician").get(f"/episodes/{episode.pk}/"))

    researcher = signed_in("researcher")
    answered: dict[str, int] = {}
    for url in _web_urls(ids):
        response = researcher.get(url)
        answered[url] = response.status_code
        if response.status_code == 200:
            assert MARKER not in _text(response), f"free text on {url}"
    assert answered["/analytics/"] == 200 and answered["/analytics/report.pdf"] == 200

    token = api("researcher")
    queries = {
        "/api/v1/analytics/outcomes": {"instrument": "nrs", "timepoint": "m6"},
        "/api/v1/analytics/expectation": {"indication": "thumb_cmc_oa"},
    }
    reached = []
    for method, template in api_operations():
        if method != "GET":
            continue
        try:
            path = fill(template, ids | {"code": episode.protocol.code, "version": "2026.1"})
        except KeyError:
            continue
        response = token.get(path, **queries.get(template, {}))
        if response.status_code == 200:
            reached.append(template)
            assert MARKER not in _text(response), f"free text in {template}"
    assert "/api/v1/analytics/outcomes" in reached

    out = tmp_path / "research"
    export_research(actor=persona("researcher"), out=out)
    for path in out.rglob("*"):
        if path.is_file():
            assert MARKER not in path.read_text(encoding="utf-8", errors="replace"), f"free text in {path.name}"


def test_the_withdrawn_episode_counts_in_the_flow_as_withdrew(treated_patient_with_marked_records, signed_in):
    page = signed_in("researcher").get("/analytics/").content.decode()
    assert re.search(r">withdrew[a-z ]*: 1<", page), "the withdrawal is counted, in words and without its reason"
