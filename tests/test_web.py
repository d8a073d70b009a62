"""The minimal staff page: sign in and see the site's episodes by stage."""

from django.test import Client

from tests.conftest import PASSWORD


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_physician_sees_only_their_sites_episodes_by_stage(make_episode, make_patient, persona):
    make_episode(patient=make_patient(family_name="Hughes"))
    north = persona("physician", "north")
    make_episode(actor=north, patient=make_patient(actor=north, family_name="Grant"))
    client = Client()
    assert client.login(username="physician.demo", password=PASSWORD)
    page = client.get("/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Referred — to see in consultation" in text and "Hughes" in text
    assert "Grant" not in text
    assert page["Cache-Control"] == "no-store"


def test_a_researcher_sees_no_patient_names(make_episode, persona):
    make_episode()
    persona("researcher")
    client = Client()
    client.login(username="researcher.demo", password=PASSWORD)
    text = client.get("/").content.decode()
    assert "Tyler" not in text and "does not show patients" in text
