"""The consent document's Markdown shown as simple, escaped HTML (headings, paragraphs, bullet lists)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def document_html(text: str) -> SafeString:
    """Headings (`#`, `##`), bullet lists (`- `) and paragraphs; everything else is escaped text."""
    parts: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            parts.append(f"<p>{escape(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            parts.append(f"<h3>{escape(line[3:])}</h3>")
        elif line.startswith("# "):
            flush()
            parts.append(f"<h2>{escape(line[2:])}</h2>")
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:])
        elif items and raw.startswith("  "):
            items[-1] += " " + line
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return mark_safe("\n".join(parts))  # noqa: S308 - every piece of text above is escaped
