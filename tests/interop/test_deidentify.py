"""Safe Harbor rules: ages, dates, ZIP codes, study codes; and spreadsheet formula neutralisation."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handregen.interop.deidentify import (
    HHS_2000_RESTRICTED_ZIP3,
    age_in_years,
    days_between,
    new_study_code,
    restricted_zip_list,
    safe_age,
    safe_year,
    safe_zip3,
)
from handregen.interop.spreadsheet import safe_cell

DEFAULT = restricted_zip_list()


def test_the_default_restricted_list_is_the_17_hhs_prefixes():
    assert len(DEFAULT.prefixes) == 17 == len(HHS_2000_RESTRICTED_ZIP3)
    assert {
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    } == DEFAULT.prefixes


def test_restricted_prefixes_become_000_and_others_keep_three_digits():
    assert safe_zip3("03601", DEFAULT) == "000"
    assert safe_zip3("10001", DEFAULT) == "100"
    assert safe_zip3("10001-1234", DEFAULT) == "100"
    assert safe_zip3("SW1A 1AA", DEFAULT) == ""


def test_changing_the_list_changes_the_manifest_digest():
    assert restricted_zip_list(["036"]).digest != DEFAULT.digest
    assert restricted_zip_list(list(reversed(HHS_2000_RESTRICTED_ZIP3))).digest == DEFAULT.digest
    with pytest.raises(ValueError, match="three digits"):
        restricted_zip_list(["36"])


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
def test_ages_of_90_and_over_are_grouped(birth, on):
    if on < birth:
        return
    age = age_in_years(birth, on)
    shown = safe_age(birth, on)
    assert shown == ("90+" if age >= 90 else str(age))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2010, 1, 1)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
def test_dates_keep_only_the_year_and_never_for_people_aged_90_or_more(birth, event):
    shown = safe_year(event, birth_date=birth, on=event)
    if age_in_years(birth, event) >= 90:
        assert shown == ""
    else:
        assert shown == str(event.year)


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_any_five_digit_zip_gives_three_digits_or_000(zip5):
    shown = safe_zip3(zip5, DEFAULT)
    assert shown == ("000" if zip5[:3] in DEFAULT.prefixes else zip5[:3])


def test_days_from_the_index_procedure():
    assert days_between(date(2026, 1, 10), date(2026, 4, 10)) == 90
    assert days_between(None, date(2026, 4, 10)) is None


def test_study_codes_are_random():
    codes = {new_study_code() for _ in range(100)}
    assert len(codes) == 100 and all(c.startswith("S-") for c in codes)


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\0x"])
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain text", -3, 4.5, None, ""])
def test_other_cells_are_unchanged(cell):
    assert safe_cell(cell) == cell
