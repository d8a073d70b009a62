"""Labels: the PDF shows who and what, and its barcode scans back to the code the bedside check verifies."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pypdf
import pypdfium2
import pytest
import zxingcpp

from handregen.cellproducts.identifiers import format_product_code, parse_scanned_code
from handregen.cellproducts.labels import (
    AUTOLOGOUS_WARNING,
    LabelDoesNotFitError,
    ProductLabel,
    WristbandLabel,
    product_label_pdf,
    wristband_label_pdf,
)
from handregen.patients.wristband import WristbandCodeError, parse_wristband_code

MM = 72 / 25.4
CODE = format_product_code("G1234", 2098, 654321)  # the ISBT 128 worked example, check character H
EXPIRES = datetime(2098, 3, 1, 14, 30, tzinfo=UTC)


def product_label(**changes) -> ProductLabel:
    values = {
        "code": CODE,
        "description": "Bone marrow aspirate concentrate, 3.0 mL",
        "expires": EXPIRES,
        "autologous": True,
        "patient_name": "Ada Lindqvist",
        "mrn": "MRN-004711",
        "birth_date": date(1961, 4, 12),
        "site_name": "Demo Hand Clinic",
        "storage": "2-8 °C",
    }
    return ProductLabel(**{**values, **changes})


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def barcodes_in(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=4).to_pil()
    return [(found.format.name, found.text) for found in zxingcpp.read_barcodes(image)]


def page_sizes_mm(pdf: bytes) -> list[tuple[int, int]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [(round(float(p.mediabox.width) / MM), round(float(p.mediabox.height) / MM)) for p in reader.pages]


@pytest.fixture(scope="module")
def product_pdf() -> bytes:
    return product_label_pdf(product_label())


def test_product_label_is_one_100_by_50_mm_pdf_page(product_pdf):
    assert product_pdf.startswith(b"%PDF")
    assert page_sizes_mm(product_pdf) == [(100, 50)]


def test_product_label_shows_identifier_patient_and_expiry(product_pdf):
    text = text_of(product_pdf)
    assert squeezed(CODE.eye_readable) in squeezed(text)  # G1234 98 654321 H
    for shown in [
        "Ada Lindqvist",
        "MRN-004711",
        "1961-04-12",
        "2098-03-01 14:30 UTC",
        "Bone marrow aspirate concentrate, 3.0 mL",
        AUTOLOGOUS_WARNING,
        "Demo Hand Clinic",
    ]:
        assert shown in text


def test_product_label_barcode_decodes_to_the_identifier_with_its_check_character(product_pdf):
    assert barcodes_in(product_pdf) == [("Code128", "G123498654321H")]
    assert parse_scanned_code(barcodes_in(product_pdf)[0][1]) == CODE


def test_a_check_character_star_survives_the_barcode():
    code = next(c for c in (format_product_code("A0001", 2025, n) for n in range(10_000)) if c.check == "*")
    pdf = product_label_pdf(product_label(code=code))
    assert barcodes_in(pdf) == [("Code128", code.scanned)]


def test_allogeneic_label_has_no_autologous_warning_and_needs_no_patient():
    pdf = product_label_pdf(
        product_label(autologous=False, patient_name="", mrn="", birth_date=None, expires="2098-03-01 15:30 CET")
    )
    text = text_of(pdf)
    assert AUTOLOGOUS_WARNING not in text
    assert "2098-03-01 15:30 CET" in text


def test_autologous_label_without_patient_identity_is_refused():
    with pytest.raises(ValueError, match="MRN"):
        product_label(mrn=" ")


def test_html_in_a_patient_name_is_printed_as_text_not_markup():
    name = '<b>Eve</b> <img src="file:///etc/passwd"> & "Co"'
    pdf = product_label_pdf(product_label(patient_name=name, description="<i>x</i>"))
    text = text_of(pdf)
    assert name in text and "<i>x</i>" in text
    assert barcodes_in(pdf) == [("Code128", CODE.scanned)]  # no extra image slipped in


def test_a_long_name_is_set_smaller_and_stays_on_one_label_that_still_scans():
    name = "Maria-Magdalena Alexandrina Wolfeschlegelsteinhausen-Bergerdorff von Habsburg-Lothringen " * 2
    pdf = product_label_pdf(product_label(patient_name=name.strip(), expires=EXPIRES + timedelta(1)))
    assert len(page_sizes_mm(pdf)) == 1
    assert squeezed(name) in squeezed(text_of(pdf))  # all of it, not clipped
    assert barcodes_in(pdf) == [("Code128", CODE.scanned)]


def test_text_that_cannot_fit_is_refused_rather_than_clipped():
    with pytest.raises(LabelDoesNotFitError):
        product_label_pdf(product_label(description="Bone marrow aspirate concentrate " * 60))


WRISTBAND = "W23456789AB" + "G"  # G: its MOD 37-2 check character


def wristband(**changes) -> WristbandLabel:
    values = {
        "wristband_code": WRISTBAND,
        "patient_name": "Ada Lindqvist",
        "mrn": "MRN-004711",
        "birth_date": date(1961, 4, 12),
        "site_name": "Demo Hand Clinic",
    }
    return WristbandLabel(**{**values, **changes})


def test_wristband_label_shows_patient_and_its_barcode_decodes_to_the_code():
    assert parse_wristband_code(WRISTBAND) == WRISTBAND
    pdf = wristband_label_pdf(wristband())
    assert page_sizes_mm(pdf) == [(150, 25)]
    text = text_of(pdf)
    for shown in ["Ada Lindqvist", "MRN-004711", "1961-04-12", WRISTBAND]:
        assert shown in text
    assert barcodes_in(pdf) == [("Code128", WRISTBAND)]


def test_wristband_with_html_and_long_name_still_scans_and_prints_text():
    name = "<script>alert(1)</script> " + "Wolfeschlegelsteinhausen" * 6
    pdf = wristband_label_pdf(wristband(patient_name=name, wristband_code=WRISTBAND.lower()))
    assert "<script>alert(1)</script>" in text_of(pdf)
    assert len(page_sizes_mm(pdf)) == 1
    assert barcodes_in(pdf) == [("Code128", WRISTBAND)]


def test_wristband_label_refuses_a_mistyped_code():
    with pytest.raises(WristbandCodeError):
        wristband(wristband_code="W23456789AB4")


def test_product_label_needs_a_verified_product_code_not_a_string():
    with pytest.raises(TypeError):
        product_label(code="G123498654321H")
