"""The plan index: one summary row per plan, for ``GET /v1/plans`` with its filters and pagination.

The pupil's UPN is kept only as the keyed digest the write side uses for its open-plan index, so a lookup by
UPN works without the UPN being stored in clear here.

The pupil's names are kept only sealed under the pupil's key (``sealed.py``), so the database can neither order nor
search by them. A listing lets SQL filter on the clear columns (setting, UPN digest, tier, status), then opens the
names of the rows left (their keys fetched in one query), orders them by family name, given name and plan id, and
takes a page; the cursor names the last plan of the page (by id, never by name), and the next page starts after
it. A search by name matches pupils whose given or family name contains each word of the search, ignoring case,
accents and punctuation ("zoe" finds Zoë, "oneill" finds O'Neill, "okafor br" finds Zoë Okafor-Brontë), among the
opened rows: the same on SQLite and PostgreSQL (whose case rules differ for letters outside ASCII).

The work of a listing grows with the plans its filters leave (a setting's, for a SENCO: hundreds at most), not
with the size of the page; opening a name costs microseconds. An erased pupil's names read as ``null``; they sort
first and match no search.
"""

from __future__ import annotations

import base64
import bisect
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

import orjson

from isp_ledger.domain.plan import Plan
from isp_ledger.domain.view import next_review_due
from projections.base import DirtyPlans, PlanFolder, Upsert, View
from projections.sealed import Sealed

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
        "upn_key TEXT NOT NULL, given_name TEXT, family_name TEXT, tier TEXT NOT NULL, "
        "status TEXT NOT NULL, next_review_due TEXT, opened_on TEXT NOT NULL, version BIGINT NOT NULL)",
        "by_setting": "CREATE INDEX IF NOT EXISTS {=by_setting} ON {plans} (setting_urn, status)",
        "by_upn": "CREATE INDEX IF NOT EXISTS {=by_upn} ON {plans} (upn_key)",
    }
    sealed: ClassVar[dict[str, Sealed]] = {"plans": Sealed(texts=("given_name", "family_name"))}

    def __init__(self, view: View, plans: PlanFolder, *, upn_key: Callable[[str], str]) -> None:
        super().__init__(view, plans)
        self.upn_key = upn_key

    def prepare(self) -> list[tuple[Any, ...]]:
        self.view.seals.load(self._dirty)
        return super().prepare()

    def row(self, plan: Plan) -> tuple[Any, ...]:
        state, pupil = plan.state, plan.state["pupil"]
        key, seals = str(plan.id), self.view.seals
        upn = pupil["upn"]  # None once the pupil is erased: the plan can then no longer be found by UPN
        return (key, plan.setting_urn, "" if upn is None else self.upn_key(upn),
                seals.text(key, "plans", "given_name", pupil["given_name"]),
                seals.text(key, "plans", "family_name", pupil["family_name"]),
                state["tier"], state["status"], next_review_due(plan), state["opened_on"], plan.version)


def name_key(text: str) -> str:
    """``text`` as a search by name compares it: lower case, no accents, no apostrophes, hyphens as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = "".join(" " if c in "-‐‑–—_." else c for c in plain if c not in "'’‘`")
    return " ".join(plain.split())


def name_matches(terms: list[str], given_name: str | None, family_name: str | None) -> bool:
    """Whether each term (a word of the search, as :func:`name_key` gives it) is in the pupil's name (an erased
    pupil's name, ``None``, matches no search)."""
    if given_name is None and family_name is None:
        return False
    name = name_key(f"{given_name or ''} {family_name or ''}")
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
    """Plans matching the filters, by family name then given name (then plan id); ``setting_urns`` None means any
    setting; ``name``, when given, as :func:`name_matches` says. ``cursor`` continues after the plan it names."""
    after = _decode(cursor) if cursor is not None else None
    terms = name_key(name).split() if name is not None else []
    plans = _matching(view, setting_urns=setting_urns, upn_key=upn_key, tier=tier, status=status)
    if terms:
        plans = [p for p in plans if name_matches(terms, p["given_name"], p["family_name"])]
    if after is not None:
        plans = plans[_start_after(view, plans, after):]
    page = plans[:limit]
    next_cursor = encode_cursor([page[-1]["plan_id"]]) if len(plans) > limit else None
    return page, next_cursor


def _matching(view: View, *, setting_urns: list[str] | None, upn_key: str | None, tier: str | None,
              status: str | None) -> list[dict[str, Any]]:
    """Every plan matching the filters the database can apply (on clear columns), names opened, in the listing's
    order."""
    where: list[str] = []
    params: list[Any] = []
    if setting_urns is not None:
        if not setting_urns:
            return []
        where.append(f"setting_urn IN ({', '.join('?' * len(setting_urns))})")
        params.extend(setting_urns)
    for column, value in (("upn_key", upn_key), ("tier", tier), ("status", status)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    statement = "SELECT " + ", ".join(COLUMNS) + " FROM {plans}"
    if where:
        statement += " WHERE " + " AND ".join(where)
    return _opened(view, view.sql.fetch(view.q(statement), params))


def _opened(view: View, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    seals = view.seals
    seals.load(row[0] for row in rows)
    plans = [seals.open_row("plans", PlanIndex.sealed["plans"], dict(zip(COLUMNS, row, strict=True)))
             for row in rows]
    plans.sort(key=_order)
    return plans


def _order(plan: dict[str, Any]) -> tuple[str, str, str]:
    return plan["family_name"] or "", plan["given_name"] or "", plan["plan_id"]


def _start_after(view: View, plans: list[dict[str, Any]], plan_id: str) -> int:
    """Where the page after the plan ``plan_id`` starts: just after it, or, if it no longer matches the filters,
    where it would now stand."""
    for index, plan in enumerate(plans):
        if plan["plan_id"] == plan_id:
            return index + 1
    found = _opened(view, view.sql.fetch(view.q("SELECT " + ", ".join(COLUMNS) + " FROM {plans} WHERE plan_id = ?"),
                                         (plan_id,)))
    if not found:
        raise ValueError("cursor is not one this service gave out")
    last = _order(found[0])
    return bisect.bisect_right([_order(p) for p in plans], last)


def _decode(cursor: str) -> str:
    values = decode_cursor(cursor)
    if len(values) != 1 or type(values[0]) is not str:
        raise ValueError("cursor is not one this service gave out")
    try:
        return str(UUID(values[0]))
    except ValueError:
        raise ValueError("cursor is not one this service gave out") from None


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
