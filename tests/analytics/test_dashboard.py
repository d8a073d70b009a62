"""The cohort dashboard page."""


def test_the_dashboard_shows_the_table_and_the_flow(signed_in, demo_site):
    page = signed_in("researcher").get("/analytics/?instrument=quickdash&missing=non_responder")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Cohort outcomes at Demo Hand Clinic" in text and "Patient flow" in text
    assert "cannot show that the treatment caused it" in text


def test_roles_without_cohort_access_do_not_see_the_dashboard(signed_in, demo_site):
    assert signed_in("lab_technician").get("/analytics/").status_code == 404
