"""A synthetic patient's outcomes and safety record: baseline and scheduled follow-ups with scored responses
(missed visits and drop-out leave follow-ups empty), adverse events with their alerts, re-interventions."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import numpy as np

from handregen.analytics.synthetic.answers import answers_for
from handregen.analytics.synthetic.cohort import SyntheticPatient, Visit
from handregen.analytics.synthetic.writer.batch import Batch
from handregen.analytics.synthetic.writer.clinical import Written
from handregen.analytics.synthetic.writer.context import SiteContext
from handregen.analytics.synthetic.writer.plan import CONSULTATION_DAY
from handregen.outcomes.models import FollowUp, QuestionnaireResponse
from handregen.outcomes.schedule import BASELINE, age_on, schedule
from handregen.outcomes.scoring import score
from handregen.safety.models import AdverseEvent, Reintervention, SafetyAlert
from handregen.safety.terms import TERMS, seriousness_problems

BASELINE_LABEL = "Baseline (before the injection)"
# term -> relatedness to the treatment, the harvest, the injection and the product (WHO-UMC)
RELATEDNESS = {
    "injection_site_pain_flare": ("probable", "", "probable", "possible"),
    "injection_site_swelling": ("probable", "", "probable", "possible"),
    "harvest_site_haematoma": ("probable", "probable", "", ""),
    "vasovagal_reaction": ("possible", "possible", "possible", ""),
    "numbness": ("possible", "", "possible", ""),
    "infection": ("possible", "possible", "possible", "possible"),
}
REINTERVENTION = {"thumb_cmc_oa": "trapeziectomy", "finger_oa": "arthrodesis", "wrist_oa": "denervation"}


def build_outcomes(
    ctx: SiteContext,
    p: SyntheticPatient,
    w: Written,
    injected: bool,
    rnd: random.Random,
    gen: np.random.Generator,
    batch: Batch,
) -> None:
    """The baseline of a consulted episode; for an injected one its time points, safety events and surgery."""
    injected_on = p.injected_on if injected else None
    seen = p.referred_on + timedelta(days=CONSULTATION_DAY)
    baseline = FollowUp(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        cycle=1,
        timepoint=BASELINE,
        label=BASELINE_LABEL,
        injected_on=injected_on,
        due_from=min(p.referred_on, injected_on or p.referred_on),
        due_until=injected_on,
        instruments=list(ctx.baseline_instruments),
    )
    _follow_up(ctx, p, w, baseline, p.baseline, seen, rnd, gen, batch, staff_only=True)
    if injected_on is None:
        return
    visits = {v.timepoint: v for v in p.visits}
    for point in schedule(injected_on, ctx.definition.follow_up):
        row = FollowUp(
            id=ctx.new_id(),
            site_id=ctx.site.pk,
            patient_id=w.patient.pk,
            episode_id=w.episode.pk,
            cycle=1,
            timepoint=point.code,
            label=point.label,
            days=point.days,
            injected_on=injected_on,
            due_on=point.due_on,
            due_from=point.due_from,
            due_until=point.due_until,
            instruments=list(point.instruments),
        )
        _follow_up(ctx, p, w, row, visits.get(point.code), point.due_on, rnd, gen, batch, staff_only=False)
    for term, grade, serious, day in p.adverse_events:
        onset = injected_on + timedelta(days=day)
        if onset <= ctx.today:
            _adverse_event(ctx, w, term, grade, serious, onset, rnd, batch)
    if p.reintervention_day is not None:
        performed = injected_on + timedelta(days=p.reintervention_day)
        surgery = Reintervention(
            id=ctx.new_id(),
            site_id=ctx.site.pk,
            patient_id=w.patient.pk,
            episode_id=w.episode.pk,
            performed_on=performed,
            type=REINTERVENTION[p.indication],
            joint=p.joints[0],
            side=p.side,
            recorded_by_id=ctx.physician.user.pk,
            recorded_at=ctx.at(performed + timedelta(days=1), 12),
        )
        batch.add(
            surgery,
            actor=ctx.physician,
            action="reintervention.record",
            object_type="reintervention",
            patient_id=w.patient.pk,
            episode_id=w.episode.pk,
            changes={
                "performed_on": [None, performed],
                "type": [None, surgery.type],
                "joint": [None, surgery.joint],
                "side": [None, surgery.side],
                "note": [None, ""],
            },
        )


def _follow_up(
    ctx: SiteContext,
    p: SyntheticPatient,
    w: Written,
    fu: FollowUp,
    visit: Visit | None,
    day: date,
    rnd: random.Random,
    gen: np.random.Generator,
    batch: Batch,
    *,
    staff_only: bool,
) -> None:
    """The follow-up row and, when the visit took place, one scored response per instrument."""
    entered = ctx.at(day, 10, 30)
    scored = []
    if visit is not None:
        by_patient = not staff_only and rnd.random() < 0.5  # answered through the patient's link
        for code in fu.instruments:
            scored.append(_response(ctx, p, w, fu, visit, code, day, entered, by_patient, gen, batch))
    if scored and all(scored):
        fu.completed_at, fu.completion = entered, "auto"
    changes: dict[str, Any] = {
        "timepoint": [None, fu.timepoint],
        "cycle": [None, 1],
        "due_on": [None, fu.due_on],
        "due_from": [None, fu.due_from],
        "due_until": [None, fu.due_until],
        "instruments": [None, fu.instruments],
    }
    if fu.completed_at is not None:
        changes["completion"] = [None, "auto"]
    batch.add(
        fu,
        actor=ctx.nurse,
        action="follow_up.schedule",
        object_type="follow_up",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes=changes,
    )


def _response(
    ctx: SiteContext,
    p: SyntheticPatient,
    w: Written,
    fu: FollowUp,
    visit: Visit,
    code: str,
    day: date,
    entered: Any,
    by_patient: bool,
    gen: np.random.Generator,
    batch: Batch,
) -> bool:
    """Store one instrument's answers scored by the real rules, as `outcomes.services` does; True when scorable."""
    info = ctx.instruments[code]
    answers = answers_for(
        code,
        gen,
        pain=visit.pain,
        disability=visit.disability,
        improvement=visit.improvement,
        grip_kg=visit.grip_kg,
        affected=p.side,
    )
    side = p.side if info.measured_by_staff else ""
    known: dict[str, object] = {"hand": p.side, "age": age_on(p.birth_date, day), "sex": p.sex, "side": side}
    if ctx.prwe_missing_policy:  # as `outcomes.services.scoring_options` takes it from the protocol
        known["missing_policy"] = ctx.prwe_missing_policy
    options = {name: value for name, value in known.items() if name in info.options}
    result = score(code, answers, **options)
    source = "patient" if by_patient and not info.measured_by_staff else "staff"
    actor = None if source == "patient" else ctx.nurse
    response = QuestionnaireResponse(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        follow_up_id=fu.pk,
        instrument=code,
        instrument_version=info.version,
        side=side,
        answers=answers,
        options=options,
        total=result.total,
        subscales=result.subscales,
        scorable=result.scorable,
        reasons=result.reasons,
        scoring_version=result.scoring_version,
        missing_policy=result.missing_policy or "",
        label_set=info.label_set,
        source=source,
        entered_by_id=actor.user.pk if actor else None,
        entered_at=entered,
    )
    batch.add(
        response,
        actor=actor,
        action="outcome.response_record",
        object_type="questionnaire_response",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={
            "answers": [None, answers],
            "total": [None, result.total],
            "subscales": [None, result.subscales],
            "scorable": [None, result.scorable],
            "scoring_version": [None, result.scoring_version],
            "instrument": [None, code],
            "follow_up": [None, str(fu.pk)],
            "source": [None, source],
            "side": [None, side],
            "variant": [None, ""],
        },
    )
    return result.scorable


def _adverse_event(
    ctx: SiteContext, w: Written, term: str, grade: int, serious: bool, onset: date, rnd: random.Random, batch: Batch
) -> None:
    assert term in TERMS
    related, harvest, injection, product = RELATEDNESS[term]
    lasts = rnd.randint(10, 40) if term == "infection" else rnd.randint(2, 21)
    resolved = onset + timedelta(days=lasts)
    action = (
        "hospitalisation"
        if serious
        else "antibiotics"
        if term == "infection"
        else "medication"
        if grade >= 2
        else "observation"
    )
    fields: dict[str, Any] = {
        "term": term,
        "other_text": "",
        "description": "",
        "onset_date": onset,
        "grade": grade,
        "serious": serious,
        "seriousness_criteria": ["hospitalisation"] if serious else [],
        "relatedness": related,
        "relatedness_harvest": harvest,
        "relatedness_injection": injection,
        "relatedness_product": product,
        "action_taken": action,
        "outcome": "recovered" if resolved <= ctx.today else "recovering",
        "resolution_date": resolved if resolved <= ctx.today else None,
    }
    problems = seriousness_problems(
        grade=grade, serious=serious, criteria=fields["seriousness_criteria"], outcome=fields["outcome"]
    )
    if problems:
        raise RuntimeError(f"synthetic adverse event is contradictory: {problems}")
    reporter = ctx.physician if serious else ctx.nurse
    event = AdverseEvent(
        id=ctx.new_id(),
        site_id=ctx.site.pk,
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        cycle=1,
        reported_by_id=reporter.user.pk,
        reported_at=ctx.at(onset + timedelta(days=1), 12),
        **fields,
    )
    batch.add(
        event,
        actor=reporter,
        action="adverse_event.record",
        object_type="adverse_event",
        patient_id=w.patient.pk,
        episode_id=w.episode.pk,
        changes={name: [None, value] for name, value in fields.items()},
    )
    if serious:
        # Reviewed by the synthetic physician and marked e-mailed (to nobody), so no real physician is alerted.
        created = event.reported_at
        alert = SafetyAlert(
            id=ctx.new_id(),
            site_id=ctx.site.pk,
            patient_id=w.patient.pk,
            episode_id=w.episode.pk,
            adverse_event_id=event.pk,
            physician_id=ctx.physician.user.pk,
            created_at=created,
            emailed_to=0,
            emailed_at=created,
            acknowledged_at=min(created + timedelta(days=1), ctx.now),
            acknowledged_by_id=ctx.physician.user.pk,
        )
        batch.add(
            alert,
            actor=ctx.physician,
            action="safety_alert.raise",
            object_type="safety_alert",
            patient_id=w.patient.pk,
            episode_id=w.episode.pk,
            changes={
                "adverse_event": [None, str(event.pk)],
                "physician": [None, ctx.physician.user.pk],
                "recipients": [None, 0],
                "acknowledged_at": [None, alert.acknowledged_at],
            },
        )
