"""Questionnaire invitations and reminders by e-mail; safe to run every hour (nothing is ever sent twice).

Each sent e-mail has a `ReminderSent` row, unique per follow-up and kind, written in the same transaction
as the link and the audit event and before the mail goes out: a rerun, or a second run at the same time,
finds the row (or trips over the constraint) and sends nothing. If sending fails, the transaction rolls
back and the next run tries again; the failed delivery is recorded (handregen.messaging) so that staff see
it on the follow-ups page. The e-mail names no patient, condition or date of birth. Staff's "Send link"
goes the same way (`questionnaire_link_send`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from handregen.accounts.actor import Actor
from handregen.accounts.models import Site
from handregen.accounts.roles import Permission
from handregen.audit.services import audit_record
from handregen.messaging.models import Delivery
from handregen.messaging.services import Outgoing, delivery_failed, message_deliver
from handregen.outcomes.links import _link_create, baseline_still_possible, link_url
from handregen.outcomes.models import FollowUp, QuestionnaireResponse, ReminderSent
from handregen.outcomes.schedule import BASELINE
from handregen.outcomes.selectors import patient_instruments
from handregen.outcomes.services import _baseline_ensure, _episode_of_site, _follow_up_locked
from handregen.pathway.models import Episode
from handregen.pathway.stages import CLOSED_STAGES

SUBJECTS = {
    "invitation": "Your hand clinic questionnaire",
    "reminder": "Reminder: your hand clinic questionnaire",
    "link": "Your hand clinic questionnaire",
}


@dataclass
class RemindReport:
    """What one run did, in counts and one line per follow-up (ids and time-point codes only, no PHI)."""

    invitations: int = 0
    reminders: int = 0
    skipped: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.invitations} invitation(s) and {self.reminders} reminder(s) sent; {self.skipped} "
            f"follow-up(s) with nothing to send; {self.failed} failed (tried again on the next run)."
        )


def due_follow_ups(site: Site) -> Iterator[FollowUp]:
    """Follow-ups of `site` inside their window today, not completed, of open episodes, patient with e-mail."""
    today = site.today()
    return iter(
        FollowUp.objects.filter(
            site=site,
            completed_at__isnull=True,
            superseded_at__isnull=True,
            due_from__lte=today,
            due_until__gte=today,
        )
        .exclude(timepoint=BASELINE)
        .exclude(episode__stage__in=[s.value for s in CLOSED_STAGES])
        .exclude(patient__email="")
        .select_related("patient", "site", "episode")
        .order_by("due_until", "pk")
    )


def _next_kind(fu: FollowUp, now: datetime) -> str | None:
    sent = {r.kind: r for r in ReminderSent.objects.filter(follow_up=fu)}
    if "invitation" not in sent:
        return "invitation"
    if "reminder" in sent:
        return None
    wait = timedelta(days=settings.HANDREGEN_REMINDER_AFTER_DAYS)
    return "reminder" if sent["invitation"].sent_at + wait <= now else None


def questionnaire_message(fu: FollowUp, kind: str, url: str, expires: datetime) -> Outgoing:
    """The invitation, reminder or staff-sent link to the questionnaires of `fu` (no patient details in it)."""
    site = fu.site
    phone = f"call us on {site.phone}" if site.phone else "call the clinic"
    opening = "This is a reminder: we have not yet heard" if kind == "reminder" else "We would like to hear"
    when = "before your treatment" if fu.is_baseline else f"{fu.label.lower()} after your treatment"
    body = (
        f"Hello,\n\n{opening} how your hand is doing ({when} at {site.name}).\n\n"
        f"Please answer a few short questions here:\n\n{url}\n\n"
        f"The link works until {timezone.localtime(expires):%d %B %Y}. It is personal: please do not forward it.\n"
        f"If you have questions or worries about your hand, {phone}.\n\n{site.name}\n"
    )
    return Outgoing(
        site=site,
        patient=fu.patient,
        purpose=f"questionnaire_{kind}",
        subject=SUBJECTS[kind],
        body=body,
        about_type="follow_up",
        about_id=str(fu.pk),
    )


def questionnaire_link_send(
    *, actor: Actor, follow_up: FollowUp | Any = None, episode: Episode | Any = None
) -> tuple[str, Delivery]:
    """Staff's "Send link" for a follow-up (or the baseline of `episode`'s cycle): a new link (the live one is
    revoked), e-mailed to the patient through the same path as `handregen remind`; the delivery says whether
    it went. The URL is returned to show once, for copying or the QR code."""
    actor.require(Permission.FOLLOW_UP_RECORD)
    with transaction.atomic():
        if episode is not None:
            found = _episode_of_site(actor=actor, episode=episode)
            baseline_still_possible(found)
            follow_up = _baseline_ensure(actor=actor, episode=found)
        fu = _follow_up_locked(actor=actor, follow_up=follow_up)
        link, token = _link_create(actor=actor, fu=fu)
    url = link_url(token)
    return url, message_deliver(actor=actor, message=questionnaire_message(fu, "link", url, link.expires_at))


def _send(fu: FollowUp, kind: str) -> bool:
    """Send one invitation or reminder; False when another run already sent it."""
    message: Outgoing | None = None
    try:
        with transaction.atomic():
            locked = FollowUp.objects.select_for_update().select_related("patient", "site", "episode").get(pk=fu.pk)
            link, token = _link_create(actor=None, fu=locked)
            ReminderSent.objects.create(follow_up=locked, kind=kind, link=link, sent_at=timezone.now())
            audit_record(
                actor=None,
                site=locked.site,
                action=f"follow_up.{kind}_send",
                object_type="follow_up",
                object_id=locked.pk,
                changes={"sent": [None, kind], "link": [None, str(link.pk)]},
                patient_id=locked.patient_id,
                episode_id=locked.episode_id,
            )
            message = questionnaire_message(locked, kind, link_url(token), link.expires_at)
            message_deliver(actor=None, message=message, raise_on_failure=True)
    except IntegrityError:
        return False
    except Exception as exc:
        if message is not None:  # the queued record rolled back with the rest: keep the failure for staff
            delivery_failed(actor=None, message=message, exc=exc)
        raise
    return True


def reminders_send(*, progress: Callable[[str], None] = lambda line: None) -> RemindReport:
    """Send every due invitation, and one reminder HANDREGEN_REMINDER_AFTER_DAYS after it, across all sites."""
    report = RemindReport()
    candidates = [fu for site in Site.objects.order_by("code") for fu in due_follow_ups(site)]
    now = timezone.now()
    for number, fu in enumerate(candidates, start=1):
        where = f"[{number}/{len(candidates)}] follow-up {fu.pk} ({fu.timepoint})"
        recorded = set(QuestionnaireResponse.objects.filter(follow_up=fu).values_list("instrument", flat=True))
        answered_by_link = fu.links.filter(submitted_at__isnull=False).exists()
        kind = None if answered_by_link or not patient_instruments(fu, recorded) else _next_kind(fu, now)
        if kind is None:
            report.skipped += 1
            line = f"{where}: nothing to send"
        else:
            try:
                sent = _send(fu, kind)
            except Exception as exc:  # a mail server error must not stop the other patients' mail
                report.failed += 1
                line = f"{where}: {kind} failed ({type(exc).__name__}); will try again"
            else:
                if sent:
                    report.invitations += kind == "invitation"
                    report.reminders += kind == "reminder"
                    line = f"{where}: {kind} sent"
                else:
                    report.skipped += 1
                    line = f"{where}: {kind} already sent by another run"
        report.lines.append(line)
        progress(line)
    return report
