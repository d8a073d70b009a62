"""The questionnaire burden per time point: the table in docs/protocols.md is the shipped files' own count,
the protocol document shows it to whoever edits the schedule, and v1.1 keeps the agreed shape."""

from __future__ import annotations

import re
from pathlib import Path

from handregen.outcomes.instruments import load_instrument
from handregen.pathway.protocol import parse_protocol, shipped_protocol_documents

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols.md"
ASKED = {"nrs": 1, "quickdash": 11, "prwe": 15, "mhq": 62, "fihoa": 10, "pgic": 1, "grip": 0}  # counted by hand


def shipped(version: str) -> dict:
    return next(d for d in shipped_protocol_documents() if d["version"] == version)


def questions(doc: dict) -> dict[str, int]:
    points = [("baseline", doc["baseline_instruments"])] + [(p["label"], p["instruments"]) for p in doc["follow_up"]]
    return {label: sum(ASKED[code] for code in codes) for label, codes in points}


def test_the_hand_counts_are_the_instrument_files_counts():
    for code, count in ASKED.items():
        asked = load_instrument(code)
        assert (len(asked.items) if asked.options_for(asked.items[0]) else 0) == count


def test_the_docs_table_is_the_shipped_files_count():
    table = {
        m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"^\| ([\w ]+?) \| (\d+) \| (\d+) \|", DOC.read_text(), re.M)
    }
    old, new = questions(shipped("1.0")), questions(shipped("1.1"))
    assert table == {label: (old[label], new[label]) for label in new}


def test_v1_1_asks_pain_function_and_global_at_every_visit_after_the_splint_and_the_mhq_twice():
    doc = shipped("1.1")
    parse_protocol(doc)  # a valid protocol
    for point in doc["follow_up"]:
        wanted = {"nrs", "pgic"} if point["code"] == "w2" else {"nrs", "quickdash", "pgic"}
        assert wanted <= set(point["instruments"])
    with_mhq = [p["code"] for p in doc["follow_up"] if "mhq" in p["instruments"]]
    assert with_mhq == ["m12"] and "mhq" in doc["baseline_instruments"]
    assert all(questions(doc)[label] <= questions(shipped("1.0"))[label] for label in questions(doc))


def test_the_protocol_document_says_how_many_questions_each_time_point_asks(api):
    body = api("physician").get("/api/v1/protocols/hand-oa-autologous").json()
    assert body["version"] == "1.1"
    counts = {p["label"]: p["questions_for_the_patient"] for p in body["follow_up"]}
    assert counts == {label: n for label, n in questions(shipped("1.1")).items() if label != "baseline"}
    assert body["baseline_questions_for_the_patient"] == 99
