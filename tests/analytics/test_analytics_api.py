"""The analytics endpoints: shapes, validation and who may ask."""


def test_an_empty_cohort_answers_with_zero_counts_and_no_rates(api, demo_site):
    body = api("researcher").get("/api/v1/analytics/outcomes", instrument="nrs", timepoint="m6").json()
    assert (body["n_expected"], body["n_assessed"], body["mean_change"], body["ci95"]) == (0, 0, None, None)
    assert [r["rule"] for r in body["responders"]] == ["nrs_2_points", "nrs_30_percent", "omeract_oarsi", "mcid"]
    assert all(r["rate"] is None for r in body["responders"])


def test_an_unknown_instrument_or_subscale_is_a_422_naming_the_field(api, demo_site):
    client = api("researcher")
    bad = client.get("/api/v1/analytics/outcomes", instrument="womac", timepoint="m6")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "instrument"
    bad = client.get("/api/v1/analytics/outcomes", instrument="mhq", timepoint="m6", subscale="nope")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "subscale"


def test_a_lab_technician_may_not_see_cohort_figures(api, demo_site):
    assert api("lab_technician").get("/api/v1/analytics/outcomes", instrument="nrs", timepoint="m6").status_code == 403


def test_with_no_past_patients_the_expectation_says_too_few(api, demo_site):
    body = (
        api("physician")
        .get(
            "/api/v1/analytics/expectation", indication="thumb_cmc_oa", stage="II", age=64, sex="female", baseline_nrs=7
        )
        .json()
    )
    assert body["enough"] is False and body["n_similar"] == 0
    assert body["message"].startswith("Too few similar patients to tell")
    assert body["responder_share"] is None and body["ci95"] is None
