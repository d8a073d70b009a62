"""Links to many records on one page, at the cost of one URL lookup."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.urls import reverse

_PLACEHOLDER = str(uuid.UUID(int=0))


def link_for_each(name: str) -> Callable[[Any], str]:
    """`reverse(name, args=[pk])` for the rows of a list page: the URL is reversed once around a placeholder id,
    then the placeholder is replaced by each row's id (`{% url %}` per row took about a sixth of a 50-row
    worklist's time). Only for routes whose one argument is a UUID."""
    pattern = reverse(name, args=[_PLACEHOLDER])
    return lambda pk: pattern.replace(_PLACEHOLDER, str(pk))
