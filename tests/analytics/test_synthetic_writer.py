"""The synthetic registry in the database: real rows of every model, consistent records, verifiable trails."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from handregen.accounts.actor import Actor
from handregen.accounts.models import User
from handregen.aftercare.models import PostCareRecord
from handregen.analytics.synthetic.writer import synth_registry
from handregen.audit.models import AuditEvent
from handregen.audit.verify import verify_all
from handregen.cellproducts.identifiers import ProductCode
from handregen.cellproducts.models import CellProduct, CustodyEvent, ProcessingRecord, ReleaseDecision
from handregen.cellproducts.release import evaluate_release, release_refusals
from handregen.cellproducts.services import product_code_allocate
from handregen.consent.models import Consent, Signature
from handregen.consent.selectors import consent_refusals
from handregen.evaluation.models import CandidacyDecision, Consultation, ImagingStudy
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.scoring import score
from handregen.pathway.models import Episode
from handregen.patients.models import Patient
from handregen.preparation.models import PreparationChecklist
from handregen.preparation.selectors import preparation_refusals
from handregen.procedures.models import Harvest, Injection
from handregen.safety.models import AdverseEvent, Reintervention, SafetyAlert

SEED = 13  # 60 patients of this seed reach every stage, with re-interventions and a serious adverse event
PATHWAY_MODELS = (
    Patient, Episode, Consultation, ImagingStudy, CandidacyDecision, Consent, Signature, PreparationChecklist,
    Harvest, CellProduct, ProcessingRecord, ReleaseDecision, CustodyEvent, Injection, PostCareRecord, FollowUp,
    QuestionnaireResponse, AdverseEvent, SafetyAlert, Reintervention,
)  # fmt: skip


@pytest.fixture
def registry(demo_site):
    return synth_registry(site=demo_site, count=60, seed=SEED)


def test_a_small_registry_writes_rows_of_every_model_of_the_pathway(registry, demo_site):
    empty = [model.__name__ for model in PATHWAY_MODELS if not model.objects.filter(site=demo_site).exists()]
    assert empty == []
    assert registry.patients == Patient.objects.filter(site=demo_site, is_synthetic=True).count() == 60
    assert set(registry.episodes_by_stage) == {
        "referred", "consulted", "eligible", "ineligible", "deferred", "consented", "withdrawn", "follow_up",
    }  # fmt: skip
    assert registry.responses == QuestionnaireResponse.objects.filter(site=demo_site).count()


def test_every_episode_stage_agrees_with_its_records(registry, demo_site):
    for episode in Episode.objects.filter(site=demo_site).select_related("patient", "site", "protocol"):
        decision = CandidacyDecision.objects.filter(episode=episode).values_list("decision", flat=True).first()
        consulted = Consultation.objects.filter(episode=episode).exists()
        consented = Consent.objects.filter(episode=episode, status="active").exists()
        injected = Injection.objects.filter(episode=episode).exists()
        expected = {
            "referred": (False, None, False, False),
            "consulted": (True, None, False, False),
            "ineligible": (True, "ineligible", False, False),
            "deferred": (True, "deferred", False, False),
            "eligible": (True, "eligible", False, False),
            "consented": (True, "eligible", True, False),
            "follow_up": (True, "eligible", True, True),
        }.get(episode.stage)
        if episode.stage == "withdrawn":
            assert (consulted, decision, injected) == (True, "eligible", False)
            event = AuditEvent.objects.get(object_type="episode", object_id=str(episode.pk))
            assert event.action == "episode.withdraw" and event.reason
            continue
        assert (consulted, decision, consented, injected) == expected, episode.stage
        if episode.stage == "follow_up":
            # What harvest and injection demand of the record holds, as the real guards read it.
            assert consent_refusals(episode=episode) == [] and preparation_refusals(episode=episode) == []
            product = CellProduct.objects.get(episode=episode)
            assert product.status == "administered" and product.harvest and product.injection
            events = list(product.custody_events.values_list("event", flat=True))
            assert events == ["collected", "received", "processed", "released", "dispensed", "administered"]
            assert PostCareRecord.objects.filter(episode=episode).count() == 1
            assert sorted(FollowUp.objects.filter(episode=episode).values_list("timepoint", flat=True)) == sorted(
                ["baseline", "w2", "w6", "m3", "m6", "m12"]
            )


def test_every_signature_verifies_against_the_consent_as_stored(registry, demo_site):
    signatures = list(Signature.objects.filter(site=demo_site).select_related("consent__document"))
    assert signatures
    assert all(signature.is_valid_for(Consent.objects.get(pk=signature.consent_id)) for signature in signatures)


def test_products_meet_the_release_criteria_and_injections_scanned_the_right_codes(registry, demo_site):
    for injection in Injection.objects.filter(site=demo_site).select_related("product__processing", "patient"):
        product = injection.product
        assert injection.scanned_product_code == ProductCode(product.din).scanned == product.code
        assert injection.scanned_wristband_code == injection.patient.wristband_code
        assert product.collected_at < product.released_at < product.expires_at
        assert product.released_at <= injection.performed_at < product.expires_at
        release = ReleaseDecision.objects.get(product=product)
        measures = {r["measure"]: r["value"] for r in release.criteria}
        criteria = product.episode.protocol.definition.release_criteria
        assert release_refusals(evaluate_release(criteria, measures)) == []


def test_the_audit_chains_verify_with_one_event_per_synthetic_row(registry, demo_site):
    assert all(report.ok for report in verify_all())
    rows = sum(model.objects.filter(site=demo_site).count() for model in PATHWAY_MODELS)
    synthetic = AuditEvent.objects.filter(chain=f"site:{demo_site.pk}", actor__username__startswith="synth.")
    patient_entered = QuestionnaireResponse.objects.filter(site=demo_site, source="patient").count()
    assert synthetic.count() + patient_entered == rows


def test_stored_scores_equal_the_scores_recomputed_by_the_real_rules(registry, demo_site):
    responses = QuestionnaireResponse.objects.filter(site=demo_site)
    assert responses.count() > 500
    for response in responses:
        result = score(response.instrument, response.answers, **response.options)
        assert (response.total, response.subscales, response.scorable, response.reasons) == (
            result.total,
            result.subscales,
            result.scorable,
            result.reasons,
        )
        assert response.scoring_version == result.scoring_version


def test_missed_visits_and_drop_out_leave_follow_ups_open_and_completed_ones_have_every_instrument(registry, demo_site):
    statuses = Counter()
    for fu in FollowUp.objects.filter(site=demo_site).prefetch_related("responses"):
        answered = {r.instrument for r in fu.responses.all() if r.scorable}
        if fu.completed_at is not None:
            assert fu.completion == "auto" and answered == set(fu.instruments)
            statuses["completed"] += 1
        else:
            assert fu.completion == "" and not answered
            statuses["open"] += 1
    assert statuses["completed"] and statuses["open"]


def test_the_analytics_api_assesses_synthetic_patients_at_six_months(registry, api):
    response = api("researcher").get(
        "/api/v1/analytics/outcomes", instrument="nrs", timepoint="m6", include_synthetic=True
    )
    assert response.status_code == 200
    body = response.json()
    assert body["n_assessed"] > 0 and body["n_expected"] >= body["n_assessed"]


def test_some_patients_have_both_hands_treated_as_two_episodes(registry, demo_site):
    per_patient = Counter(Episode.objects.filter(site=demo_site).values_list("patient_id", flat=True))
    bilateral = [p for p, n in per_patient.items() if n == 2]
    assert bilateral and max(per_patient.values()) == 2
    sides = set(Episode.objects.filter(patient_id=bilateral[0]).values_list("side", flat=True))
    assert sides == {"left", "right"}


def test_running_the_same_seed_again_adds_nothing(registry, demo_site):
    counts = [model.objects.filter(site=demo_site).count() for model in PATHWAY_MODELS]
    again = synth_registry(site=demo_site, count=60, seed=SEED)
    assert (again.patients, again.skipped) == (0, 60)
    assert [model.objects.filter(site=demo_site).count() for model in PATHWAY_MODELS] == counts
    more = synth_registry(site=demo_site, count=5, seed=SEED + 1)
    assert more.patients == 5


def test_later_real_products_take_the_next_numbers_of_the_facility(registry, demo_site):
    codes = [ProductCode(din) for din in CellProduct.objects.filter(site=demo_site).values_list("din", flat=True)]
    year = max(code.year for code in codes)
    used = [code.sequence for code in codes if code.year == year]
    assert sorted(used) == list(range(1, len(used) + 1))
    with transaction.atomic():
        code = product_code_allocate(site=demo_site, now=datetime(2000 + int(year), 7, 1, 12, tzinfo=UTC))
    assert code.sequence == len(used) + 1


def test_synthetic_patients_are_marked_and_their_authors_cannot_sign_in(registry, demo_site):
    assert not Patient.objects.filter(site=demo_site, is_synthetic=False).exists()
    assert set(Patient.objects.values_list("mrn", flat=True)) == {f"SYN{SEED}-{n:06d}" for n in range(1, 61)}
    authors = User.objects.filter(username__startswith="synth.")
    assert authors.count() == 3
    assert all(not u.is_active and not u.has_usable_password() for u in authors)


def test_serious_adverse_events_have_a_criterion_and_a_reviewed_alert_that_emails_nobody(registry, demo_site):
    serious = AdverseEvent.objects.filter(site=demo_site, serious=True)
    assert serious.exists()
    for event in serious:
        assert event.seriousness_criteria
        alert = SafetyAlert.objects.get(adverse_event=event)
        assert alert.emailed_at is not None and alert.acknowledged_at is not None


def test_the_cli_prints_the_summary_and_refuses_in_production_without_confirmation(demo_site, settings):
    out = StringIO()
    call_command("synth", "--patients", "25", "--seed", "3", "--site", "demo", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "25 patients written" in text and "episodes by stage" in text and "adverse events" in text
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="i-know-this-is-synthetic"):
        call_command("synth", "--patients", "5", "--seed", "4", stdout=StringIO(), stderr=StringIO())
    call_command("synth", "--patients", "5", "--seed", "4", "--i-know-this-is-synthetic", stdout=out,
                 stderr=StringIO())  # fmt: skip
    assert Patient.objects.filter(mrn__startswith="SYN4-").count() == 5


def test_a_synthetic_row_amends_through_the_real_service(registry, demo_site):
    from handregen.patients.services import patient_amend

    patient = Patient.objects.filter(site=demo_site).first()
    physician = User.objects.get(username="synth.physician")
    actor = Actor(user=physician, site=demo_site, role="physician")
    physician.is_active = True  # only to let the service accept this actor in the test
    amended = patient_amend(actor=actor, patient=patient, changes={"occupation": "gardener"}, reason="test")
    assert amended.version == 2 and all(report.ok for report in verify_all())


def test_the_demo_adds_its_synthetic_patients_once(db, monkeypatch):
    from handregen.demo import DEMO_SYNTHETIC_PATIENTS, build_demo

    monkeypatch.setenv("HANDREGEN_DEMO_PASSWORD", "a demo password long enough")
    first = build_demo()
    second = build_demo()
    assert (first.synthetic_patients, second.synthetic_patients) == (DEMO_SYNTHETIC_PATIENTS, 0)
    synthetic = Patient.objects.filter(site__code="demo", is_synthetic=True)
    assert synthetic.count() == DEMO_SYNTHETIC_PATIENTS
    assert not Patient.objects.filter(site__code="north", is_synthetic=True).exists()


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_registry_as_one_process(demo_site, north_site):
    """On PostgreSQL the workers really run (the SQLite test database lives in memory: one process writes)."""
    from django.db import connection

    from handregen.analytics.synthetic.writer.parallel import parallel_possible

    assert parallel_possible() == (connection.vendor == "postgresql")
    together = synth_registry(site=demo_site, count=40, seed=SEED, batch_size=10, workers=2)
    alone = synth_registry(site=north_site, count=40, seed=SEED, batch_size=10, workers=1)
    assert together.lines()[1:-1] == alone.lines()[1:-1]
    assert Patient.objects.filter(site=demo_site).count() == 40
    assert all(report.ok for report in verify_all())
    dins = list(CellProduct.objects.filter(site=demo_site).values_list("din", flat=True))
    assert len(dins) == len(set(dins)) == together.products


def test_synthetic_keys_are_version_7_uuids_that_sort_by_creation():
    from handregen.analytics.synthetic.writer.context import TimeOrderedIds

    new_id = TimeOrderedIds()
    keys = [new_id() for _ in range(10_000)]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {key.version for key in keys} == {7} and {key.variant for key in keys} == {"specified in RFC 4122"}
