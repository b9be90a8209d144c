"""The plan index: one summary row per plan, for ``GET /v1/plans`` with its filters and pagination.

The pupil's UPN is kept only as the keyed digest the write side uses for its open-plan index, so a lookup by
UPN works without the UPN being stored in clear here.

A search by name matches pupils whose given or family name contains each word of the search, ignoring case,
accents and punctuation ("zoe" finds Zoë, "oneill" finds O'Neill, "okafor br" finds Zoë Okafor-Brontë). It is
done here, in Python, over the rows the other filters leave, in the listing's order and a page at a time: the
same on SQLite and PostgreSQL (whose case rules differ for letters outside ASCII), with no column to keep in step,
and still possible once names are kept encrypted.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.view import next_review_due
from projections.base import DirtyPlans, PlanFolder, Upsert, View

COLUMNS = ("plan_id", "setting_urn", "given_name", "family_name", "tier", "status", "next_review_due", "opened_on",
           "version")


_UPSERT = Upsert(
    "plans",
    {
        "plan_id": "TEXT", "setting_urn": "TEXT", "upn_key": "TEXT", "given_name": "TEXT", "family_name": "TEXT",
        "tier": "TEXT", "status": "TEXT", "next_review_due": "TEXT", "opened_on": "TEXT", "version": "BIGINT",
    },
    key=("plan_id",),
)


class PlanIndex(DirtyPlans):
    name = "plan_index"
    upsert = _UPSERT
    tables: ClassVar[dict[str, str]] = {
        "plans": "CREATE TABLE IF NOT EXISTS {plans} (plan_id TEXT PRIMARY KEY, setting_urn TEXT NOT NULL, "
        "upn_key TEXT NOT NULL, given_name TEXT NOT NULL, family_name TEXT NOT NULL, tier TEXT NOT NULL, "
        "status TEXT NOT NULL, next_review_due TEXT, opened_on TEXT NOT NULL, version BIGINT NOT NULL)",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {plans} (setting_urn, family_name, given_name, "
        "plan_id)",
        "by_upn": "CREATE INDEX IF NOT EXISTS {=by_upn} ON {plans} (upn_key)",
    }

    def __init__(self, view: View, plans: PlanFolder, *, upn_key: Callable[[str], str]) -> None:
        super().__init__(view, plans)
        self.upn_key = upn_key

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state, pupil = plan.state, plan.state["pupil"]
        # An erased plan's pupil reads null (CONTRACT.md §11): kept as empty text in these NOT NULL columns.
        return (str(plan.id), plan.setting_urn, self.upn_key(pupil["upn"] or ""), pupil["given_name"] or "",
                pupil["family_name"] or "", state["tier"], state["status"], next_review_due(plan), state["opened_on"],
                plan.version)


NAME_SCAN = 500  # rows read at a time while searching by name


def name_key(text: str) -> str:
    """``text`` as a search by name compares it: lower case, no accents, no apostrophes, hyphens as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = "".join(" " if c in "-‐‑–—_." else c for c in plain if c not in "'’‘`")
    return " ".join(plain.split())


def name_matches(terms: list[str], given_name: str, family_name: str) -> bool:
    """Whether each term (a word of the search, as :func:`name_key` gives it) is in the pupil's name."""
    name = name_key(f"{given_name} {family_name}")
    squeezed = name.replace(" ", "")
    return all(term in name or term in squeezed for term in terms)


def search(
    view: View,
    *,
    setting_urns: list[str] | None,
    upn_key: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    name: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Plans matching the filters, by family name then given name; ``setting_urns`` None means any setting;
    ``name``, when given, as :func:`name_matches` says."""
    terms = name_key(name).split() if name is not None else []
    if not terms:
        return _page(view, setting_urns=setting_urns, upn_key=upn_key, tier=tier, status=status, limit=limit,
                     cursor=cursor)
    found: list[dict[str, Any]] = []
    while len(found) <= limit:
        rows, more = _page(view, setting_urns=setting_urns, upn_key=upn_key, tier=tier, status=status,
                           limit=NAME_SCAN, cursor=cursor)
        found += [row for row in rows if name_matches(terms, row["given_name"], row["family_name"])]
        if more is None:
            break
        cursor = more
    plans = found[:limit]
    next_cursor = _cursor_after(plans[-1]) if len(found) > limit else None
    return plans, next_cursor


def _cursor_after(plan: dict[str, Any]) -> str:
    return encode_cursor([plan["family_name"], plan["given_name"], plan["plan_id"]])


def _page(
    view: View,
    *,
    setting_urns: list[str] | None,
    upn_key: str | None,
    tier: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the plans matching the filters the database can apply, and the cursor after it."""
    where: list[str] = []
    params: list[Any] = []
    if setting_urns is not None:
        if not setting_urns:
            return [], None
        where.append(f"setting_urn IN ({', '.join('?' * len(setting_urns))})")
        params.extend(setting_urns)
    for column, value in (("upn_key", upn_key), ("tier", tier), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if cursor is not None:
        values = decode_cursor(cursor)
        if len(values) != 3 or not all(type(v) is str and "\x00" not in v for v in values):
            raise ValueError("cursor is not one this service gave out")
        family, given, plan_id = values
        where.append("(family_name > ? OR (family_name = ? AND (given_name > ? OR (given_name = ? AND plan_id > ?))))")
        params.extend([family, family, given, given, plan_id])
    statement = "SELECT " + ", ".join(COLUMNS) + " FROM {plans}"
    if where:
        statement += " WHERE " + " AND ".join(where)
    statement += " ORDER BY family_name, given_name, plan_id LIMIT ?"
    params.append(limit + 1)
    rows = view.sql.fetch(view.q(statement), params)
    plans = [dict(zip(COLUMNS, row, strict=True)) for row in rows[:limit]]
    next_cursor = _cursor_after(plans[-1]) if len(rows) > limit else None
    return plans, next_cursor


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise ValueError("cursor is not one this service gave out") from None
    if not isinstance(values, list):
        raise ValueError("cursor is not one this service gave out")
    return values
