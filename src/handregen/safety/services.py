"""Recording adverse events and re-interventions; flagging serious events to the physician at once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import Membership, User
from handregen.accounts.roles import Permission, Role
from handregen.audit.services import audit_record, changes_between
from handregen.errors import GuardRefused, InvalidInput, NotFound
from handregen.pathway.models import Episode
from handregen.pathway.services import JOINTS
from handregen.safety.models import AdverseEvent, Reintervention, SafetyAlert
from handregen.safety.terms import (
    ACTIONS,
    OUTCOMES,
    REINTERVENTION_TYPES,
    RELATEDNESS,
    RESOLVED_OUTCOMES,
    TERMS,
    seriousness_problems,
)
from handregen.signatures.services import lock_refusals
from handregen.versions import version_check

log = logging.getLogger(__name__)

# Who reviews serious events: a physician (roles are data; this is the one role that assesses causality).
ALERT_REVIEWER_ROLES = frozenset({Role.PHYSICIAN.value})
ALERT_SUBJECT = "handregen: a serious adverse event needs your review"  # never PHI in a subject line
AMENDABLE = (
    "term",
    "other_text",
    "description",
    "onset_date",
    "grade",
    "serious",
    "seriousness_criteria",
    "relatedness",
    "relatedness_harvest",
    "relatedness_injection",
    "relatedness_product",
    "action_taken",
    "outcome",
    "resolution_date",
)


def _episode_of_site(*, actor: Actor, episode: Episode | Any) -> Episode:
    pk = episode.pk if isinstance(episode, Episode) else episode
    try:
        return Episode.objects.select_related("patient", "site", "responsible_physician").get(pk=pk, site=actor.site)
    except (Episode.DoesNotExist, ValueError) as exc:
        raise NotFound("episode") from exc


def _problems(fields: dict[str, Any], episode: Episode) -> list[tuple[str, str]]:
    """(field, message) for every invalid or contradictory value of an adverse event."""
    problems: list[tuple[str, str]] = []
    if fields["term"] not in TERMS:
        problems.append(("term", f"must be one of {', '.join(TERMS)}"))
    if fields["term"] == "other" and not fields["other_text"].strip():
        problems.append(("other_text", "name the event when the term is other"))
    grade = fields["grade"]
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        problems.append(("grade", "must be a CTCAE grade from 1 to 5"))
        grade = 1
    for name in ("relatedness", "relatedness_harvest", "relatedness_injection", "relatedness_product"):
        value = fields[name]
        if (value or name == "relatedness") and value not in RELATEDNESS:
            problems.append((name, f"must be one of {', '.join(RELATEDNESS)} (WHO-UMC)"))
    if fields["action_taken"] not in ACTIONS:
        problems.append(("action_taken", f"must be one of {', '.join(ACTIONS)}"))
    if fields["outcome"] not in OUTCOMES:
        problems.append(("outcome", f"must be one of {', '.join(OUTCOMES)}"))
    problems += seriousness_problems(
        grade=grade,
        serious=bool(fields["serious"]),
        criteria=list(fields["seriousness_criteria"]),
        outcome=fields["outcome"],
    )
    onset, resolved = fields["onset_date"], fields["resolution_date"]
    today = episode.site.today()
    opened = timezone.localtime(episode.created_at, episode.site.zone).date()
    if not isinstance(onset, date):
        problems.append(("onset_date", "give the date the event began"))
    else:
        if onset > today:
            problems.append(("onset_date", "is in the future"))
        if onset < opened:
            problems.append(("onset_date", f"is before the episode was opened ({opened:%d %b %Y})"))
        if resolved is not None and resolved < onset:
            problems.append(("resolution_date", "is before the onset"))
    if resolved is not None and resolved > today:
        problems.append(("resolution_date", "is in the future"))
    if resolved is not None and fields["outcome"] not in RESOLVED_OUTCOMES:
        problems.append(
            ("outcome", "an event with a resolution date has the outcome recovered or recovered with sequelae")
        )
    return problems


def _normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """Infer what follows by definition: grade 5 means death, so the criterion death and the outcome fatal."""
    out = dict(fields)
    out["seriousness_criteria"] = sorted(set(out["seriousness_criteria"] or []))
    if out["grade"] == 5 and out["serious"] and not out["seriousness_criteria"]:
        out["seriousness_criteria"] = ["death"]
    if out["outcome"] is None:
        out["outcome"] = "fatal" if out["grade"] == 5 else "unknown"
    for name in ("relatedness_harvest", "relatedness_injection", "relatedness_product"):
        out[name] = out[name] or ""
    out["other_text"] = (out["other_text"] or "").strip() if out["term"] == "other" else ""
    out["description"] = (out["description"] or "").strip()
    return out


@transaction.atomic
def adverse_event_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    term: str,
    onset_date: date,
    grade: int,
    serious: bool,
    relatedness: str,
    seriousness_criteria: Iterable[str] = (),
    relatedness_harvest: str | None = None,
    relatedness_injection: str | None = None,
    relatedness_product: str | None = None,
    action_taken: str = "none",
    outcome: str | None = None,
    resolution_date: date | None = None,
    other_text: str = "",
    description: str = "",
) -> AdverseEvent:
    """Record an adverse event of the episode; a serious one is flagged to the physician at once."""
    actor.require(Permission.ADVERSE_EVENT_RECORD)
    found = _episode_of_site(actor=actor, episode=episode)
    fields = _normalised(
        {
            "term": term,
            "other_text": other_text,
            "description": description,
            "onset_date": onset_date,
            "grade": grade,
            "serious": serious,
            "seriousness_criteria": list(seriousness_criteria),
            "relatedness": relatedness,
            "relatedness_harvest": relatedness_harvest,
            "relatedness_injection": relatedness_injection,
            "relatedness_product": relatedness_product,
            "action_taken": action_taken,
            "outcome": outcome,
            "resolution_date": resolution_date,
        }
    )
    problems = _problems(fields, found)
    if problems:
        raise InvalidInput(problems)
    Episode.objects.select_for_update().filter(pk=found.pk).first()  # one recorder at a time per episode
    _duplicate_refusal(episode=found, fields=fields)
    event = AdverseEvent.objects.create(
        site=found.site,
        patient=found.patient,
        episode=found,
        cycle=found.cycle,
        reported_by=actor.user,
        reported_at=timezone.now(),
        **fields,
    )
    audit_record(
        actor=actor,
        action="adverse_event.record",
        object_type="adverse_event",
        object_id=event.pk,
        changes={name: [None, value] for name, value in fields.items()},
        patient_id=found.patient_id,
        episode_id=found.pk,
    )
    if event.serious:
        alert_raise(actor=actor, event=event)
    return event


SAME_EVENT = ("term", "other_text", "description", "onset_date", "grade", "serious", "relatedness")


def _duplicate_refusal(*, episode: Episode, fields: dict[str, Any]) -> None:
    """Refuse an event identical to one already on the episode (Back and re-submit, a second tab)."""
    same = (
        AdverseEvent.objects.filter(
            episode=episode, cycle=episode.cycle, retracted_at__isnull=True, **{k: fields[k] for k in SAME_EVENT}
        )
        .select_related("reported_by")
        .first()
    )
    if same is not None:
        when = timezone.localtime(same.reported_at, episode.site.zone).strftime("%d %b %Y %H:%M")
        reporter = same.reported_by.get_full_name() or same.reported_by
        raise GuardRefused(
            [
                f"Duplicate rule: this event ({same.term_label}, onset {same.onset_date:%d %b %Y}, grade {same.grade}) "
                f"is already recorded for this episode ({when}, by {reporter}). Open it to amend it; if this is a "
                "second, separate event, say how it differs in the description."
            ]
        )


@transaction.atomic
def adverse_event_amend(
    *,
    actor: Actor,
    adverse_event: AdverseEvent | Any,
    changes: dict[str, Any],
    reason: str,
    expected_version: int | None = None,
) -> AdverseEvent:
    """Update an event (typically its outcome and resolution date) with a reason; the audit keeps the old values.

    An event that becomes serious is flagged to the physician like a new serious event.
    """
    actor.require(Permission.ADVERSE_EVENT_RECORD)
    pk = adverse_event.pk if isinstance(adverse_event, AdverseEvent) else adverse_event
    try:
        event = AdverseEvent.objects.select_for_update().select_related("episode__site").get(pk=pk, site=actor.site)
    except (AdverseEvent.DoesNotExist, ValueError) as exc:
        raise NotFound("adverse event") from exc
    unknown = sorted(set(changes) - set(AMENDABLE))
    if unknown:
        raise InvalidInput([(name, "cannot be changed here") for name in unknown])
    if not reason.strip():
        raise InvalidInput([("reason", "a correction needs a reason")])
    reasons = lock_refusals(event)  # a closed event is locked
    if event.retracted_at is not None:
        reasons.append("This event was retracted as entered in error; it is kept as it was and not changed.")
    if reasons:
        raise GuardRefused(reasons)
    version_check(
        what="adverse event",
        version=event.version,
        expected_version=expected_version,
        current={name: getattr(event, name) for name in AMENDABLE},
    )
    before = {name: getattr(event, name) for name in AMENDABLE}
    fields = _normalised(before | changes)
    problems = _problems(fields, event.episode)
    if problems:
        raise InvalidInput(problems)
    was_serious = event.serious
    for name, value in fields.items():
        setattr(event, name, value)
    event.version += 1
    event.save()
    audit_record(
        actor=actor,
        action="adverse_event.amend",
        object_type="adverse_event",
        object_id=event.pk,
        changes=changes_between(before, fields),
        reason=reason.strip(),
        patient_id=event.patient_id,
        episode_id=event.episode_id,
    )
    if event.serious and not was_serious:
        alert_raise(actor=actor, event=event)
    return event


@transaction.atomic
def adverse_event_retract(
    *, actor: Actor, adverse_event: AdverseEvent | Any, reason: str, expected_version: int | None = None
) -> AdverseEvent:
    """Retract an event entered in error, with a reason: it is kept (shown struck through) and left out of rates."""
    actor.require(Permission.ADVERSE_EVENT_RECORD)
    pk = adverse_event.pk if isinstance(adverse_event, AdverseEvent) else adverse_event
    try:
        event = AdverseEvent.objects.select_for_update().get(pk=pk, site=actor.site)
    except (AdverseEvent.DoesNotExist, ValueError) as exc:
        raise NotFound("adverse event") from exc
    if len(reason.strip()) < 5:
        raise InvalidInput([("reason", "say why the event was entered in error")])
    reasons = lock_refusals(event)
    if event.retracted_at is not None:
        reasons.append("This event is already retracted.")
    if reasons:
        raise GuardRefused(reasons)
    version_check(
        what="adverse event",
        version=event.version,
        expected_version=expected_version,
        current={name: getattr(event, name) for name in AMENDABLE},
    )
    event.retracted_at = timezone.now()
    event.retracted_by = actor.user
    event.retracted_reason = reason.strip()
    event.version += 1
    event.save()
    audit_record(
        actor=actor,
        action="adverse_event.retract",
        object_type="adverse_event",
        object_id=event.pk,
        changes={"retracted_at": [None, event.retracted_at]},
        reason=event.retracted_reason,
        patient_id=event.patient_id,
        episode_id=event.episode_id,
    )
    return event


def _reviewers(event: AdverseEvent) -> tuple[User | None, list[User]]:
    """The responsible physician, or (None, every active physician of the site) when there is none."""
    responsible = event.episode.responsible_physician
    if responsible is not None and responsible.is_active:
        return responsible, [responsible]
    physicians = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(site=event.site, role__in=ALERT_REVIEWER_ROLES).values("user"),
    ).order_by("username")
    return None, list(physicians)


def alert_raise(*, actor: Actor, event: AdverseEvent) -> SafetyAlert:
    """Flag a serious event: an alert on the physician's worklist now, and an e-mail once the record commits."""
    physician, recipients = _reviewers(event)
    alert = SafetyAlert.objects.create(
        site=event.site,
        patient=event.patient,
        episode=event.episode,
        adverse_event=event,
        physician=physician,
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="safety_alert.raise",
        object_type="safety_alert",
        object_id=alert.pk,
        changes={
            "adverse_event": [None, str(event.pk)],
            "physician": [None, physician.pk if physician else None],
            "recipients": [None, len(recipients)],
        },
        patient_id=event.patient_id,
        episode_id=event.episode_id,
    )
    transaction.on_commit(lambda: alert_email_send(alert_id=alert.pk))
    return alert


def alert_email_send(*, alert_id: Any) -> bool:
    """E-mail an alert to its physician(s) unless already done; a mail failure leaves it for the next try.

    The message carries a link to the alert page and no patient details (e-mail is not a safe channel).
    """
    with transaction.atomic():
        alert = (
            SafetyAlert.objects.select_for_update(of=("self",))
            .select_related("adverse_event__episode__responsible_physician", "site")
            .filter(pk=alert_id, emailed_at__isnull=True)
            .first()
        )
        if alert is None:
            return False
        _, recipients = _reviewers(alert.adverse_event)
        addresses = sorted({u.email for u in recipients if u.email})
        url = settings.HANDREGEN_BASE_URL.rstrip("/") + reverse("safety:alert", args=[alert.pk])
        if addresses:
            body = (
                f"A serious adverse event was recorded at {alert.site.name} and needs your review.\n\n"
                f"Open it in handregen (sign-in required):\n{url}\n"
            )
            try:
                EmailMessage(subject=ALERT_SUBJECT, body=body, to=addresses).send(fail_silently=False)
            except Exception as exc:  # the alert stays on the worklist; the e-mail is tried again later
                log.error(
                    "safety alert e-mail failed (%s); alert %s stays on the worklist", type(exc).__name__, alert.pk
                )
                return False
        alert.emailed_at, alert.emailed_to = timezone.now(), len(addresses)
        alert.version += 1
        alert.save()
        audit_record(
            actor=None,
            site=alert.site,
            action="safety_alert.email",
            object_type="safety_alert",
            object_id=alert.pk,
            changes={"emailed_to": [0, len(addresses)]},
            patient_id=alert.patient_id,
            episode_id=alert.episode_id,
        )
    return bool(addresses)


def alerts_email_pending() -> int:
    """Retry the e-mails of alerts that could not be sent (called by `handregen remind`); returns how many went."""
    pending = SafetyAlert.objects.filter(emailed_at__isnull=True).values_list("pk", flat=True)
    return sum(alert_email_send(alert_id=pk) for pk in list(pending))


@transaction.atomic
def alert_acknowledge(*, actor: Actor, alert: SafetyAlert | Any) -> SafetyAlert:
    """A physician confirms they have reviewed a serious adverse event; the alert leaves the worklist."""
    actor.require(Permission.ADVERSE_EVENT_RECORD)
    pk = alert.pk if isinstance(alert, SafetyAlert) else alert
    try:
        found = SafetyAlert.objects.select_for_update().get(pk=pk, site=actor.site)
    except (SafetyAlert.DoesNotExist, ValueError) as exc:
        raise NotFound("alert") from exc
    if actor.role not in ALERT_REVIEWER_ROLES:
        raise GuardRefused(["A physician reviews serious adverse events."])
    if found.acknowledged_at is not None:
        raise GuardRefused(["This alert was already reviewed."])
    found.acknowledged_at, found.acknowledged_by = timezone.now(), actor.user
    found.version += 1
    found.save()
    audit_record(
        actor=actor,
        action="safety_alert.acknowledge",
        object_type="safety_alert",
        object_id=found.pk,
        changes={"acknowledged_at": [None, found.acknowledged_at]},
        patient_id=found.patient_id,
        episode_id=found.episode_id,
    )
    return found


@transaction.atomic
def reintervention_record(
    *,
    actor: Actor,
    episode: Episode | Any,
    performed_on: date,
    type: str,
    joint: str = "",
    side: str = "",
    note: str = "",
) -> Reintervention:
    """Record a later procedure on the treated joint or a repeat injection (date and type)."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    found = _episode_of_site(actor=actor, episode=episode)
    joint = (joint or (found.target_joints[0] if found.target_joints else "")).upper()
    side = side or found.side
    problems: list[tuple[str, str]] = []
    if type not in REINTERVENTION_TYPES:
        problems.append(("type", f"must be one of {', '.join(REINTERVENTION_TYPES)}"))
    if joint not in JOINTS:
        problems.append(("joint", "unknown joint; use e.g. CMC1, PIP2, RADIOCARPAL"))
    if side not in ("left", "right"):
        problems.append(("side", "must be left or right"))
    opened = timezone.localtime(found.created_at, found.site.zone).date()
    if performed_on > found.site.today():
        problems.append(("performed_on", "is in the future"))
    elif performed_on < opened:
        problems.append(("performed_on", f"is before the episode was opened ({opened:%d %b %Y})"))
    if type == "other" and not note.strip():
        problems.append(("note", "describe the procedure when the type is other"))
    if problems:
        raise InvalidInput(problems)
    row = Reintervention.objects.create(
        site=found.site,
        patient=found.patient,
        episode=found,
        performed_on=performed_on,
        type=type,
        joint=joint,
        side=side,
        note=note.strip(),
        recorded_by=actor.user,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="reintervention.record",
        object_type="reintervention",
        object_id=row.pk,
        changes={
            "performed_on": [None, performed_on],
            "type": [None, type],
            "joint": [None, joint],
            "side": [None, side],
            "note": [None, row.note],
        },
        patient_id=found.patient_id,
        episode_id=found.pk,
    )
    return row
