"""The patient's pages in the patient's language: Spanish is complete for our own words, compiled, marked as
not a validated translation, and it never leaks into the next request."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from handregen.outcomes import instrument_strings
from handregen.outcomes.instruments import load_instrument
from handregen.outcomes.links import questionnaire_link_create
from tests.outcomes.conftest import follow_up

LOCALE = Path(instrument_strings.__file__).parent / "locale" / "es" / "LC_MESSAGES"
ASKED = ("nrs", "quickdash", "prwe", "mhq", "fihoa", "pgic", "quickdash_work", "quickdash_sport")


def po_entries() -> dict[str, str]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    return dict(re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.M))


def test_every_instrument_word_a_patient_reads_is_listed_for_translation():
    wanted = set()
    for code in ASKED:
        instrument = load_instrument(code)
        wanted |= {instrument.title, *(o.label for o in instrument.options)}
        wanted |= {instrument.question} if instrument.question else set()
        for scale in instrument.scales.values():
            wanted |= {scale.prompt, *(o.label for o in scale.labels)}
        wanted |= {(item.text or item.topic)[:1].upper() + (item.text or item.topic)[1:] for item in instrument.items}
    wanted = {w for w in wanted if not w.isdigit()}
    assert wanted <= set(instrument_strings.STRINGS)


def test_the_spanish_catalogue_is_complete_and_the_committed_mo_is_its_compilation(tmp_path):
    entries = po_entries()
    assert set(instrument_strings.STRINGS) <= set(entries)
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    compiled = gettext.GNUTranslations((LOCALE / "django.mo").open("rb"))
    assert all(compiled.gettext(msgid) == msgstr for msgid, msgstr in entries.items())
    msgfmt = shutil.which("msgfmt")
    if msgfmt:  # the catalogue is well formed (placeholders match, no duplicate)
        subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "x.mo"), str(LOCALE / "django.po")], check=True)


@pytest.mark.parametrize(
    ("language", "heading", "note"),
    [
        ("es", "Su dolor", "No es una traducción validada"),
        ("", "Your pain", None),
    ],
)
def test_the_patient_page_speaks_the_patients_language(scheduled, make_patient, nurse, language, heading, note):
    episode = scheduled(days_ago=14, patient=make_patient(preferred_language=language))
    url = questionnaire_link_create(actor=nurse, follow_up=follow_up(episode, "w2"))
    client = Client()
    client.get("/q/" + url.rsplit("/q/", 1)[1])
    page = client.get("/q/p/1/").content.decode()
    assert f"<h1>{heading}" in page
    assert (note in page) if note else ("translation" not in page)
    if language:
        assert '<html lang="es">' in page and "Siguiente" in page and "10 - el peor dolor" in page
    staff = Client().get("/login/").content.decode()  # the next request, on the same thread: English again
    assert 'lang="en' in staff and "Siguiente" not in staff


def test_an_unknown_language_is_refused_in_plain_words(make_patient):
    from handregen.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        make_patient(preferred_language="xx")
    assert caught.value.errors[0][0] == "preferred_language"
