"""U6-U8: staff e-signatures re-authenticate the signer, show who, when and what it means, are bound to the signed
version by a SHA-256 of its canonical form, and locked records change only after an audited unlock that voids them.
"""

from __future__ import annotations

import io
import logging
from datetime import date

import pypdf
import pytest
from django.db import connection, transaction

from handregen.accounts.reauth import SIGNER_REFUSED, VERIFIER_REFUSED
from handregen.audit.models import AuditEvent
from handregen.cellproducts.signing import PRODUCT_RELEASE, RELEASE_VERIFICATION
from handregen.consent.models import Consent
from handregen.consent.pdf import consent_pdf
from handregen.consent.selectors import signature_of
from handregen.consent.services import consent_amend, consent_countersign
from handregen.consent.signing import CONSENT_WITNESS
from handregen.errors import Forbidden, GuardRefused, InvalidInput, NotFound, ReauthenticationRefused, RecordProtected
from handregen.evaluation.models import CandidacyDecision
from handregen.evaluation.services import candidacy_decide
from handregen.pathway.models import Episode
from handregen.safety.services import adverse_event_amend, adverse_event_record
from handregen.signatures.kinds import KINDS, canonical_form
from handregen.signatures.models import StaffSignature
from handregen.signatures.selectors import signature_views
from handregen.signatures.services import is_locked, record_unlock, signatures_of
from tests.cellproducts.chain import GOOD_PROCESSING, make_team, released_product
from tests.conftest import PASSWORD, signing
from tests.journeys import CONSENT_BODY, criteria_body, staff_client, to_consented, to_consulted, to_eligible
from tests.security.world import event_fields


def _consent(episode: Episode) -> Consent:
    return Consent.objects.get(episode=episode, status="active")


def _refusals(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome="refused"))


# --- U6: re-authentication at signing time ----------------------------------------------------------------------


def test_consent_without_the_physicians_password_is_a_422_naming_it_and_is_logged(make_episode, physician, api, caplog):
    episode = to_eligible(make_episode(), physician)
    body = {k: v for k, v in CONSENT_BODY.items() if k != "password"}
    with caplog.at_level(logging.WARNING, logger="handregen.signatures"):
        response = api().post(f"/api/v1/episodes/{episode.pk}/consent", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]
    assert not Consent.objects.filter(episode=episode).exists()
    assert Episode.objects.get(pk=episode.pk).stage == "eligible"
    [refused] = _refusals("episode.consent")
    assert "password" in refused.reason
    assert any("re-authentication refused" in r.getMessage() for r in caplog.records)


def test_candidacy_with_a_wrong_password_is_refused_logged_and_leaves_no_trace_of_the_password(
    make_episode, physician, caplog
):
    episode = to_consulted(make_episode(), physician)
    with caplog.at_level(logging.WARNING, logger="handregen.signatures"), pytest.raises(ReauthenticationRefused) as e:
        candidacy_decide(actor=physician, episode=episode, criteria=criteria_body(), decision="eligible",
                         password="not my password at all")  # fmt: skip
    assert e.value.errors == [("password", SIGNER_REFUSED)]
    assert not CandidacyDecision.objects.filter(episode=episode).exists()
    [refused] = _refusals("episode.candidacy")
    assert SIGNER_REFUSED in refused.reason
    [detail] = _refusals("auth.signing_refused")
    assert detail.reason == "wrong password"
    assert "not my password" not in str(refused.changes) + refused.reason
    assert not any("not my password" in r.getMessage() for r in caplog.records)


def test_a_signer_with_an_authenticator_needs_a_current_unused_code(make_episode, physician):
    episode = to_consulted(make_episode(), physician)
    staff_client(lambda *_: physician)  # enrols the physician's authenticator, as signing in does
    fields = {"actor": physician, "episode": episode, "criteria": criteria_body(), "decision": "eligible"}
    with pytest.raises(ReauthenticationRefused) as missing:
        candidacy_decide(**fields, password=PASSWORD)
    assert missing.value.errors == [("password", SIGNER_REFUSED)]  # the error never moves to the code (A7)
    code = signing(physician)
    assert candidacy_decide(**fields, **code).decision == "eligible"
    # the same code signs nothing else: django-otp refuses a code used once
    episode2 = to_consulted(make_episode(), physician)
    with pytest.raises(ReauthenticationRefused) as replayed:
        candidacy_decide(**(fields | {"episode": episode2}), **code)
    assert replayed.value.errors == [("password", SIGNER_REFUSED)]
    assert [e.reason for e in _refusals("auth.signing_refused")] == ["missing, wrong or used authenticator code"] * 2


def test_the_release_verifier_with_an_authenticator_gives_their_code_too(make_episode, persona):
    from handregen.cellproducts.services import product_release
    from tests.cellproducts.chain import harvested, processed

    team = make_team(persona)
    product = processed(harvested(make_episode(), team), team)
    staff_client(lambda *_: team.lab2)  # the verifier has an authenticator
    with pytest.raises(GuardRefused) as caught:
        product_release(actor=team.lab, product=product, verifier_username=team.lab2.user.username,
                        verifier_password=PASSWORD, **signing(team.lab))  # fmt: skip
    assert caught.value.reasons == [VERIFIER_REFUSED]
    released = product_release(actor=team.lab, product=product, **team.verify())
    meanings = sorted((s.meaning, s.printed_name) for s in signatures_of(released))
    assert meanings == [(PRODUCT_RELEASE, team.lab.label), (RELEASE_VERIFICATION, "Second Technician")]


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_consent_page_and_its_pdf_show_printed_name_local_time_with_offset_and_meaning(make_episode, physician):
    physician.user.first_name, physician.user.last_name = "Ada", "Okafor"
    physician.user.save()
    episode = to_consented(make_episode(), physician)
    consent = _consent(episode)
    [view] = signature_views(consent, zone_name=episode.site.time_zone)
    assert "UTC+" in view.signed_local or "UTC-" in view.signed_local
    html = staff_client(lambda *_: physician).get(f"/episodes/{episode.pk}/consent/").content.decode()
    pdf = _pdf_text(consent_pdf(consent=consent, signature=signature_of(consent)))
    for text in (html, pdf):
        assert "Ada Okafor" in text and CONSENT_WITNESS in text and view.signed_local in text
        assert "Rose Tyler" in text and "consent to harvest and injection" in text  # the patient's own signature
    assert "valid for the current version (1)" in html


def test_the_episode_page_lists_each_staff_signature(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    html = staff_client(lambda *_: physician).get(f"/episodes/{episode.pk}/").content.decode()
    assert "candidacy decision" in html and CONSENT_WITNESS in html and "UTC" in html


# --- U7: a signature belongs to one version of one record ---------------------------------------------------------


def test_each_signing_step_stores_the_version_and_the_sha256_of_its_canonical_form(make_episode, persona):
    team = make_team(persona)
    product = released_product(make_episode, team)
    episode = Episode.objects.get(pk=product.episode_id)
    signatures = StaffSignature.objects.filter(episode=episode).order_by("signed_at")
    assert [s.meaning for s in signatures] == ["candidacy decision", CONSENT_WITNESS, PRODUCT_RELEASE,
                                               RELEASE_VERIFICATION]  # fmt: skip
    for signature in signatures:
        assert len(signature.digest) == 64 and signature.record_version >= 1
        record = KINDS[signature.record_type].model.objects.get(pk=signature.record_id)
        assert signature.is_valid_for_current(record)


def test_editing_after_signing_makes_the_signature_apply_to_the_earlier_version_only(make_episode, physician):
    episode = to_consented(make_episode(), physician)
    consent = _consent(episode)
    [signature] = signatures_of(consent)
    # An edit that went round the lock (as a faulty service would): the binding alone must notice it.
    consent.discussion_notes, consent.version = "Edited afterwards", consent.version + 1
    consent.save()
    consent.refresh_from_db()
    assert not signature.is_valid_for_current(consent)
    [view] = signature_views(consent, zone_name="UTC")
    assert view.state == "signed version 1, current version 2: applies to the earlier version only"


def test_a_lifecycle_change_keeps_the_signature_valid_but_shows_both_versions(make_episode, physician):
    from handregen.consent.services import consent_withdraw

    episode = to_consented(make_episode(), physician)
    consent_withdraw(actor=physician, episode=episode, reason="Changed her mind")
    consent = Consent.objects.get(episode=episode)
    [signature] = signatures_of(consent)
    assert signature.is_valid_for_current(consent)
    [view] = signature_views(consent, zone_name="UTC")
    assert view.state == "signed version 1, current version 2: the signed content is unchanged"


def test_a_signature_pointed_at_another_record_fails_digest_verification(make_episode, physician):
    first = _consent(to_consented(make_episode(), physician))
    second = _consent(to_consented(make_episode(), physician))
    [signature] = signatures_of(first)
    assert signature.is_valid_for_current(first)
    assert canonical_form("consent", first)["record_id"] == str(first.pk)  # the id is part of what is hashed
    # The stored row cannot be re-pointed (append-only, database triggers); an in-memory copy stands in for it.
    with pytest.raises(RecordProtected):
        StaffSignature.objects.filter(pk=signature.pk).update(record_id=second.pk)
    # each backend raises its own error; the savepoint keeps the test's transaction usable on PostgreSQL
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
        cursor.execute("UPDATE signatures_staffsignature SET record_id = %s WHERE id = %s",
                       [second.pk.hex, signature.pk.hex])  # fmt: skip
    signature.record_id = second.pk
    assert not signature.digest_matches(second)
    assert not signature.is_valid_for_current(second)


# --- U8: locked records, unlock with a reason, re-signing ---------------------------------------------------------


def test_editing_a_locked_consent_is_a_409_in_plain_words(make_episode, physician, api):
    episode = to_consented(make_episode(), physician)
    response = api().post(f"/api/v1/episodes/{episode.pk}/consent/amend",
                          {"discussion_notes": "Asked about the needle", "reason": "Incomplete"})  # fmt: skip
    assert response.status_code == 409
    assert response.json()["reasons"][0].startswith("This consent is locked")
    assert _consent(episode).discussion_notes == "" and _consent(episode).version == 1


def test_a_released_product_is_locked_for_every_role(make_episode, persona):
    from handregen.cellproducts.services import processing_record

    team = make_team(persona)
    product = released_product(make_episode, team)
    assert is_locked(product)
    with pytest.raises(GuardRefused) as caught:
        processing_record(actor=team.lab, product=product, **GOOD_PROCESSING, correction_reason="late correction")
    assert caught.value.reasons[0].startswith("This cell product is locked")


def test_unlocking_a_released_product_voids_both_signatures_and_each_person_signs_again(make_episode, persona, api):
    team = make_team(persona)
    product = released_product(make_episode, team)
    unlock = record_unlock(actor=persona("site_admin"), record_type="cell_product", record_id=product.pk,
                           reason="Viability was typed from the wrong sample sheet")  # fmt: skip
    assert unlock.voids.count() == 2 and not is_locked(product)
    url = f"/api/v1/products/{product.pk}/sign"
    assert api("nurse").post(url, {"meaning": PRODUCT_RELEASE, "password": PASSWORD}).status_code == 403
    assert api("lab_technician").post(url, {"meaning": PRODUCT_RELEASE, "password": PASSWORD}).status_code == 200
    answer = api("physician").post(url, {"meaning": RELEASE_VERIFICATION, "password": PASSWORD})
    assert answer.status_code == 200, answer.content
    states = [(s["meaning"], s["void"], s["valid"]) for s in answer.json()["staff_signatures"]]
    assert states == [(PRODUCT_RELEASE, True, False), (RELEASE_VERIFICATION, True, False),
                      (PRODUCT_RELEASE, False, True), (RELEASE_VERIFICATION, False, True)]  # fmt: skip
    assert is_locked(type(product).objects.get(pk=product.pk))


def test_a_product_not_yet_released_is_not_signed(make_episode, persona, api):
    from tests.cellproducts.chain import harvested

    product = harvested(make_episode(), make_team(persona))
    response = api("lab_technician").post(f"/api/v1/products/{product.pk}/sign",
                                          {"meaning": PRODUCT_RELEASE, "password": PASSWORD})  # fmt: skip
    assert response.status_code == 409 and "collected" in response.json()["reasons"][0]
    assert not StaffSignature.objects.filter(record_id=product.pk).exists()


def test_a_closed_adverse_event_is_locked_until_unlocked_then_locks_again(make_episode, physician, persona):
    episode = make_episode()
    nurse = persona("nurse")
    event = adverse_event_record(actor=nurse, episode=episode, **event_fields())
    closed = adverse_event_amend(actor=nurse, adverse_event=event, reason="Seen in clinic",
                                 changes={"outcome": "recovered", "resolution_date": date.today()})  # fmt: skip
    with pytest.raises(GuardRefused) as caught:
        adverse_event_amend(actor=physician, adverse_event=closed, changes={"grade": 2}, reason="Regraded")
    assert "locked" in caught.value.reasons[0]
    record_unlock(actor=persona("site_admin"), record_type="adverse_event", record_id=closed.pk,
                  reason="Grade was misread")  # fmt: skip
    regraded = adverse_event_amend(actor=physician, adverse_event=closed, changes={"grade": 2}, reason="Regraded")
    assert regraded.grade == 2 and is_locked(regraded)  # one amendment per unlock


def test_unlocking_needs_the_privilege_and_a_reason(make_episode, physician, persona):
    consent = _consent(to_consented(make_episode(), physician))
    with pytest.raises(Forbidden):
        record_unlock(actor=physician, record_type="consent", record_id=consent.pk, reason="Wrong notes")
    with pytest.raises(InvalidInput) as caught:
        record_unlock(actor=persona("site_admin"), record_type="consent", record_id=consent.pk, reason="  ")
    assert caught.value.errors == [("reason", "say why the locked record must be changed")]
    assert is_locked(consent)


def test_unlocking_another_sites_record_is_404_and_an_unlocked_one_is_409(make_episode, physician, persona):
    consent = _consent(to_consented(make_episode(), physician))
    with pytest.raises(NotFound):
        record_unlock(actor=persona("site_admin", "north"), record_type="consent", record_id=consent.pk, reason="x")
    record_unlock(actor=persona("site_admin"), record_type="consent", record_id=consent.pk, reason="Wrong notes")
    with pytest.raises(GuardRefused):
        record_unlock(actor=persona("site_admin"), record_type="consent", record_id=consent.pk, reason="again")


def test_unlock_is_audited_with_its_reason_voids_signatures_and_re_signing_works(make_episode, physician, api):
    episode = to_consented(make_episode(), physician)
    consent = _consent(episode)
    base = f"/api/v1/episodes/{episode.pk}/consent"

    unlocked = api("site_admin").post("/api/v1/unlocks", {"record_type": "consent", "record_id": str(consent.pk),
                                                          "reason": "Discussion notes were left out"})  # fmt: skip
    assert unlocked.status_code == 201 and unlocked.json()["signatures_voided"] == 1
    event = AuditEvent.objects.get(action="record.unlock", object_id=str(consent.pk))
    assert event.reason == "Discussion notes were left out" and event.outcome == "done"
    [voided] = api().get(base).json()["consent"]["staff_signatures"]
    assert voided["void"] and not voided["valid"] and voided["state"].startswith("void")

    amended = api().post(f"{base}/amend", {"discussion_notes": "Asked about the needle", "reason": "Left out"})
    assert amended.status_code == 200 and amended.json()["version"] == 2
    assert api().post(f"{base}/amend", {"discussion_notes": "Again", "reason": "x"}).status_code == 409

    wrong = api().post(f"{base}/sign", {"password": "not it"})
    assert wrong.status_code == 422 and _refusals("signature.sign")
    signed = api().post(f"{base}/sign", {"password": PASSWORD})
    assert signed.status_code == 200, signed.content
    old, new = signed.json()["staff_signatures"]
    assert old["state"] == "void (the record was unlocked); signed version 1, current version 2"
    assert new["valid"] and new["signed_version"] == 2 and new["state"] == "valid for the current version (2)"
    assert api().post(f"{base}/sign", {"password": PASSWORD}).status_code == 409  # that version is signed already
    assert is_locked(Consent.objects.get(pk=consent.pk))


def test_a_nurse_cannot_sign_as_the_physician(make_episode, physician, persona):
    episode = to_consented(make_episode(), physician)
    with pytest.raises(Forbidden):
        consent_countersign(actor=persona("nurse"), episode=episode, password=PASSWORD)
    with pytest.raises(GuardRefused):
        consent_amend(actor=physician, consent=_consent(episode), discussion_notes="x", reason="y")
