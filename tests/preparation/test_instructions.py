"""Preparation instructions (pure): fasting, holds for the patient's own medicines, what to bring."""

from __future__ import annotations

from datetime import date

from handregen.pathway.protocol import parse_protocol, shipped_protocol_documents
from handregen.preparation.instructions import preparation_instructions

PREPARATION = parse_protocol(shipped_protocol_documents()[0]).raw["preparation"]


def make(medications, procedure_date=None):
    return preparation_instructions(preparation=PREPARATION, medications=medications, procedure_date=procedure_date)


def test_fasting_hours_come_from_the_protocol():
    result = make([])
    assert result.fasting_hours == 6
    assert result.lines[0].startswith("Do not eat or drink for 6 hours")


def test_an_nsaid_is_held_for_the_protocols_days():
    result = make([{"name": "ibuprofen", "drug_class": "nsaid"}])
    (hold,) = result.holds
    assert (hold.medication, hold.days_before, hold.prescriber_decision) == ("ibuprofen", 7, False)
    expected = "ibuprofen — anti-inflammatory painkillers (NSAIDs): stop taking it 7 days before the procedure."
    assert hold.text == expected


def test_an_anticoagulant_is_never_stopped_without_the_prescriber():
    result = make([{"name": "apixaban", "drug_class": "anticoagulant"}])
    (hold,) = result.holds
    assert hold.prescriber_decision is True
    assert "do not stop it on your own" in hold.text and "prescribes it" in hold.text
    assert "stop taking it" not in hold.text


def test_only_the_patients_own_medicines_are_mentioned():
    result = make(
        [{"name": "paracetamol", "drug_class": "analgesic"}, {"name": "clopidogrel", "drug_class": "antiplatelet"}]
    )
    assert [h.medication for h in result.holds] == ["clopidogrel"]
    assert not any("ibuprofen" in line or "NSAID" in line for line in result.lines)
    assert "Keep taking your other medicines" in result.lines[-2]


def test_with_a_procedure_date_each_hold_says_the_day_to_stop():
    result = make([{"name": "naproxen", "drug_class": "nsaid"}], procedure_date=date(2026, 3, 10))
    assert result.holds[0].stop_on == "2026-03-03" and "(on 2026-03-03)" in result.holds[0].text


def test_what_to_bring_is_listed():
    result = make([])
    assert result.bring[0] == "A list of your medicines"
    assert result.lines[-1].startswith("Please bring: a list of your medicines;")
    assert "holds" in result.as_dict()
