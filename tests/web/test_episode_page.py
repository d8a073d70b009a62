"""The episode page of a treated patient: charts with baseline and MCID band, follow-ups, product custody."""

from datetime import timedelta

from django.utils import timezone

from handregen.aftercare.services import post_care_record
from handregen.outcomes.models import FollowUp
from handregen.outcomes.services import baseline_response_record, response_record


def test_a_treated_patients_page_shows_charts_schedule_and_custody(injected, team, signed_in, clock):
    episode = injected()
    nurse = team.nurse
    baseline_response_record(actor=nurse, episode=episode, instrument="nrs", answers={"pain": 7})
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
    post_care_record(actor=nurse, episode=episode, monitoring=[observation], discharged_at=at, instructions_given=True)
    clock.advance(days=14)
    w2 = FollowUp.objects.get(episode=episode, timepoint="w2")
    response_record(actor=nurse, follow_up=w2, instrument="nrs", answers={"pain": 4})
    page = signed_in("physician").get(f"/episodes/{episode.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Outcomes over time" in text and text.count("<svg") >= 1
    assert "<style" not in text.split("Outcomes over time")[1]  # charts carry no inline styles (CSP)
    assert "Follow-up schedule" in text and "2 weeks" in text
    assert "Cell product" in text and "Administered" in text
