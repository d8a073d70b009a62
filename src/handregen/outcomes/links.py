"""Patient questionnaire links (security requirement Z4): one follow-up of one patient, random, hashed,
expiring, unusable after submission.

The token has 256 random bits (`secrets.token_urlsafe(32)`) and only its SHA-256 is stored, so the database
cannot give a working link away. The patient's browser keeps the link's id in its session after the first
visit, so the token leaves the address bar at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from handregen.accounts.actor import Actor
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.errors import GuardRefused, HandregenError, InvalidInput, NotFound
from handregen.outcomes.models import FollowUp, QuestionnaireLink, QuestionnaireResponse
from handregen.outcomes.schedule import MISSED, UPCOMING
from handregen.outcomes.selectors import follow_up_status, patient_instruments
from handregen.outcomes.services import _baseline_ensure, _episode_of_site, _follow_up_locked, _store, links_close
from handregen.pathway.models import Episode
from handregen.procedures.selectors import cycle_injected_at

TOKEN_BYTES = 32  # 256 bits from the operating system's CSPRNG


class LinkGone(HandregenError):
    """A link that existed but can no longer be used (expired, already answered): the page answers 410."""

    def __init__(self, message: str, *, link: QuestionnaireLink | None = None):
        super().__init__(message)
        self.link = link


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return settings.HANDREGEN_BASE_URL.rstrip("/") + reverse("portal:land", args=[token])


def _link_create(*, actor: Actor | None, fu: FollowUp) -> tuple[QuestionnaireLink, str]:
    """Create a link for a locked follow-up; return it and the plain token (shown once, never stored)."""
    recorded = set(QuestionnaireResponse.objects.filter(follow_up=fu).values_list("instrument", flat=True))
    reasons = []
    status = follow_up_status(fu, fu.site.today())
    if fu.completed_at is not None:
        reasons.append(f"The {fu.label} follow-up is already completed.")
    elif fu.superseded_at is not None:
        reasons.append(f"The {fu.label} follow-up is no longer needed: a further treatment cycle started.")
    elif status == UPCOMING and fu.due_from is not None:
        reasons.append(f"The {fu.label} follow-up is not due until {fu.due_from:%d %b %Y}.")
    elif status == MISSED and fu.due_until is not None:
        reasons.append(f"The window of the {fu.label} follow-up closed on {fu.due_until:%d %b %Y}.")
    if not reasons and not patient_instruments(fu, recorded):
        reasons.append(f"Nothing is left for the patient to answer at {fu.label}.")
    if reasons:
        raise GuardRefused(reasons)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    draft = _revoke_live_links(actor=actor, fu=fu)
    link = QuestionnaireLink.objects.create(
        site=fu.site,
        patient=fu.patient,
        follow_up=fu,
        token_hash=token_digest(token),
        created_by=actor.user if actor else None,
        expires_at=timezone.now() + timedelta(days=settings.HANDREGEN_LINK_DAYS),
        draft=draft,
    )
    audit_record(
        actor=actor,
        site=fu.site if actor is None else None,
        action="questionnaire_link.create",
        object_type="questionnaire_link",
        object_id=link.pk,
        changes={"follow_up": [None, str(fu.pk)], "expires_at": [None, link.expires_at]},
        patient_id=fu.patient_id,
        episode_id=fu.episode_id,
    )
    return link, token


def _revoke_live_links(*, actor: Actor | None, fu: FollowUp) -> dict[str, Any]:
    """One live link per follow-up (security issue 19, finding 7): a new link closes the older ones and takes
    over the answers the patient saved through them (the newest draft), so nothing typed is lost."""
    live = list(
        QuestionnaireLink.objects.select_for_update()
        .filter(follow_up=fu, closed_at__isnull=True, submitted_at__isnull=True)
        .order_by("created_at")
    )
    draft: dict[str, Any] = {}
    now = timezone.now()
    for old in live:
        if old.draft and old.expires_at > now:
            draft = dict(old.draft)
        old.closed_at = now
        old.version += 1
        old.save()
        audit_record(
            actor=actor,
            site=fu.site if actor is None else None,
            action="questionnaire_link.revoke",
            object_type="questionnaire_link",
            object_id=old.pk,
            changes={"closed_at": [None, now], "reason": [None, "a newer link to the same follow-up"]},
            patient_id=fu.patient_id,
            episode_id=fu.episode_id,
        )
    return draft


@transaction.atomic
def questionnaire_link_create(*, actor: Actor, follow_up: FollowUp | Any) -> str:
    """A new link (full URL) to the questionnaires of one follow-up, valid HANDREGEN_LINK_DAYS days."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    fu = _follow_up_locked(actor=actor, follow_up=follow_up)
    _, token = _link_create(actor=actor, fu=fu)
    return link_url(token)


def baseline_still_possible(episode: Episode) -> None:
    """Refuse to ask for a baseline once the cycle's injection was given: a baseline is measured before it."""
    injected_at = cycle_injected_at(episode_id=episode.pk, cycle=episode.cycle)
    if injected_at is not None:
        when = timezone.localtime(injected_at, episode.site.zone).strftime("%d %b %Y %H:%M")
        raise GuardRefused(
            [
                f"Time order rule 'baseline before injection': this cycle's injection was given on {when}, so a "
                "baseline can no longer be asked for. Send the follow-up questionnaires instead."
            ]
        )


@transaction.atomic
def baseline_link_create(*, actor: Actor, episode: Episode | Any) -> str:
    """A link (full URL) to the baseline questionnaires of the episode's current cycle, before the injection;
    the cycle's baseline record is created when it does not exist yet."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    found = _episode_of_site(actor=actor, episode=episode)
    baseline_still_possible(found)
    fu = _follow_up_locked(actor=actor, follow_up=_baseline_ensure(actor=actor, episode=found))
    _, token = _link_create(actor=actor, fu=fu)
    return link_url(token)


def _usable(link: QuestionnaireLink) -> QuestionnaireLink:
    """The link when it can still be used; LinkGone saying why when not."""
    replaced = (
        link.closed_at is not None
        and QuestionnaireLink.objects.filter(follow_up_id=link.follow_up_id, created_at__gt=link.created_at).exists()
    )
    if (
        link.submitted_at is not None
        or link.follow_up.completed_at is not None
        or (link.closed_at is not None and not replaced)
    ):
        raise LinkGone(_("These questionnaires have already been answered. Thank you."), link=link)
    if replaced:
        raise LinkGone(
            _("This link has been replaced by a newer one. Please use the link in your latest e-mail from the clinic."),
            link=link,
        )
    if link.follow_up.superseded_at is not None:
        raise LinkGone(_("These questionnaires are no longer needed."), link=link)
    if link.expires_at <= timezone.now():
        raise LinkGone(_("This link has expired."), link=link)
    return link


def link_for_token(token: str) -> QuestionnaireLink:
    """The usable link whose token this is: NotFound for an unknown token, LinkGone for a spent one."""
    if not token or len(token) > 200:
        raise NotFound("link")
    link = (
        QuestionnaireLink.objects.select_related("follow_up", "site", "patient")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if link is None:
        raise NotFound("link")
    return _usable(link)


def link_for_session(link_id: object) -> QuestionnaireLink:
    """The usable link whose id the patient's session holds (set on the first visit)."""
    try:
        pk = uuid.UUID(str(link_id))
    except ValueError as exc:
        raise NotFound("link") from exc
    link = QuestionnaireLink.objects.select_related("follow_up", "site", "patient").filter(pk=pk).first()
    if link is None:
        raise NotFound("link")
    return _usable(link)


@transaction.atomic
def link_open(*, link: QuestionnaireLink) -> QuestionnaireLink:
    """Note the link's first use (the patient opened it); later visits change nothing."""
    locked = QuestionnaireLink.objects.select_for_update().get(pk=link.pk)
    if locked.first_used_at is None:
        locked.first_used_at = timezone.now()
        locked.version += 1
        locked.save()
        audit_record(
            actor=None,
            site=locked.site,
            action="questionnaire_link.open",
            object_type="questionnaire_link",
            object_id=locked.pk,
            changes={"first_used_at": [None, locked.first_used_at]},
            patient_id=locked.patient_id,
            episode_id=locked.follow_up.episode_id,
        )
    return locked


@transaction.atomic
def portal_save(*, link_id: object, instrument: str, answers: Mapping[str, object]) -> QuestionnaireLink:
    """Keep the answers of one page on the session's link (values checked by the page's form), so the patient
    can leave and come back until the link expires. The audit says how many items are saved, never the values."""
    link = link_for_session(link_id)
    locked = QuestionnaireLink.objects.select_for_update().get(pk=link.pk)
    _usable(locked)
    if instrument not in locked.follow_up.instruments:
        raise InvalidInput([("instrument", "This questionnaire is not asked at this check-up.")])
    before = sum(len(items) for items in locked.draft.values())
    draft = dict(locked.draft)
    draft[instrument] = dict(draft.get(instrument) or {}) | {str(k): v for k, v in answers.items()}
    locked.draft = draft
    locked.version += 1
    locked.save()
    audit_record(
        actor=None,
        site=locked.site,
        action="questionnaire_link.save",
        object_type="questionnaire_link",
        object_id=locked.pk,
        changes={"saved_items": [before, sum(len(items) for items in draft.values())]},
        patient_id=locked.patient_id,
        episode_id=locked.follow_up.episode_id,
    )
    return locked


@transaction.atomic
def portal_submit(*, link_id: object, answers: Mapping[str, Mapping[str, object]]) -> list[QuestionnaireResponse]:
    """Store the patient's answers for the questionnaires of the session's link, then close the link.

    `answers` maps instrument code to {item id: value}; the follow-up is the link's, whatever else the
    request said. Instruments left wholly blank are not stored. Errors name fields `<instrument>.<item id>`.
    """
    link = link_for_session(link_id)
    locked = QuestionnaireLink.objects.select_for_update().get(pk=link.pk)
    _usable(locked)  # a second submission waiting on the lock finds the link spent
    fu = (
        FollowUp.objects.select_for_update()
        .select_related("episode", "patient", "site", "episode__protocol")
        .get(pk=locked.follow_up_id)
    )
    recorded = set(QuestionnaireResponse.objects.filter(follow_up=fu).values_list("instrument", flat=True))
    wanted = patient_instruments(fu, recorded)
    given = {code: {k: v for k, v in (answers.get(code) or {}).items() if v is not None} for code in wanted}
    given = {code: items for code, items in given.items() if items}
    if not given:
        raise InvalidInput([("answers", "Please answer at least one question before sending.")])
    errors: list[tuple[str, str]] = []
    stored: list[QuestionnaireResponse] = []
    for code, items in given.items():
        try:
            with transaction.atomic():
                stored.append(_store(actor=None, fu=fu, instrument=code, answers=items, source="patient", field=code))
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput(errors)
    locked.refresh_from_db()  # storing may have completed the follow-up, which closes its links
    locked.submitted_at = timezone.now()
    locked.version += 1
    locked.save()
    audit_record(
        actor=None,
        site=locked.site,
        action="questionnaire_link.submit",
        object_type="questionnaire_link",
        object_id=locked.pk,
        changes={"submitted_at": [None, locked.submitted_at], "instruments": [None, sorted(given)]},
        patient_id=locked.patient_id,
        episode_id=fu.episode_id,
    )
    links_close(actor=None, follow_up=fu, except_link=locked)
    return stored
