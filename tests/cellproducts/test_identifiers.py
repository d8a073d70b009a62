"""Product identifiers and wristband codes: the MOD 37-2 check catches what people and scanners get wrong."""

import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handregen.cellproducts.identifiers import ProductCode, ProductCodeError, format_product_code, parse_scanned_code
from handregen.checkcodes import ALPHABET, CHECK_ALPHABET, CodeError, check_character
from handregen.patients.wristband import (
    WRISTBAND_ALPHABET,
    WristbandCodeError,
    new_wristband_code,
    parse_wristband_code,
)

facilities = st.from_regex(r"\A[A-Z0-9][0-9]{4}\Z")
years = st.integers(min_value=1000, max_value=9999)
sequences = st.integers(min_value=0, max_value=999_999)
product_codes = st.builds(format_product_code, facilities, years, sequences)
bodies = st.text(alphabet=ALPHABET, min_size=1, max_size=40)


def is_valid(text: str) -> bool:
    """Body + check character verifies (the rule every scan applies)."""
    try:
        return check_character(text[:-1]) == text[-1]
    except CodeError:
        return False


def star_code() -> ProductCode:
    """The first DIN at G1234 in 2025 whose check character is '*' (check value 36)."""
    return next(c for c in (format_product_code("G1234", 2025, n) for n in range(10_000)) if c.check == "*")


# --- the check character ---------------------------------------------------------------------------


def test_worked_example_from_isbt_128_has_check_character_h():
    assert check_character("G123498654321") == "H"
    code = parse_scanned_code("G123498654321H")
    assert (code.din, code.check, code.eye_readable) == ("G123498654321", "H", "G1234 98 654321 H")


def test_isbt_barcode_flags_carry_the_check_value_plus_60():
    assert parse_scanned_code("=G123498654321H").isbt_flags == "77"  # Red Book annex 2: checksum 17


@given(bodies)
def test_check_matches_the_weighted_sum_definition(body):
    weighted = sum(ALPHABET.index(c) * 2 ** (len(body) - i) for i, c in enumerate(body))
    assert check_character(body) == CHECK_ALPHABET[(38 - weighted % 37) % 37]


def test_check_character_can_be_star_and_such_codes_parse():
    code = star_code()
    assert code.scanned.endswith("*")
    assert parse_scanned_code(code.scanned) == code
    assert code.isbt_flags == "96"


def test_check_character_refuses_empty_and_foreign_characters():
    for body in ["", "G1234*8654321", "g1234"]:
        with pytest.raises(CodeError):
            check_character(body)


@given(bodies, st.data())
def test_any_single_substitution_is_caught(body, data):
    valid = body + check_character(body)
    position = data.draw(st.integers(0, len(valid) - 1))
    replacement = data.draw(st.sampled_from(CHECK_ALPHABET).filter(lambda c: c != valid[position]))
    mistyped = valid[:position] + replacement + valid[position + 1 :]
    assert is_valid(valid)
    assert not is_valid(mistyped)


@given(bodies, st.data())
def test_any_adjacent_transposition_of_different_characters_is_caught(body, data):
    valid = body + check_character(body)
    position = data.draw(st.integers(0, len(valid) - 2))
    a, b = valid[position], valid[position + 1]
    assume(a != b)  # swapping equal characters changes nothing
    swapped = valid[:position] + b + a + valid[position + 2 :]
    assert not is_valid(swapped)


@given(product_codes, st.data())
def test_a_mistyped_product_identifier_is_refused_on_scan(code, data):
    position = data.draw(st.integers(0, 13))
    replacement = data.draw(st.sampled_from(CHECK_ALPHABET).filter(lambda c: c != code.scanned[position]))
    mistyped = code.scanned[:position] + replacement + code.scanned[position + 1 :]
    with pytest.raises(ProductCodeError):
        parse_scanned_code(mistyped)


# --- formatting and parsing product identifiers -----------------------------------------------------


@given(product_codes)
def test_format_then_parse_round_trips_in_every_accepted_form(code):
    forms = [
        code.scanned,
        code.eye_readable,
        code.scanned.lower(),
        f"  {code.scanned}\r\n",
        "=" + code.scanned,
        "=" + code.din + code.isbt_flags,
        "-".join(code.eye_readable.split()),
    ]
    assert {parse_scanned_code(form) for form in forms} == {code}
    assert len(code.din) == 13 and len(code.scanned) == 14 and str(code) == code.scanned


def test_format_product_code_lays_out_facility_year_and_sequence():
    code = format_product_code("g1234", 2098, 654321)
    assert (code.din, code.facility, code.year, code.sequence) == ("G123498654321", "G1234", "98", 654321)
    assert format_product_code("A0001", 2025, 7).din == "A000125000007"
    assert format_product_code("A0001", 2025, 999_999).sequence == 999_999


@pytest.mark.parametrize(
    ("facility", "year", "sequence", "message"),
    [
        ("A0001", 2025, 1_000_000, "six digits"),
        ("A0001", 2025, -1, "whole number"),
        ("A0001", 2025, True, "whole number"),
        ("A0001", 25, 1, "four-digit"),
        ("A0001", 2025.0, 1, "four-digit"),
        ("AB001", 2025, 1, "facility"),
        ("A001", 2025, 1, "facility"),
        ("A0001!", 2025, 1, "facility"),
    ],
)
def test_format_product_code_refuses_what_does_not_fit(facility, year, sequence, message):
    with pytest.raises(ProductCodeError, match=message):
        format_product_code(facility, year, sequence)


def test_product_code_refuses_a_malformed_din():
    for din in ["G12349865432", "G1234986543210", "GG23498654321", "G1234986543*1"]:
        with pytest.raises(ProductCodeError):
            ProductCode(din)


def with_check(body: str) -> str:
    return body + check_character(body)


@pytest.mark.parametrize(
    ("scanned", "message"),
    [
        ("", "no product identifier"),
        ("   \t", "no product identifier"),
        ("G12349865432H", "14 characters"),
        ("G123498654321HH", "14 characters"),
        ("G1234986543210H" * 3, "14 characters"),
        ("G1234!8654321H", "not allowed"),
        ("G1234986543²1H", "not allowed"),
        ("G123498654321?", r"check character '\?' is not allowed"),
        ("G123498654321G", "check character does not match"),
        ("G123489654321H", "check character does not match"),
        ("=G12349865432100", "carry no check value"),
        ("=G12349865432178", "check character does not match"),
        ("=G123498654321²7", "14 characters"),
        (with_check("G1234AB654321"), "not a donation identification number"),
        (with_check("GABCD98654321"), "not a donation identification number"),
        ("x" * 500, "far too long"),
    ],
)
def test_parse_refuses_bad_input_with_a_clear_message(scanned, message):
    with pytest.raises(ProductCodeError, match=message):
        parse_scanned_code(scanned)


def test_parse_refuses_non_text_as_a_product_code_error():
    with pytest.raises(ProductCodeError, match="must be text"):
        parse_scanned_code(None)  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_parse_never_fails_with_anything_but_a_product_code_error(text):
    try:
        code = parse_scanned_code(text)
    except ProductCodeError:
        return
    assert is_valid(code.scanned)


# --- wristband codes --------------------------------------------------------------------------------


def test_new_wristband_codes_have_the_documented_shape_and_verify():
    codes = {new_wristband_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 12 and code[0] == "W" and set(code[1:11]) <= set(WRISTBAND_ALPHABET)
        assert parse_wristband_code(code) == code


def test_new_wristband_code_is_reproducible_with_a_seeded_generator():
    assert new_wristband_code(random.Random(7)) == new_wristband_code(random.Random(7))


@given(st.randoms(use_true_random=False), st.data())
def test_a_mistyped_wristband_code_is_refused(rng, data):
    code = new_wristband_code(rng)
    position = data.draw(st.integers(0, len(code) - 1))
    replacement = data.draw(st.sampled_from(CHECK_ALPHABET).filter(lambda c: c != code[position]))
    with pytest.raises(WristbandCodeError):
        parse_wristband_code(code[:position] + replacement + code[position + 1 :])


def test_parse_wristband_code_normalises_what_was_typed():
    code = new_wristband_code(random.Random(1))
    assert parse_wristband_code(f" {code[:4].lower()}-{code[4:8]} {code[8:]}\n") == code


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "no wristband code"),
        ("W23456789AB", "12 characters"),
        ("G123498654321H", "12 characters"),
        (with_check("X23456789AB"), "starts with 'W'"),
        ("W23456789A!Q", "not allowed"),
        (with_check("W23456789AB")[:11] + "$", "check character '\\$' is not allowed"),
        (with_check("W0000000000"), "not a wristband code issued"),
    ],
)
def test_parse_wristband_code_refuses_bad_input(typed, message):
    with pytest.raises(WristbandCodeError, match=message):
        parse_wristband_code(typed)


def test_wristband_with_wrong_check_is_refused_as_mistyped():
    code = with_check("W23456789AB")
    wrong = next(c for c in CHECK_ALPHABET if c != code[-1])
    with pytest.raises(WristbandCodeError, match="mistyped or misread"):
        parse_wristband_code(code[:-1] + wrong)


@given(st.text(max_size=30))
def test_parse_wristband_never_fails_with_anything_but_a_wristband_code_error(text):
    try:
        code = parse_wristband_code(text)
    except WristbandCodeError:
        return
    assert is_valid(code) and code.startswith("W")
