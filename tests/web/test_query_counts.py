"""Pages and API lists run a fixed number of queries whatever the data size (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _queries(client, url, **kwargs) -> int:
    client.get(url, **kwargs)  # warm: the session's activity stamp is renewed at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", ["/", "/worklists/to-evaluate/", "/patients/"])
def test_staff_pages_do_not_grow_queries_with_more_episodes(make_episode, signed_in, url):
    client = signed_in()
    make_episode()
    small = _queries(client, url)
    for _ in range(12):
        make_episode()
    assert _queries(client, url) == small


def test_the_episode_page_does_not_grow_queries_with_a_longer_timeline(make_episode, physician, signed_in):
    from handregen.patients.services import patient_amend

    client = signed_in()
    episode = make_episode()
    small = _queries(client, f"/episodes/{episode.pk}/")
    for n in range(5):
        patient_amend(actor=physician, patient=episode.patient, changes={"occupation": f"job {n}"}, reason="update")
    assert _queries(client, f"/episodes/{episode.pk}/") == small


def test_the_patient_list_api_does_not_grow_queries(api, make_patient):
    client = api()
    make_patient()
    small = _queries(client.client, "/api/v1/patients", headers=client.headers)
    for _ in range(12):
        make_patient()
    assert _queries(client.client, "/api/v1/patients", headers=client.headers) == small
