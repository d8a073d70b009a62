"""Validate every emitted FHIR resource with its fhir.resources model, at a fraction of `model_validate`'s cost.

A fhir.resources model checks two kinds of things (fhir_core 1.1):
- structure: which elements are present (unknown elements are refused, required elements and one-of-many
  choices are checked, complex elements may not be null) and which Python type each value has; this depends
  only on the resource's *shape*: its keys, nesting, list lengths and value types, not on the values;
- values: each primitive element (id, code, dateTime, decimal, uri, …) against its field's type; this
  depends only on the value and the field that holds it.

So `ResourceChecker` validates the first resource of each shape with the model in full, and remembers, for
each primitive value of that shape, the field that holds it. Every later resource of the same shape has
each of its primitive values validated by that field's own pydantic type (the same schema the model uses):
exact, and those checks cost about a twentieth of building the model (the pass that finds the shape, which
also prunes empty elements, costs about as much again). `tests/interop/test_fhir_validation.py`
checks that the two agree on valid resources and on broken ones.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from functools import cache
from typing import Annotated, Any, cast

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import TypeAdapter

_UTC_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+\+00:00$")
MAX_SHAPES = 20_000  # past this many shapes, new shapes are validated in full every time (memory stays bounded)
_UNSEEN = object()
_MIXED = object()  # marks a list mixing elements and primitives
# Shape tokens: objects, so that no key (a string) can be taken for one and the shape reads one way only.
_OPEN, _CLOSE, _ELEMENTS, _VALUES = object(), object(), object(), object()


def _utc(value: str) -> str:
    """UTC datetimes end in Z, as the fhir.resources serialiser writes them."""
    if value.endswith("+00:00") and _UTC_DATETIME.match(value):
        return value[:-6] + "Z"
    return value


def pruned_with_shape(value: Any, leaves: list[Any]) -> tuple[Any, Hashable]:
    """`value` without None and empty elements (FHIR has no nulls), recursively, and its shape; the primitive
    values (and lists of primitives) are appended to `leaves` depth first, in the order of the shape."""
    shape: list[Any] = []
    pruned = _prune(value, leaves, shape)
    return pruned, tuple(shape)


def _prune(value: Any, leaves: list[Any], shape: list[Any]) -> Any:
    """`pruned_with_shape` for a dict or a list; the shape is a flat list of tokens (keys, types, brackets).

    A list is a list of elements when its first item is a dict; one that mixes elements and primitives is marked
    so that its shape is always validated in full. Written for speed: one pass, no call per primitive value."""
    if type(value) is dict:
        out: dict[str, Any] = {}
        shape.append(_OPEN)
        for key, item in value.items():
            if item is None:
                continue
            kind = type(item)
            if key == "resourceType" and kind is str:
                out[key] = item
                shape += (key, item)
            elif kind is dict or kind is list:
                mark = len(shape)
                shape.append(key)
                pruned = _prune(item, leaves, shape)
                if pruned:
                    out[key] = pruned
                else:
                    del shape[mark:]
            else:
                if kind is str and item.endswith("+00:00") and _UTC_DATETIME.match(item):
                    item = item[:-6] + "Z"
                out[key] = item
                shape += (key, kind)
                leaves.append(item)
        shape.append(_CLOSE)
        return out
    items = [v for v in value if v is not None]
    if items and type(items[0]) is dict:
        elements: list[Any] = []
        shape.append(_ELEMENTS)
        for item in items:
            if type(item) is dict:
                mark = len(shape)
                pruned = _prune(item, leaves, shape)
                if pruned:
                    elements.append(pruned)
                else:
                    del shape[mark:]
            else:  # not FHIR; the model decides, every time
                leaves.append(_MIXED)
                elements.append(item)
                shape.append(type(item))
        shape.append(_CLOSE)
        return elements
    values = [_utc(v) if type(v) is str else v for v in items]
    if values:
        leaves.append(values)
        shape += (_VALUES, *(type(v) for v in values), _CLOSE)
    return values


@cache
def _field_names(model: type[FHIRAbstractModel]) -> dict[str, str]:
    """JSON element name (alias) or Python name -> Python field name (models accept both)."""
    names = {name: name for name in model.model_fields}
    names.update({f.alias: name for name, f in model.model_fields.items() if f.alias})
    return names


@cache
def _field_type(model: type[FHIRAbstractModel], name: str) -> TypeAdapter[Any]:
    """The pydantic type of one field, with the field's own constraints: what the model validates it with."""
    field = model.model_fields[name]
    annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return TypeAdapter(annotation)


def _plan(instance: FHIRAbstractModel, data: dict[str, Any], plan: list[TypeAdapter[Any]]) -> bool:
    """Append the field type of each primitive value of `data` (validated as `instance`), in `leaves` order;
    False where the instance does not mirror `data` (then the shape is always validated in full)."""
    model = type(instance)
    names = _field_names(model)
    for key, value in data.items():
        if key == "resourceType":
            continue
        name = names[key]
        held = getattr(instance, name)
        if type(value) is dict:
            if not isinstance(held, FHIRAbstractModel) or not _plan(held, value, plan):
                return False
        elif type(value) is list and value and type(value[0]) is dict:
            if not isinstance(held, list) or len(held) != len(value):
                return False
            if not all(_plan(h, v, plan) for h, v in zip(held, value, strict=True)):
                return False
        else:
            plan.append(_field_type(model, name))
    return True


class ResourceChecker:
    """Validates FHIR resources (dicts in JSON form) as their fhir.resources model would; see the module text."""

    def __init__(self) -> None:
        # shape -> the field type of each primitive value, or None for a shape always validated in full
        self._plans: dict[Hashable, list[TypeAdapter[Any]] | None] = {}

    def checked(self, data: dict[str, Any]) -> dict[str, Any]:
        """`data` pruned of empty elements, validated; raises pydantic's ValidationError (or ValueError)."""
        leaves: list[Any] = []
        pruned, shape = pruned_with_shape(data, leaves)
        plan = self._plans.get(shape, _UNSEEN)
        if plan is _UNSEEN:
            self._learn(shape, pruned, leaves)
        elif plan is None:
            _model_validated(pruned)
        else:
            for field_type, value in zip(cast(list[TypeAdapter[Any]], plan), leaves, strict=True):
                field_type.validate_python(value)
        return cast(dict[str, Any], pruned)

    def _learn(self, shape: Hashable, pruned: dict[str, Any], leaves: list[Any]) -> None:
        """Validate the first resource of a shape in full (its values too), then remember the shape's plan."""
        instance = _model_validated(pruned)
        if len(self._plans) < MAX_SHAPES:
            plan: list[TypeAdapter[Any]] = []
            plannable = not any(leaf is _MIXED for leaf in leaves) and _plan(instance, pruned, plan)
            self._plans[shape] = plan if plannable and len(plan) == len(leaves) else None


def _model_validated(pruned: dict[str, Any]) -> FHIRAbstractModel:
    return cast(FHIRAbstractModel, get_fhir_model_class(pruned["resourceType"]).model_validate(pruned))


CHECKER = ResourceChecker()
