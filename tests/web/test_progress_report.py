"""The patient's progress report (PDF) from the episode page: figures, MCID with source, schedule, adverse
events and the caveat, in the PDF's text; site-scoped and logged as a read of the patient's record."""

import io
from datetime import timedelta

from django.utils import timezone
from pypdf import PdfReader

from handregen.aftercare.services import post_care_record
from handregen.audit.models import AccessEvent
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import baseline_response_record, response_record
from handregen.safety.services import adverse_event_record


def discharged(injected, team, clock, *, baseline_pain: int):
    episode = injected(
        before_injection=lambda e: baseline_response_record(
            actor=team.nurse, episode=e, instrument="nrs", answers={"pain": baseline_pain}
        )
    )
    at = timezone.now()
    observation = {
        "at": at - timedelta(minutes=60),
        "pain_nrs": 3,
        "heart_rate": 72,
        "systolic_bp": 128,
        "diastolic_bp": 80,
        "injection_site": "normal",
        "harvest_site": "normal",
    }
    post_care_record(
        actor=team.nurse, episode=episode, monitoring=[observation], discharged_at=at, instructions_given=True
    )
    return episode


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


def test_the_report_holds_the_scores_the_mcid_and_its_source_the_schedule_events_and_the_caveat(
    injected, team, clock, signed_in
):
    episode = discharged(injected, team, clock, baseline_pain=7)
    clock.advance(days=14)
    response_record(
        actor=team.nurse,
        follow_up=FollowUp.objects.get(episode=episode, timepoint="w2"),
        instrument="nrs",
        answers={"pain": 4},
    )
    adverse_event_record(
        actor=team.nurse,
        episode=episode,
        term="injection_site_swelling",
        onset_date=timezone.localdate() - timedelta(days=3),
        grade=1,
        serious=False,
        relatedness="probable",
    )
    client = signed_in("physician")
    assert f"/analytics/episodes/{episode.pk}/progress.pdf" in client.get(f"/episodes/{episode.pk}/").content.decode()
    before = AccessEvent.objects.filter(patient_id=episode.patient_id, channel="pdf").count()
    response = client.get(f"/analytics/episodes/{episode.pk}/progress.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Your average hand pain was 7 out of 10 before treatment and 4 out of 10 at 2 weeks." in text
    assert "This change of 3 points for the better is at least the 2 points" in text
    assert "Changes like this can have many causes; your doctor will talk them through with you." in text
    assert "-3.0" in text  # the change from baseline in the table
    assert "MCID): 2 points" in text and "Farrar et al., Pain 2001" in text
    assert "6 months" in text and "Not yet due" in text  # the schedule with each status
    assert "Swelling at the injection site" in text
    assert AccessEvent.objects.filter(patient_id=episode.patient_id, channel="pdf").count() > before


def test_before_any_follow_up_the_report_says_when_the_first_check_up_is_due(injected, team, clock, signed_in):
    episode = discharged(injected, team, clock, baseline_pain=6)
    w2 = FollowUp.objects.get(episode=episode, timepoint="w2")
    text = pdf_text(signed_in("nurse").get(f"/analytics/episodes/{episode.pk}/progress.pdf").content)
    assert f"Your first check-up is due on {w2.due_on.day} {w2.due_on:%B %Y}." in text
    assert "before treatment and" not in text
    assert "None recorded." in text


def test_another_sites_episode_is_not_found(make_episode, persona, signed_in):
    elsewhere = make_episode(actor=persona("physician", "north"))
    assert signed_in("physician").get(f"/analytics/episodes/{elsewhere.pk}/progress.pdf").status_code == 404


def test_a_role_without_patient_access_gets_no_report(make_episode, signed_in):
    episode = make_episode()
    assert signed_in("researcher").get(f"/analytics/episodes/{episode.pk}/progress.pdf").status_code == 404
