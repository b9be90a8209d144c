"""Pydantic fields made from the domain's field specifications, so that each shape is declared once: in the domain.

The domain (``isp_ledger.domain.validation``) checks every value a write carries and says what is wrong in a
SENCO's words, for the write and for any later correction of it alike. What is made here gives a request its JSON
shape (names, JSON types, which are required, nothing extra) and writes the domain's rules (choices, lengths,
ranges) into the OpenAPI document as JSON Schema, without checking them a second time: a value outside them
reaches the domain, which refuses it with a 422 naming the field.

The same specifications describe the items and facts of the plan document (``reads.py``), where every field is
present and an optional one is ``null``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as PydanticField

from isp_ledger.domain.delivery import OrNone, TimeOfDay
from isp_ledger.domain.validation import (
    EARLIEST_DATE,
    LATEST_DATE,
    SHORT_TEXT,
    Attendees,
    Choice,
    Date,
    Field,
    IdList,
    Integer,
    OptionalNumber,
    PositiveNumber,
    Text,
    Upn,
    Urn,
)

M = TypeVar("M", bound=BaseModel)


def json_type(spec: Field) -> Any:
    """The Python type a JSON value of ``spec`` is parsed into (``None`` not included)."""
    if isinstance(spec, OrNone):
        return json_type(spec.spec)
    if isinstance(spec, Text | Choice | Upn | Urn):
        return str
    if isinstance(spec, Date):
        return dt.date
    if isinstance(spec, Integer):
        return int
    if isinstance(spec, PositiveNumber | OptionalNumber):
        return float
    if isinstance(spec, IdList):
        return list[str]
    if isinstance(spec, Attendees):
        return list[Attendee]
    # A new kind of field must be described here before the API can take it: never undocumented, never guessed.
    raise TypeError(f"no JSON type for the domain field {spec!r}")


def rules(spec: Field) -> dict[str, Any]:
    """The JSON Schema keywords that say what ``spec`` accepts (beyond its JSON type)."""
    if isinstance(spec, OrNone):
        return rules(spec.spec)
    if isinstance(spec, Text):
        pattern = {"pattern": TimeOfDay.PATTERN.pattern} if isinstance(spec, TimeOfDay) else {}
        return {"minLength": 0 if spec.allow_empty else 1, "maxLength": spec.max_length, **pattern}
    if isinstance(spec, Choice):
        return {"enum": [*spec.options, *([] if spec.required else [None])]}
    if isinstance(spec, Integer):
        return {"minimum": spec.minimum, "maximum": spec.maximum}
    if isinstance(spec, PositiveNumber):
        bounds: dict[str, Any] = ({"exclusiveMinimum": 0} if spec.minimum is None else {"minimum": spec.minimum})
        bounds["maximum"] = spec.maximum
        if spec.places is not None:
            bounds["multipleOf"] = 10**-spec.places
        return bounds
    if isinstance(spec, Date):
        # JSON Schema has no range for dates; these are the keywords validators that check formats understand.
        return {"formatMinimum": EARLIEST_DATE.isoformat(), "formatMaximum": LATEST_DATE.isoformat()}
    if isinstance(spec, IdList):
        return {"minItems": spec.minimum, "maxItems": spec.maximum, "uniqueItems": True}
    if isinstance(spec, Attendees):
        return {"minItems": 1}
    if isinstance(spec, Upn):
        return {"minLength": 13, "maxLength": 13}
    if isinstance(spec, Urn):
        return {"pattern": "^[0-9]{6}$"}
    return {}


def annotation(spec: Field, *, optional: bool = False) -> Any:
    """The field's type in a model: nullable when the domain does not require it (or ``optional``)."""
    kind = json_type(spec)
    return kind | None if optional or not spec.required else kind


def field(spec: Field, description: str | None = None, *, optional: bool = False, present: bool = False) -> Any:
    """A pydantic field documenting ``spec``: required when the domain requires it, else ``None`` by default.

    ``optional`` makes every field optional (an amendment names only what changes); ``present`` makes every
    field required, nullable where the domain does not require it (a document always shows every field).
    """
    required = present or (spec.required and not optional)
    extra = rules(spec)
    if optional and "enum" in extra and None not in extra["enum"]:
        extra = {**extra, "enum": [*extra["enum"], None]}
    if required:
        return PydanticField(description=description, json_schema_extra=extra)
    return PydanticField(None, description=description, json_schema_extra=extra)


class Attendee(BaseModel):
    """Someone at a review meeting: ``Attendees`` takes exactly a role and a name, each a short text."""

    model_config = ConfigDict(extra="forbid")

    role: str = field(Text(SHORT_TEXT))
    name: str = field(Text(SHORT_TEXT))


def model(
    name: str,
    specs: Mapping[str, Field],
    *,
    base: type[M],
    doc: str,
    descriptions: Mapping[str, str] | None = None,
    optional: bool = False,
    present: bool = False,
) -> type[M]:
    """A model of ``base`` with one field per spec, in the domain's order (see :func:`field`)."""
    descriptions = descriptions or {}
    fields: dict[str, Any] = {
        key: (annotation(spec, optional=optional),
              field(spec, descriptions.get(key), optional=optional, present=present))
        for key, spec in specs.items()
    }
    return create_model(name, __base__=base, __doc__=doc, __module__=base.__module__, **fields)
