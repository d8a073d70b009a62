"""Template filters that turn the codes records keep into the words people read (handregen.labels)."""

from __future__ import annotations

from django import template

from handregen.labels import timepoint_words as _timepoint_words

register = template.Library()


@register.filter
def timepoint_words(code: str) -> str:
    """{{ row.timepoint|timepoint_words }}: 'm6' -> '6 months'."""
    return _timepoint_words(str(code))
