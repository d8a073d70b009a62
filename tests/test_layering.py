"""The apps import each other in one direction: a test over the import graph (docs/architecture.md, "Layers").

Every `import` of the package is read from the source (also those inside functions, which hide a cycle from
Python but not from a reader). Two apps that import each other form a cycle. The cycles that remain are listed
below with what breaks them; the list may only shrink: a new cycle fails the test, and so does a listed one that
is gone (delete it from the list).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import handregen

PACKAGE = Path(handregen.__file__).parent

# Known two-way imports between apps, still to be broken (docs/architecture.md says how each should go).
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        ("accounts", "audit"),  # account services audit; the audit report names users and sites
        ("aftercare", "outcomes"),  # the patient's page shows the after-care sheet
        ("analytics", "consent"),  # the synthetic writer builds consents; the consent page shows the expectation
        ("audit", "patients"),  # patient services audit; break-glass reads of a patient are audit selectors
        ("cellproducts", "pathway"),  # the episode API shows the current product
        ("cellproducts", "procedures"),  # the lab page offers the harvest form
        ("outcomes", "scheduling"),  # the questionnaire page names the next appointment
        ("outcomes", "pathway"),  # the protocol document counts the questions each time point asks
        ("preparation", "scheduling"),  # day lists show preparation; preparation dates follow the booked day
    ]
)


def _unit(module: str) -> str | None:
    """The app (a sub-package) or top-level module of `handregen` that `module` belongs to."""
    parts = module.split(".")
    if parts[0] != "handregen" or len(parts) == 1:
        return None
    return parts[1] if (PACKAGE / parts[1]).is_dir() else f"handregen.{parts[1]}"


def import_graph() -> dict[str, dict[str, set[str]]]:
    """unit -> imported unit -> the modules of the first that import the second."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        source = _unit(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                target = _unit(name)
                if source and target and target != source:
                    graph[source][target].add(module)
    return graph


def two_way_imports() -> dict[frozenset[str], str]:
    graph = import_graph()
    found = {}
    for a, targets in graph.items():
        for b in targets:
            if a in graph.get(b, {}):
                found[frozenset({a, b})] = f"{a} ({sorted(graph[a][b])[0]}) <-> {b} ({sorted(graph[b][a])[0]})"
    return found


def test_no_new_two_way_imports_between_apps() -> None:
    new = {pair: words for pair, words in two_way_imports().items() if pair not in KNOWN_CYCLES}
    assert not new, "apps that import each other:\n" + "\n".join(sorted(new.values()))


def test_the_list_of_known_cycles_only_shrinks() -> None:
    gone = [sorted(pair) for pair in KNOWN_CYCLES if pair not in two_way_imports()]
    assert not gone, f"these cycles are broken now: delete them from KNOWN_CYCLES: {gone}"


def test_the_api_module_is_imported_by_no_app() -> None:
    # handregen.api imports every router; an app importing it back would close a circle through all of them.
    importers = {unit for unit, targets in import_graph().items() if "handregen.api" in targets}
    assert importers <= {"handregen.urls"}, importers
