"""Query parameters every route shares the rules of: instants within the dates the ledger records, and no
parameter a route does not take.

An unknown parameter is refused (422 naming it) rather than ignored: ``GET /v1/plans?name=Okafor`` on a service
that did not search by name would otherwise answer the first page of every plan as if it were the search's
answer. The rule is one dependency, :func:`known_parameters_only`, given to every route; it compares the request's
query with the parameters the route declares (the same ones its OpenAPI operation documents).
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from isp_ledger.domain.errors import FieldError, InvalidInput
from isp_ledger.domain.validation import EARLIEST_DATE, LATEST_DATE

OFFSET_EXAMPLE = "2026-11-20T09:00:00+00:00"


def bounded_instant(name: str, value: dt.datetime) -> dt.datetime:
    """``value`` (a query's instant) in UTC, or a 422 naming ``name``: it must carry a UTC offset and fall within
    the dates the ledger records (1900 to 2199), so that no arithmetic on it can leave the calendar."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.field(name, f"must include a UTC offset, e.g. {OFFSET_EXAMPLE}")
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_DATE <= utc.date() <= LATEST_DATE:
        raise InvalidInput.field(name, f"must be an instant from {EARLIEST_DATE.isoformat()} to "
                                       f"{LATEST_DATE.isoformat()} (got {value.isoformat()})")
    return utc


def bounded_dates(*named: tuple[str, dt.date | None]) -> None:
    """A 422 naming the first of a query's dates outside the dates the ledger records (1900 to 2199)."""
    for name, day in named:
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise InvalidInput.field(name, f"must be a date from {EARLIEST_DATE.isoformat()} to "
                                           f"{LATEST_DATE.isoformat()} (got {day.isoformat()})")


def known_parameters_only(request: Request) -> None:
    """Refuse a request naming a query parameter its route does not take (422, every unknown one named)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = declared_parameters(route)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise InvalidInput([FieldError(name, f"is not a parameter of this request (it takes: {allowed})")
                            for name in unknown])


def declared_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters ``route`` takes, by the names a client sends (aliases: ``from``, not ``from_``),
    its dependencies' included; worked out once per route."""
    known: frozenset[str] | None = getattr(route, "_known_query_parameters", None)
    if known is None:
        known = frozenset(_query_names(route.dependant))
        route._known_query_parameters = known  # type: ignore[attr-defined]  # a cache on the route itself
    return known


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # parameters declared as one model
            names |= {field.alias or name for name, field in model.model_fields.items()}
        else:
            names.add(param.alias)
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names
