"""A physician, a nurse and two lab technicians carry one patient from referral to the first follow-up through
the staff pages, and the patient answers the 2-week questionnaire on a phone (real Chromium).

Each person signs in through the real sign-in and two-factor pages in a browser context of their own. Time is
moved to the 2-week window with `Clock`, which the live server (a thread of this process) sees too.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handregen.cellproducts.models import CellProduct
from handregen.patients.models import Patient
from handregen.procedures.models import Injection
from tests.cellproducts.chain import Clock, make_team, released_product
from tests.conftest import PASSWORD, signing
from tests.journeys import to_consulted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def shows(tab, text: str) -> None:
    """The page shows `text`; otherwise the failure names what the page said instead (its alerts)."""
    if not tab.get_by_text(text).first.is_visible():
        said = [t.strip() for t in tab.locator("[role=alert], .messages").all_inner_texts()]
        invalid = tab.locator(".field.invalid label").all_inner_texts()
        raise AssertionError(f"{text!r} is not shown on {tab.url}; the page says: {said} (at {invalid})")


def act(tab, action: str) -> None:
    """Follow one of the episode page's 'What you can do now' links."""
    tab.get_by_role("region", name="What you can do now").get_by_role("link", name=action).click()


def answer(tab, criterion: str, choice: str) -> None:
    """Answer one criterion of the candidacy form (Yes/No) by the words of its label."""
    tab.locator(".field", has_text=criterion).get_by_label(choice, exact=True).check()


def register_and_open_episode(tab) -> str:
    tab.get_by_role("link", name="Find or register a patient").click()
    tab.get_by_role("link", name="Register a patient").click()
    tab.get_by_label("MRN (hospital number)").fill("J-0001")
    tab.get_by_label("Given name").fill("Amy")
    tab.get_by_label("Family name").fill("Pond")
    tab.get_by_label("Date of birth").fill("1956-03-02")
    tab.get_by_label("Sex").select_option("female")
    tab.get_by_label("Dominant hand").select_option("right")
    tab.get_by_role("button", name="Register").click()
    shows(tab, "Registered Amy Pond.")
    tab.get_by_label("Indication").select_option("thumb_cmc_oa")
    tab.get_by_label("Side").select_option("right")
    tab.get_by_label("Target joints").fill("CMC1")  # chosen, not pre-filled
    tab.get_by_role("button", name="Open episode").click()
    shows(tab, "Referred — to see in consultation")
    return tab.url


def record_consultation(tab) -> None:
    act(tab, "Record the consultation")
    assert tab.get_by_role("heading", name="Consultation", exact=True).is_visible()
    tab.get_by_label("Complaint (in the patient's words)").fill("Pain at the base of the thumb when opening jars")
    tab.get_by_label("Duration of symptoms (months)").fill("18")
    tab.get_by_label("Pain at rest now (NRS 0-10)").fill("4")
    tab.get_by_label("Pain on load now (NRS 0-10)").fill("7")
    treatment = tab.get_by_role("group", name="Prior treatment 1")
    treatment.get_by_label("Treatment").select_option("splint")
    treatment.get_by_label("Date (needed for injections and surgery)").fill(
        (date.today() - timedelta(days=400)).isoformat()
    )
    medicine = tab.get_by_role("group", name="Medicine 1")
    medicine.get_by_label("Medicine").fill("paracetamol")
    medicine.get_by_label("Class").select_option("analgesic")
    imaging = tab.get_by_role("group", name="Imaging study 1")
    imaging.get_by_label("Modality").select_option("xray")
    imaging.get_by_label("Date of the study").fill((date.today() - timedelta(days=30)).isoformat())
    imaging.get_by_label("Joint (e.g. CMC1)").fill("CMC1")
    imaging.get_by_label("Findings").fill("Joint-space narrowing, small osteophytes")
    imaging.get_by_label("Kellgren-Lawrence grade").select_option("2")
    imaging.get_by_label("Eaton-Littler stage (thumb base only)").select_option("II")
    tab.get_by_role("button", name="Record the consultation").click()
    shows(tab, "Consultation recorded.")


def sign_as(tab, signer) -> None:
    """Type the signer's password and a fresh code from their authenticator, as a signature needs."""
    typed = signing(signer)
    tab.locator('input[name="password"]').fill(typed["password"])  # labelled as the signer's own on each page
    tab.locator('input[name="otp_code"]').fill(typed["otp_code"])


def fill_candidacy(tab, *, decision: str, signer, hard_exclusion_present: bool = False) -> None:
    assert tab.get_by_role("heading", name="Candidacy decision").is_visible()
    for inclusion in ("Symptomatic osteoarthritis", "Conservative care tried"):  # age: from the date of birth
        answer(tab, inclusion, "Yes")
    for other in (
        "Active infection",
        "Active local or systemic malignancy",
        "Pregnant or breast-feeding",
        "Inflammatory arthritis in flare",
        "Oral corticosteroids",
        "Post-traumatic arthritis",
        "Smokes more than 20",
    ):
        answer(tab, other, "No")
    if hard_exclusion_present:
        answer(tab, "Active infection", "Yes")
    tab.get_by_label(decision, exact=True).check()
    tab.get_by_label("Rationale").fill("Meets the protocol; no exclusion or flag.")
    sign_as(tab, signer)
    tab.get_by_role("button", name="Record the decision").click()


def test_a_patient_is_carried_from_referral_to_the_first_follow_up_through_the_pages(
    new_tab, sign_in, screenshot, persona, monkeypatch
):
    clock = Clock(monkeypatch)
    team = make_team(persona)  # the second technician (the verifier) has an account

    # The physician registers the patient, opens an episode, consults with imaging, decides and takes consent.
    doctor = new_tab()
    sign_in(doctor, "physician")
    assert doctor.get_by_role("heading", name="Worklists at Demo Hand Clinic").is_visible()
    screenshot(doctor, "journey-01-worklists")
    episode_url = register_and_open_episode(doctor)
    record_consultation(doctor)
    fill_candidacy(doctor, decision="eligible", signer=persona("physician"))
    shows(doctor, "Candidacy decided: eligible.")
    shows(doctor, "Eligible — consent to take")
    act(doctor, "Record consent")
    assert doctor.get_by_role("heading", name="Consent to harvest and injection", exact=True).is_visible()
    for topic in (
        "Risks discussed",
        "Possible benefits discussed",
        "Alternatives discussed",
        "Realistic expectations discussed",
    ):
        doctor.get_by_label(topic).check()
    printed_name = doctor.get_by_label("Patient's printed name, typed by the patient")
    assert printed_name.input_value() == ""  # never pre-filled: the patient types it
    printed_name.fill("Amy Pond")
    doctor.get_by_label("The signer confirms that this signature means").check()
    sign_as(doctor, persona("physician"))
    doctor.get_by_role("button", name="Record consent and signature").click()
    shows(doctor, "Consent recorded and signed.")
    shows(doctor, "Valid for harvest and injection.")
    assert doctor.get_by_role("link", name="Download the signed consent (PDF)").is_visible()
    screenshot(doctor, "journey-02-consent")

    # The nurse completes the day-of checklist.
    nurse = new_tab()
    sign_in(nurse, "nurse")
    nurse.goto(episode_url)
    shows(nurse, "Consented — to prepare")
    act(nurse, "Complete the day-of preparation checklist")
    assert nurse.get_by_role("heading", name="Day-of checklist").is_visible()
    assert nurse.get_by_text("(from the record; not asked)").is_visible()  # the consent item is derived
    for item in ("Fasting confirmed", "Medication holds confirmed", "No new exclusion"):
        nurse.get_by_label(item).check()
    nurse.get_by_role("button", name="Complete the checklist").click()
    shows(nurse, "Checklist complete: the patient is prepared.")
    shows(nurse, "Prepared — harvest due")

    # The physician records the harvest; a product is created.
    doctor.goto(episode_url)
    act(doctor, "Record the harvest")
    doctor.get_by_label("Source").select_option("bone_marrow")
    doctor.get_by_label("Origin").select_option("autologous")
    doctor.get_by_label("Harvest site").select_option("iliac_crest")
    doctor.get_by_label("Volume harvested (mL)").fill("60")
    doctor.get_by_label("Anaesthesia").select_option("local")
    doctor.get_by_role("button", name="Record harvest and create the product").click()
    shows(doctor, "Print its label now.")
    product = CellProduct.objects.get(episode__patient__mrn="J-0001")

    # The first technician receives and processes it; the release needs a second technician's password.
    lab = new_tab()
    sign_in(lab, "lab_technician")
    lab.get_by_role("link", name="Cell lab").click()
    lab.get_by_role("link", name=product.code).click()
    lab.get_by_role("button", name="Record receipt in the lab").click()
    shows(lab, f"Product {product.code} received in the lab.")
    lab.get_by_role("link", name="Record processing").click()
    lab.get_by_label("Processing method").select_option("centrifugation_concentrate")
    lab.locator("select[name=regulatory_class]").select_option("same_procedure_autologous")  # chosen, not given
    lab.get_by_label("Output volume (mL)").fill("3")
    lab.get_by_label("Total nucleated cells").fill("25000000")
    lab.get_by_label("Viability (%)").fill("88.5")
    lab.get_by_label("Device", exact=True).fill("Demo concentrator")
    lab.get_by_label("Device lot number").fill("DL-1")
    lab.get_by_label("Kit lot number").fill("KL-7")
    lab.get_by_label("Sterility culture sample taken").check()
    lab.get_by_label("Sterility sample number").fill("ST-001")
    lab.get_by_role("button", name="Record processing").click()
    shows(lab, "Processing recorded.")
    lab.get_by_role("link", name="Release", exact=True).click()
    assert lab.locator(".criteria .error").count() == 0  # every release criterion is met
    lab.get_by_label("Verifier's username (a second person)").fill(team.lab2.user.username)
    lab.get_by_label("Verifier's password").fill(PASSWORD)
    sign_as(lab, team.lab)
    lab.get_by_role("button", name="Release", exact=True).click()
    shows(lab, f"Product {product.code} released.")
    assert lab.get_by_role("heading", name="Release", exact=True).is_visible()
    shows(lab, "verified by Second Technician")
    screenshot(lab, "journey-03-lab-product-released")

    # At the bedside the physician types the product code and the wristband code into the scan fields.
    doctor.goto(episode_url)
    shows(doctor, "Product released — injection due")
    act(doctor, "Verify at the bedside and record the injection")
    assert doctor.get_by_role("heading", name="Bedside verification and injection").is_visible()
    wristband = Patient.objects.get(mrn="J-0001").wristband_code
    doctor.get_by_label("Scan the product label").fill(product.code)
    doctor.get_by_label("Scan the patient's wristband").fill(wristband)
    doctor.get_by_label("Joint").select_option("CMC1")
    doctor.get_by_label("Image guidance").select_option("ultrasound")
    doctor.get_by_label("Local anaesthetic and dose (or 'none')").fill("lidocaine 1 % 1 mL")
    doctor.get_by_label("Volume injected (mL)").fill("2")
    screenshot(doctor, "journey-04-injection")
    doctor.get_by_role("button", name="Verify and record the injection").click()
    shows(doctor, f"Verified and recorded: product {product.code} injected.")
    shows(doctor, "Injected — in post-procedure care")

    # Half an hour later the nurse (signed in again: staff sessions end after 15 idle minutes) records the
    # observations and discharges; the follow-ups are scheduled.
    clock.advance(minutes=30)
    nurse = new_tab()
    sign_in(nurse, "nurse")
    nurse.goto(episode_url)
    act(nurse, "Record post-procedure care and discharge")
    first = nurse.get_by_role("group", name="Monitoring, observation 1")
    first.get_by_label("Pain 0-10").fill("2")
    first.get_by_label("Heart rate").fill("72")
    first.get_by_label("Blood pressure, systolic").fill("128")
    first.get_by_label("Blood pressure, diastolic").fill("78")
    first.get_by_label("Temperature").fill("36.8")
    nurse.get_by_label("After-care instructions given and explained").check()
    nurse.get_by_role("button", name="Record and discharge").click()
    shows(nurse, "Discharged; the follow-up time points are scheduled.")
    assert nurse.get_by_role("link", name="2 weeks").is_visible()

    # Two weeks later the nurse opens the 2-week follow-up from the episode page and creates a link.
    clock.advance(days=14)
    nurse = new_tab()
    sign_in(nurse, "nurse")
    nurse.goto(episode_url)
    assert nurse.get_by_text("In follow-up").first.is_visible()
    assert nurse.get_by_role("heading", name="Timeline").is_visible()
    screenshot(nurse, "journey-05-episode-timeline")
    nurse.get_by_role("link", name="Follow-ups and scores").click()
    nurse.get_by_role("link", name="2 weeks").click()
    assert nurse.get_by_role("heading", name="Questionnaire link for the patient").is_visible()
    nurse.get_by_role("button", name="Send link to the patient").click()
    link = nurse.get_by_role("textbox", name="Questionnaire link").input_value()
    assert "/q/" in link

    # The patient answers on a phone.
    phone = new_tab(**PHONE)
    phone.goto("/q/" + link.rsplit("/q/", 1)[1])
    assert phone.get_by_role("heading", name="Your pain").is_visible()
    phone.get_by_role("radio", name="3", exact=True).check()
    screenshot(phone, "journey-06-questionnaire-phone")
    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("radio", name="Much improved", exact=True).check()
    phone.get_by_role("button", name="Next").click()
    assert phone.get_by_role("heading", name="Check your answers").is_visible()
    phone.get_by_role("button", name="Send my answers").click()
    assert phone.get_by_role("heading", name="Thank you").is_visible()

    # The nurse sees the answers on the follow-up page.
    nurse.get_by_role("link", name="← All follow-ups of this episode").click()
    nurse.get_by_role("link", name="2 weeks").click()
    assert nurse.locator("dl.facts").get_by_text("Completed").is_visible()
    assert not nurse.get_by_text("This step was refused").is_visible()
    assert nurse.get_by_role("row", name="Pain numeric rating scale").get_by_text("(patient)").is_visible()
    assert nurse.get_by_role("cell", name="3.00").is_visible()
    screenshot(nurse, "journey-07-follow-up-answered")


def refusal(tab) -> str:
    """The text of the refusal shown beside the form."""
    box = tab.get_by_role("alert").filter(has_text="This step was refused")
    assert box.is_visible()
    return box.inner_text()


def test_eligible_with_a_hard_exclusion_is_refused_with_the_reason_in_plain_words(
    page, sign_in, screenshot, physician, make_episode
):
    episode = to_consulted(make_episode(actor=physician), physician)
    sign_in(page, "physician")
    page.goto(f"/episodes/{episode.pk}/")
    act(page, "Decide candidacy")
    fill_candidacy(page, decision="eligible", signer=physician, hard_exclusion_present=True)
    said = refusal(page)
    assert "Active infection or skin compromise at the injection or harvest site" in said
    assert page.get_by_role("button", name="Record the decision").is_enabled()  # the form is there to correct
    screenshot(page, "refused-candidacy")
    page.get_by_role("link", name="← Back to the episode").click()
    shows(page, "Consulted — candidacy to decide")  # nothing moved
    shows(page, "refused")  # and the timeline says so


def test_a_wrong_wristband_at_the_bedside_is_refused_with_the_reason_beside_the_form(
    page, sign_in, screenshot, persona, make_episode, make_patient
):
    product = released_product(make_episode, make_team(persona))
    someone_else = make_patient(given_name="Clara", family_name="Oswald")
    sign_in(page, "physician")
    page.goto(f"/episodes/{product.episode_id}/injection/")
    page.get_by_label("Scan the product label").fill(product.code)
    page.get_by_label("Scan the patient's wristband").fill(someone_else.wristband_code)
    page.get_by_label("Image guidance").select_option("ultrasound")
    page.get_by_label("Local anaesthetic and dose (or 'none')").fill("none")
    page.get_by_label("Volume injected (mL)").fill("2")
    page.get_by_role("button", name="Verify and record the injection").click()
    said = refusal(page)
    assert f"is not the wristband of Rose Tyler (MRN {product.episode.patient.mrn})" in said
    screenshot(page, "refused-injection-wrong-wristband")
    assert not Injection.objects.filter(product=product).exists()
    page.goto(f"/episodes/{product.episode_id}/")
    shows(page, "Product released — injection due")
