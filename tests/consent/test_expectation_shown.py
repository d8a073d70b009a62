"""The consent page shows what happened to similar past patients and stores exactly that with the signature."""

from __future__ import annotations

import re

from handregen.analytics.synthetic.writer import synth_registry
from handregen.consent.models import Consent
from tests.conftest import signing
from tests.consent.test_pages import SIGNED
from tests.journeys import staff_client, to_eligible


def signed(physician):
    """The consent form as the physician submits it, with their password and a fresh authenticator code."""
    return SIGNED | signing(physician)


def shown_token(html: str) -> str:
    found = re.search(r'name="expectation_token" value="([^"]+)"', html)
    assert found, "the page carries the figure it shows"
    return found.group(1)


def test_with_no_past_patients_the_page_says_too_few_to_tell_and_the_consent_stores_it(
    make_episode, physician, persona
):
    episode = to_eligible(make_episode(), physician)
    client = staff_client(persona)
    page = client.get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "What happened to similar past patients" in page
    assert "Too few similar patients to tell: 0 past patient(s) share the condition, stage and pain" in page
    assert "Similar past patients (n)</th><td>0" in page
    assert (
        client.post(
            f"/episodes/{episode.pk}/consent/", signed(physician) | {"expectation_token": shown_token(page)}
        ).status_code
        == 302
    )
    stored = Consent.objects.get(episode=episode).expectation_shown
    assert stored["n_similar"] == 0 and stored["enough"] is False
    assert stored["message"].startswith("Too few similar patients to tell")
    assert stored["inputs"]["indication"] == "thumb_cmc_oa" and stored["inputs"]["baseline_nrs"] is not None


def as_real_patients(site):
    """The synthetic registry's patients relabelled as real, so that they count as past patients (test only:
    the application never clears the flag)."""
    from django.db import connection

    from handregen.patients.models import Patient

    site_id = Patient._meta.get_field("site").get_db_prep_value(site.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Patient._meta.db_table} SET is_synthetic = %s WHERE site_id = %s", [False, site_id])


def test_synthetic_past_patients_are_not_counted_for_a_real_patient(demo_site, make_episode, physician, persona):
    synth_registry(site=demo_site, count=120, seed=5)
    episode = to_eligible(make_episode(), physician)
    page = staff_client(persona).get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "Too few similar patients to tell: 0 past patient(s)" in page


def test_with_enough_past_patients_the_share_its_ci_and_n_are_shown_and_stored(
    demo_site, make_episode, physician, persona, settings
):
    settings.HANDREGEN_EXPECTATION_MIN_SIMILAR = 8  # the clinic's threshold is a setting; a small registry here
    synth_registry(site=demo_site, count=240, seed=5)
    as_real_patients(demo_site)
    episode = to_eligible(make_episode(), physician)
    client = staff_client(persona)
    page = client.get(f"/episodes/{episode.pk}/consent/").content.decode()
    assert "95% confidence interval" in page and "does not predict what will happen to you" in page
    client.post(f"/episodes/{episode.pk}/consent/", signed(physician) | {"expectation_token": shown_token(page)})
    stored = Consent.objects.get(episode=episode).expectation_shown
    assert stored["enough"] is True and stored["n_similar"] >= 8 and stored["min_n"] == 8
    assert f"Similar past patients (n)</th><td>{stored['n_similar']}" in page
    low, high = stored["ci95"]
    assert f"{low:.0%} to {high:.0%}" in page
    assert stored["message"] in page.replace("&#x27;", "'")


def test_the_figure_stored_is_the_one_shown_even_when_the_cohort_changed_before_signing(
    demo_site, make_episode, physician, persona
):
    episode = to_eligible(make_episode(), physician)
    client = staff_client(persona)
    page = client.get(f"/episodes/{episode.pk}/consent/").content.decode()
    synth_registry(site=demo_site, count=120, seed=5)  # many past patients arrive while the patient reads
    client.post(f"/episodes/{episode.pk}/consent/", signed(physician) | {"expectation_token": shown_token(page)})
    assert Consent.objects.get(episode=episode).expectation_shown["n_similar"] == 0


def test_an_altered_figure_is_refused_and_nothing_is_signed(make_episode, physician, persona):
    episode = to_eligible(make_episode(), physician)
    client = staff_client(persona)
    token = shown_token(client.get(f"/episodes/{episode.pk}/consent/").content.decode())
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(f"/episodes/{episode.pk}/consent/", signed(physician) | {"expectation_token": tampered})
    assert response.status_code == 200
    assert "not the one shown; reload the page" in response.content.decode()
    assert not Consent.objects.filter(episode=episode).exists()


def test_a_figure_sealed_for_another_episode_is_refused(make_episode, physician, persona):
    first = to_eligible(make_episode(), physician)
    second = to_eligible(make_episode(), physician)
    client = staff_client(persona)
    token = shown_token(client.get(f"/episodes/{first.pk}/consent/").content.decode())
    response = client.post(f"/episodes/{second.pk}/consent/", signed(physician) | {"expectation_token": token})
    assert "belongs to another episode" in response.content.decode()
    assert not Consent.objects.filter(episode=second).exists()
