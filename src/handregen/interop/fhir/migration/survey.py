"""First pass of a migration import: read every resource, validate it with fhir.resources, and gather the few
facts one resource type needs from another (which episode a product's harvest belongs to, a response's score).

Nothing is written in this pass; the facts are small (a few per patient), the resources themselves are read
again, file by file, when they are written.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from handregen.interop.fhir.codes import EXT_PRODUCT_USED, MRN_SYSTEM, PRODUCT_SYSTEM, WRISTBAND_SYSTEM
from handregen.interop.fhir.validation import CHECKER

# Resource types in the order they are written: every record after the records it points to.
ORDER = (
    "Patient",
    "Condition",
    "Encounter",
    "Observation",
    "BiologicallyDerivedProduct",
    "Procedure",
    "CarePlan",
    "QuestionnaireResponse",
    "AdverseEvent",
    "Consent",
)
VALIDATION_CHUNK = 500  # resources per validation task
PARALLEL_FROM_BYTES = 4_000_000
HARVEST_NOTE = re.compile(r"^volume (?P<volume>[\d.]+) mL; product (?P<din>\w+)$")
SCORE_TEXT = re.compile(r"\((?P<version>[^()]*)\)$")  # "<instrument name> (<scoring version>)"


class MigrationInputError(Exception):
    """Plain-words problems with the input, each naming the resource and the field; nothing was written."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems[:5]))


def reference_id(value: Any, resource_type: str) -> str | None:
    """The id of `{"reference": "<resource_type>/<id>"}`, None if it is not a reference of that type."""
    text = value.get("reference", "") if isinstance(value, dict) else ""
    prefix = f"{resource_type}/"
    return text[len(prefix) :] if text.startswith(prefix) else None


def product_used(procedure: dict[str, Any]) -> str:
    """The BiologicallyDerivedProduct id an injection used: the `cell-product-used` extension (older exports:
    `usedReference`, which R4 does not allow for a product)."""
    for extension in procedure.get("extension", []):
        if extension.get("url") == EXT_PRODUCT_USED:
            return reference_id(extension.get("valueReference"), "BiologicallyDerivedProduct") or ""
    used = procedure.get("usedReference") or [{}]
    return reference_id(used[0], "BiologicallyDerivedProduct") or ""


def files_of(path: Path) -> dict[str, Path]:
    """`<Type>.ndjson` files of an export folder (or one NDJSON file), by resource type."""
    found = [path] if path.is_file() else sorted(path.glob("*.ndjson"))
    return {p.stem: p for p in found}


def lines(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with file.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield number, orjson.loads(line)


@dataclass
class Survey:
    """What the second pass needs to know across resource types, read from the input itself."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    patients: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {hand, wristband, mrn}
    episodes: dict[str, str] = field(default_factory=dict)  # episode id -> patient id
    episode_side: dict[str, str] = field(default_factory=dict)
    episode_cycles: dict[str, int] = field(default_factory=dict)
    episode_protocol: dict[str, tuple[str, str]] = field(default_factory=dict)
    patient_episodes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    consultations: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))
    imaging: dict[str, dict[str, Any]] = field(default_factory=dict)  # study id -> patient, date, stages
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # response id -> total, subscales, version
    product_din: dict[str, str] = field(default_factory=dict)  # product id -> DIN (without check character)
    product_collected: dict[str, str] = field(default_factory=dict)
    din_product: dict[str, str] = field(default_factory=dict)
    din_episode: dict[str, str] = field(default_factory=dict)
    injected: dict[str, str] = field(default_factory=dict)  # product id -> performed_at
    episode_injections: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    answered: dict[tuple[str, int, str], str] = field(default_factory=dict)  # (patient, cycle, point) -> last
    consents: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # patient -> dateTimes
    consent_versions: set[str] = field(default_factory=set)
    instruments: set[str] = field(default_factory=set)

    def product_cycles(self) -> dict[str, int]:
        """Each product's treatment cycle: its place among its episode's products, in collection order."""
        by_episode: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for product, din in self.product_din.items():
            by_episode[self.din_episode.get(din, "")].append((self.product_collected.get(product, ""), product))
        return {p: n for products in by_episode.values() for n, (_, p) in enumerate(sorted(products), start=1)}

    def episode_of(self, patient_id: str, on: date | None) -> str | None:
        """The patient's episode on a day: the one of the latest consultation up to that day, else the latest."""
        seen = sorted(c for c in self.consultations.get(patient_id, []) if on is None or c[0] <= on.isoformat())
        if seen:
            return seen[-1][2]
        episodes = self.patient_episodes.get(patient_id) or []
        return episodes[-1] if episodes else None


def _validate(resource_type: str, resource: dict[str, Any]) -> str | None:
    """None when the resource is a valid `resource_type`, else the first problem, naming the element.

    The shared checker gives `model_validate`'s verdict at a fraction of its cost
    (`interop/fhir/validation.py`); a resource it would first have to prune (empty or null elements), or one
    it refuses, goes through the model itself, which judges the resource as given and names the element.
    """
    if resource.get("resourceType") == resource_type:
        try:
            if CHECKER.checked(resource) == resource:
                return None
        except (ValidationError, ValueError, KeyError):
            pass
    try:
        get_fhir_model_class(resource_type).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-after"))
        return f"{where or resource_type}: {first['msg']}"
    except KeyError:
        return f"{resource_type} is not a FHIR R4 resource type"
    return None


def survey(path: Path, *, workers: int | None = None) -> Survey:
    """Validate every resource under `path` and gather the cross-type facts; problems go into the survey.

    Validation (fhir.resources' verdict, through the shared checker) runs in `workers`
    processes over chunks of lines (default: one per CPU for more than a few MB of NDJSON, else none); the facts
    are gathered here, in file order.
    """
    found = Survey()
    files = files_of(path)
    unknown = sorted(set(files) - set(ORDER))
    for name in unknown:
        found.problems.append((files[name].name, f"{name} is not a resource type this import rebuilds"))
    if workers is None:  # a process pool pays off from a few thousand resources
        big = sum(f.stat().st_size for f in files.values() if f.is_file()) > PARALLEL_FROM_BYTES
        workers = (os.cpu_count() or 1) if big else 1
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) if workers > 1 else None
    try:
        for resource_type in ORDER:
            if resource_type in files:
                for chunk, errors in _validated_chunks(pool, resource_type, files[resource_type], found, workers):
                    _gather(found, resource_type, files[resource_type].name, chunk, errors)
    finally:
        if pool is not None:
            pool.shutdown()
    return found


Chunk = list[tuple[int, dict[str, Any]]]


def _validated_chunks(
    pool: ProcessPoolExecutor | None, resource_type: str, file: Path, found: Survey, workers: int
) -> Iterator[tuple[Chunk, dict[int, str]]]:
    """Chunks of the file's resources with the validation errors by line, in file order (a bounded window of
    chunks is validated in the pool meanwhile, so memory stays flat)."""
    window: deque[tuple[Chunk, Any]] = deque()
    for chunk in _chunked(_entries(file, found), VALIDATION_CHUNK):
        if pool is None:
            yield chunk, validate_chunk(resource_type, chunk)
            continue
        window.append((chunk, pool.submit(validate_chunk, resource_type, chunk)))
        if len(window) > 2 * workers:
            done, future = window.popleft()
            yield done, future.result()
    while window:
        done, future = window.popleft()
        yield done, future.result()


def _chunked(entries: Iterator[tuple[int, dict[str, Any]]], size: int) -> Iterator[Chunk]:
    chunk: Chunk = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def validate_chunk(resource_type: str, chunk: Chunk) -> dict[int, str]:
    """Line number -> what is wrong, for the resources of `chunk` that are not valid `resource_type`s."""
    errors = {}
    for number, resource in chunk:
        if resource.get("resourceType") != resource_type:
            errors[number] = f"resourceType must be {resource_type} in {resource_type}.ndjson"
            continue
        error = _validate(resource_type, resource)
        if error:
            errors[number] = error
    return errors


def _gather(found: Survey, resource_type: str, file_name: str, chunk: Chunk, errors: dict[int, str]) -> None:
    for number, resource in chunk:
        where = f"{file_name}:line {number} {resource_type}/{resource.get('id', '?')}"
        if number in errors:
            found.problems.append((where, errors[number]))
            continue
        found.counts[resource_type] = found.counts.get(resource_type, 0) + 1
        try:
            _COLLECT[resource_type](found, resource)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            found.problems.append((where, f"missing or malformed element ({exc})"))


def _entries(file: Path, found: Survey) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with file.open("rb") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    found.problems.append((f"{file.name}:line {number}", f"not JSON ({exc})"))
                    continue
                if not isinstance(resource, dict):
                    found.problems.append((f"{file.name}:line {number}", "not a FHIR resource (a JSON object)"))
                    continue
                yield number, resource
    except OSError as exc:
        found.problems.append((file.name, f"cannot be read ({exc.strerror or exc})"))


def _patient(found: Survey, r: dict[str, Any]) -> None:
    identifiers = {i.get("system"): i.get("value") for i in r.get("identifier", [])}
    hand = next((e.get("valueCode") for e in r.get("extension", []) if e["url"].endswith("/dominant-hand")), None)
    found.patients[r["id"]] = {
        "hand": hand or "",
        "wristband": identifiers.get(WRISTBAND_SYSTEM) or "",
        "mrn": identifiers.get(MRN_SYSTEM) or "",
    }


def _condition(found: Survey, r: dict[str, Any]) -> None:
    patient = reference_id(r["subject"], "Patient") or ""
    found.episodes[r["id"]] = patient
    found.patient_episodes[patient].append(r["id"])
    found.episode_side[r["id"]] = r["bodySite"][0]["text"].split(" ", 1)[0]


def _encounter(found: Survey, r: dict[str, Any]) -> None:
    patient = reference_id(r["subject"], "Patient") or ""
    episode = reference_id(r["reasonReference"][0], "Condition") or ""
    found.consultations[patient].append((r["period"]["start"], r["id"], episode))


def _observation(found: Survey, r: dict[str, Any]) -> None:
    derived = r.get("derivedFrom")
    if derived:
        response = reference_id(derived[0], "QuestionnaireResponse") or ""
        match = SCORE_TEXT.search(r["code"].get("text", ""))
        found.scores[response] = {
            "total": r["valueQuantity"]["value"],
            "subscales": {
                c["code"]["coding"][0]["code"].split(".", 1)[1]: c["valueQuantity"]["value"]
                for c in r.get("component", [])
            },
            "scoring_version": match["version"] if match else "",
        }
        return
    study_id, _, system = r["id"][:36], r["id"][36:37], r["id"][37:]
    study = found.imaging.setdefault(
        study_id,
        {"patient": reference_id(r["subject"], "Patient"), "date": r["effectiveDateTime"], "stages": {}},
    )
    study["stages"][system] = r["valueCodeableConcept"]["coding"][0]["code"]


def _product(found: Survey, r: dict[str, Any]) -> None:
    code = next(i["value"] for i in r["identifier"] if i.get("system") == PRODUCT_SYSTEM)
    found.product_din[r["id"]] = code[:-1]
    found.din_product[code[:-1]] = r["id"]
    found.product_collected[r["id"]] = r["collection"]["collectedDateTime"]


def _procedure(found: Survey, r: dict[str, Any]) -> None:
    episode = reference_id(r["reasonReference"][0], "Condition") or ""
    if "performedPeriod" in r:  # a harvest
        match = HARVEST_NOTE.match(r["note"][0]["text"])
        if match is None:
            raise ValueError("the harvest note must read 'volume <mL> mL; product <DIN>'")
        found.din_episode[match["din"]] = episode
        return
    product = product_used(r)
    found.injected[product] = r["performedDateTime"]
    found.episode_injections[episode].append(r["performedDateTime"][:10])


def _care_plan(found: Survey, r: dict[str, Any]) -> None:
    episode, _, cycle = r["id"].rpartition("-cycle-")
    found.episode_cycles[episode] = max(found.episode_cycles.get(episode, 1), int(cycle))


def _response(found: Survey, r: dict[str, Any]) -> None:
    ext = {e["url"].rsplit("/", 1)[-1]: e for e in r.get("extension", [])}
    key = (
        reference_id(r["subject"], "Patient") or "",
        int(ext.get("treatment-cycle", {}).get("valueInteger", 1)),
        str(ext["follow-up-timepoint"]["valueCode"]),
    )
    found.answered[key] = max(found.answered.get(key, ""), r.get("authored", ""))
    found.instruments.add(r.get("questionnaire", "").split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def _consent(found: Survey, r: dict[str, Any]) -> None:
    found.consents[reference_id(r["patient"], "Patient") or ""].append(r["dateTime"])
    found.consent_versions.update(str(c.get("code")) for c in r.get("policyRule", {}).get("coding", []))


def _condition_protocol(found: Survey, r: dict[str, Any]) -> None:
    _condition(found, r)
    match = re.search(r"protocol (\S+) v(\S+)$", r["note"][0]["text"])
    if match is None:
        raise ValueError("the note must name the protocol ('… protocol <code> v<version>')")
    found.episode_protocol[r["id"]] = (match[1], match[2])


def _nothing(found: Survey, r: dict[str, Any]) -> None:
    return None


_COLLECT = {
    "Patient": _patient,
    "Condition": _condition_protocol,
    "Encounter": _encounter,
    "Observation": _observation,
    "BiologicallyDerivedProduct": _product,
    "Procedure": _procedure,
    "CarePlan": _care_plan,
    "QuestionnaireResponse": _response,
    "AdverseEvent": _nothing,
    "Consent": _consent,
}


def parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)
