"""Staff pages: worklists, patients and the episode page, as a signed-in user sees them."""

from django.test import Client

from handregen.audit.models import AuditEvent
from handregen.patients.models import Patient


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_home_page_counts_episodes_on_each_worklist(make_episode, signed_in):
    make_episode()
    make_episode()
    text = signed_in().get("/").content.decode()
    assert '<span class="n">2</span> To see in consultation' in text


def test_a_worklist_shows_only_the_sites_episodes_with_the_next_step(make_episode, make_patient, persona, signed_in):
    make_episode(patient=make_patient(family_name="Hughes"))
    north = persona("physician", "north")
    make_episode(actor=north, patient=make_patient(actor=north, family_name="Grant"))
    page = signed_in().get("/worklists/to-evaluate/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Hughes" in text and "Record the consultation" in text
    assert "Grant" not in text
    assert page["Cache-Control"] == "no-store"


def test_a_researcher_sees_no_patient_names(make_episode, signed_in):
    make_episode()
    client = signed_in("researcher")
    assert "does not show patients" in client.get("/").content.decode()
    assert client.get("/worklists/to-evaluate/").status_code == 404
    assert "Tyler" not in client.get("/patients/").content.decode()


def test_registering_a_patient_on_the_page_then_opening_an_episode(signed_in):
    client = signed_in()
    response = client.post(
        "/patients/new/",
        {
            "mrn": "WEB-1",
            "given_name": "Iris",
            "family_name": "Wong",
            "birth_date": "1961-02-03",
            "sex": "female",
            "dominant_hand": "left",
        },
    )
    patient = Patient.objects.get(mrn="WEB-1")
    assert response["Location"] == f"/patients/{patient.pk}/"
    response = client.post(
        f"/patients/{patient.pk}/", {"indication": "finger_oa", "side": "left", "target_joints": "pip3, dip2"}
    )
    episode = patient.episodes.get()
    assert response["Location"] == f"/episodes/{episode.pk}/"
    assert episode.target_joints == ["PIP3", "DIP2"]
    page = client.get(f"/episodes/{episode.pk}/").content.decode()
    assert "Referred — to see in consultation" in page
    assert "Episode opened" in page


def test_a_bad_registration_keeps_what_was_typed_and_names_the_problem(signed_in):
    response = signed_in().post(
        "/patients/new/",
        {
            "mrn": "WEB-2",
            "given_name": "Iris",
            "family_name": "Wong",
            "birth_date": "2999-01-01",
            "sex": "female",
            "dominant_hand": "left",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "is in the future" in text and 'value="Wong"' in text
    assert not Patient.objects.filter(mrn="WEB-2").exists()


def test_a_refused_withdrawal_shows_its_reason_next_to_the_form(make_episode, signed_in):
    episode = make_episode()
    client = signed_in()
    assert client.post(f"/episodes/{episode.pk}/withdraw/", {"reason": "moved away"}).status_code == 302
    response = client.post(f"/episodes/{episode.pk}/withdraw/", {"reason": "again"})
    text = response.content.decode()
    assert "This step was refused" in text and "closed" in text
    assert AuditEvent.objects.filter(action="episode.withdraw", outcome="refused").count() == 1


def test_another_sites_patient_and_episode_pages_are_not_found(make_episode, signed_in):
    episode = make_episode()
    north = signed_in("physician", "north")
    for url in (f"/patients/{episode.patient_id}/", f"/episodes/{episode.pk}/", f"/episodes/{episode.pk}/withdraw/"):
        response = north.get(url)
        assert response.status_code == 404, url
        assert "Tyler" not in response.content.decode()


def test_the_episode_page_offers_only_the_actions_allowed_now(make_episode, signed_in):
    episode = make_episode()
    nurse_page = signed_in("nurse").get(f"/episodes/{episode.pk}/").content.decode()
    assert "Withdraw from the pathway" in nurse_page
    assert "Record the consultation" not in nurse_page


def test_patient_search_keeps_the_words_searched_for_out_of_the_url(make_patient, signed_in):
    make_patient(family_name="Quillfeather")
    client = signed_in()
    response = client.post("/patients/", {"q": "Quillf"})
    assert response.status_code == 302 and "Quillf" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "Quillfeather" in page and 'value="Quillf"' in page


def test_the_staff_health_check_answers_only_behind_sign_in_and_the_second_factor(persona):
    from tests.conftest import verified_client

    assert Client().get("/health/staff")["Location"].startswith("/login/")
    unverified = Client()
    unverified.force_login(persona("nurse").user, backend="django.contrib.auth.backends.ModelBackend")
    assert "/account/two-factor" in unverified.get("/health/staff")["Location"]
    response = verified_client(persona("nurse")).get("/health/staff")
    assert response.status_code == 200 and response.json() == {"status": "ok", "site": "demo"}
    assert response["Cache-Control"] == "no-store"
