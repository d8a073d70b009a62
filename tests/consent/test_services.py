"""Consent: the document version, the discussion, the e-signature bound by a hash, withdrawal and renewal."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.db import DatabaseError, connection, transaction
from pypdf import PdfReader

from handregen.audit.models import AuditEvent
from handregen.consent.models import Consent, ConsentDocument, Signature, text_sha256
from handregen.consent.pdf import consent_pdf
from handregen.consent.selectors import consent_refusals, signature_of
from handregen.consent.services import consent_document_ensure, consent_record, consent_withdraw
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound, RecordProtected
from handregen.pathway.models import Episode, Protocol
from tests.conftest import PASSWORD
from tests.journeys import DISCUSSED_ALL, to_consented, to_eligible


def take(episode, actor, **overrides):
    fields = {
        "document_version": "2026.1",
        "discussed": DISCUSSED_ALL,
        "signer_name": "Rose Tyler",
        "signature_meaning": "consent to harvest and injection",
        "password": PASSWORD,
    } | overrides
    return consent_record(actor=actor, episode=episode, **fields)


def test_the_shipped_document_is_honest_about_the_evidence_and_loads_with_its_hash(db):
    document = consent_document_ensure(version="2026.1")
    assert document.sha256 == text_sha256(document.text) and document.text_intact
    text = document.text.lower()
    for words in ("infection", "haematoma", "numbness", "no guarantee of benefit", "saline", "trapeziectomy",
                  "withdraw", "splint", "corticosteroid injection"):  # fmt: skip
        assert words in text, words
    assert consent_document_ensure(version="2026.1").pk == document.pk
    assert consent_document_ensure(version="1999.9") is None
    assert AuditEvent.objects.filter(action="consent_document.load").count() == 1


def test_consent_moves_to_consented_with_a_verifying_signature(make_episode, physician):
    episode = to_eligible(make_episode(), physician)
    consent = take(episode, physician, expectation_shown={"n_similar": 42, "message": "About half improved"})
    assert Episode.objects.get(pk=episode.pk).stage == "consented"
    signature = signature_of(consent)
    assert signature.signer_name == "Rose Tyler"
    assert signature.meaning == "consent to harvest and injection"
    assert signature.document_version == "2026.1"
    assert signature.document_sha256 == consent.document.sha256
    assert signature.is_valid_for(consent)
    assert consent.expectation_shown["n_similar"] == 42
    assert consent_refusals(episode=episode) == []
    event = AuditEvent.objects.get(action="consent.record")
    assert event.changes["signer_name"] == [None, "Rose Tyler"]
    assert event.changes["document_version"] == [None, "2026.1"]


def test_the_digest_is_the_sha256_of_the_canonical_signed_content(make_episode, physician):
    consent = take(to_eligible(make_episode(), physician), physician)
    signature = signature_of(consent)
    content = signature.content(consent)
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(canonical).hexdigest() == signature.digest
    assert content["consent_id"] == str(consent.pk) and content["meaning"] == signature.meaning


def test_an_outdated_document_version_is_refused(make_episode, physician):
    episode = to_eligible(make_episode(), physician)
    with pytest.raises(GuardRefused) as caught:
        take(episode, physician, document_version="2025.1")
    assert "outdated" in caught.value.reasons[0] and "2026.1" in caught.value.reasons[0]
    assert not Consent.objects.exists() and Episode.objects.get(pk=episode.pk).stage == "eligible"
    assert AuditEvent.objects.filter(action="episode.consent", outcome="refused").exists()


@pytest.mark.parametrize("topic", ["risks", "benefits", "alternatives", "expectations"])
def test_each_topic_of_the_discussion_is_required(make_episode, physician, topic):
    episode = to_eligible(make_episode(), physician)
    with pytest.raises(GuardRefused) as caught:
        take(episode, physician, discussed=DISCUSSED_ALL | {topic: False})
    assert len(caught.value.reasons) == 1 and "not recorded as done" in caught.value.reasons[0]
    discussed = {k: v for k, v in DISCUSSED_ALL.items() if k != topic}
    with pytest.raises(GuardRefused):
        take(episode, physician, discussed=discussed)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"signer_name": "  "}, "signer_name"),
        ({"signature_meaning": "I have read it"}, "signature_meaning"),
        ({"discussed": DISCUSSED_ALL | {"weather": True}}, "discussed.weather"),
    ],
)
def test_bad_signature_input_is_a_422(make_episode, physician, override, field):
    with pytest.raises(InvalidInput) as caught:
        take(to_eligible(make_episode(), physician), physician, **override)
    assert [f for f, _ in caught.value.errors] == [field]


def test_only_a_physician_takes_consent(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    with pytest.raises(Forbidden):
        take(episode, persona("nurse"))


def test_another_sites_episode_is_not_found(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    with pytest.raises(NotFound):
        take(episode, persona("physician", "north"))


def test_consent_before_eligibility_is_refused(make_episode, physician):
    with pytest.raises(GuardRefused) as caught:
        take(make_episode(), physician)
    assert "it is at referred" in caught.value.reasons[0]


def test_changing_the_consent_after_signing_breaks_the_signature(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    consent = Consent.objects.get(episode=episode)
    signature = signature_of(consent)
    assert signature.is_valid_for(consent)
    consent.discussed_expectations = False
    consent.save()
    assert not signature.is_valid_for(Consent.objects.get(pk=consent.pk))
    reasons = consent_refusals(episode=episode)
    assert len(reasons) == 1 and "signature check failed" in reasons[0]


def test_a_document_text_changed_after_signing_breaks_the_signature(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    document = ConsentDocument.objects.get(version="2026.1")
    document.text += "\nA sentence added later."
    document.save()
    consent = Consent.objects.get(episode=episode)
    assert not signature_of(consent).is_valid_for(consent)
    assert consent_refusals(episode=episode)


def test_a_signature_belongs_to_its_own_consent_only(make_episode, physician):
    first = Consent.objects.get(episode=to_consented(make_episode(), physician))
    second = Consent.objects.get(episode=to_consented(make_episode(), physician))
    assert not signature_of(first).is_valid_for(second)


def test_the_signature_refuses_changes_in_the_orm_and_in_the_database(make_episode, physician):
    consent = Consent.objects.get(episode=to_consented(make_episode(), physician))
    signature = signature_of(consent)
    signature.signer_name = "Someone Else"
    with pytest.raises(RecordProtected):
        signature.save()
    with pytest.raises(RecordProtected):
        Signature.objects.filter(pk=signature.pk).update(signer_name="x")
    for statement in ("UPDATE consent_signature SET signer_name = 'x'", "DELETE FROM consent_signature"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Signature.objects.get(pk=signature.pk).signer_name == "Rose Tyler"


def test_withdrawn_consent_blocks_and_says_when(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    consent = consent_withdraw(actor=persona("nurse"), episode=episode, reason="Patient phoned: changed her mind")
    assert consent.status == "withdrawn" and consent.withdrawn_by_id == persona("nurse").user.pk
    reasons = consent_refusals(episode=episode)
    assert len(reasons) == 1 and reasons[0].startswith("Consent was withdrawn on ")
    assert "changed her mind" in reasons[0]
    event = AuditEvent.objects.get(action="consent.withdraw")
    assert event.changes["status"] == ["active", "withdrawn"] and event.reason.startswith("Patient phoned")
    assert Episode.objects.get(pk=episode.pk).stage == "consented"


def test_withdrawal_needs_a_reason_an_active_consent_and_a_clinical_role(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    with pytest.raises(GuardRefused):
        consent_withdraw(actor=physician, episode=episode, reason="no consent yet")
    take(episode, physician)
    with pytest.raises(InvalidInput):
        consent_withdraw(actor=physician, episode=episode, reason=" ")
    with pytest.raises(Forbidden):
        consent_withdraw(actor=persona("lab_technician"), episode=episode, reason="x")


def test_a_new_consent_after_withdrawal_supersedes_and_restores_validity(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    consent_withdraw(actor=physician, episode=episode, reason="Wants to think again")
    renewed = take(episode, physician)
    assert consent_refusals(episode=episode) == []
    assert Episode.objects.get(pk=episode.pk).stage == "consented"
    assert Consent.objects.filter(episode=episode, status="withdrawn").count() == 1
    assert renewed.status == "active"


def test_renewing_an_active_consent_supersedes_the_old_one(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    old = Consent.objects.get(episode=episode)
    new = take(
        episode,
        physician,
        reconsent_kind="material_change",
        reconsent_reason="New information on the risk of infection",
    )
    old.refresh_from_db()
    assert (old.status, old.superseded_by_id) == ("superseded", new.pk)
    assert consent_refusals(episode=episode) == []
    assert AuditEvent.objects.filter(action="consent.supersede", object_id=str(old.pk)).exists()


def test_no_consent_on_file_is_said_plainly(make_episode, physician):
    assert consent_refusals(episode=make_episode()) == ["No signed consent on file."]


def test_a_new_protocol_version_naming_a_new_document_makes_the_old_consent_outdated(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    current = Protocol.objects.get(code="hand-oa-autologous", is_current=True)
    document = current.document | {"version": "9.0", "consent_document_version": "2027.1"}
    Protocol.objects.filter(pk=current.pk).update(is_current=False)
    Protocol.objects.create(code=current.code, version="9.0", title=current.title, document=document, digest="x")
    assert consent_refusals(episode=episode) == [
        "Consent is on document version 2026.1; the protocol now requires 2027.1."
    ]


def test_the_pdf_of_a_signed_consent_names_signer_time_meaning_and_version(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    consent = Consent.objects.get(episode=episode)
    signature = signature_of(consent)
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(consent_pdf(consent=consent, signature=signature))).pages
    )
    flat = " ".join(text.split())
    assert "Rose Tyler" in flat
    assert "consent to harvest and injection" in flat
    assert "2026.1" in flat and consent.document.sha256 in flat.replace(" ", "")
    assert signature.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC") in flat
    assert "Europe/London" in flat
    assert "trapeziectomy" in flat  # the document text itself


def test_a_clinic_folder_of_documents_is_read_first(db, settings, tmp_path):
    (tmp_path / "clinic-2026.md").write_text("# Our clinic's consent\n\nText edited by the clinic.\n", encoding="utf-8")
    settings.HANDREGEN_CONSENT_DOCUMENTS_DIR = str(tmp_path)
    document = consent_document_ensure(version="clinic-2026")
    assert document.title == "Our clinic's consent" and document.sha256 == text_sha256(document.text)
    assert consent_document_ensure(version="../etc/passwd") is None
    assert consent_document_ensure(version="2026.1").source.endswith("documents/2026.1.md")
