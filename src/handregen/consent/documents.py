"""Consent document templates: shipped as Markdown files, one per version; a clinic may keep its own folder.

`HANDREGEN_CONSENT_DOCUMENTS_DIR` (optional) names a folder of `<version>.md` files that a clinic edits; a
version found there wins over the shipped one. A document's first `# ` line is its title.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class DocumentFile:
    version: str
    title: str
    text: str
    source: str


def _clinic_folder() -> Path | None:
    folder = getattr(settings, "HANDREGEN_CONSENT_DOCUMENTS_DIR", "")
    return Path(folder) if folder else None


def read_document(version: str) -> DocumentFile | None:
    """The template of `version` from the clinic's folder or the shipped ones; None when there is none."""
    if not version or "/" in version or "\\" in version or version.startswith("."):
        return None
    name = f"{version}.md"
    folder = _clinic_folder()
    if folder is not None and (folder / name).is_file():
        path = folder / name
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        shipped = resources.files("handregen.consent") / "documents" / name
        if not shipped.is_file():
            return None
        text, source = shipped.read_text(encoding="utf-8"), f"handregen/consent/documents/{name}"
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    title = first[2:].strip() if first.startswith("# ") else f"Consent document {version}"
    return DocumentFile(version=version, title=title, text=text, source=source)
