"""A pupil's personal values in the read models: kept only sealed under the pupil's data key (CONTRACT.md §11).

Each read model says which columns of its tables hold personal values (:class:`Sealed`): whole texts (names,
descriptions, the timeline's summaries: a summary is derived from free text, so it is always sealed), JSON bodies
whose structure (ids, codes, dates, counts) stays in clear while their personal values are sealed together (a
document's parts, the quality facts), and actors (the name of anyone but staff is sealed). Every value is sealed
with associated data naming its plan, read model, table, column and row, so a value copied to another plan, row or
column does not open.

Once a plan's data key is destroyed (an erasure), its values read as ``null`` and its bodies as their clear
structure: the rows stay, and nothing reading them fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson

from isp_ledger.domain.personal import actor_split
from projections.log import Sealer, row_aad

SEALED = "sealed"  # where a body or an actor keeps its sealed part (as ``PlanSealer.seal_record`` does)



@dataclass(frozen=True)
class Sealed:
    """The columns of a read-model table that hold a plan's personal values, and how each is sealed."""

    key: tuple[str, ...] = ()  # the columns naming a row within its plan (bound into the associated data)
    texts: tuple[str, ...] = ()  # whole texts
    records: tuple[str, ...] = ()  # JSON bodies: structure in clear, personal values sealed
    actors: tuple[str, ...] = ()  # JSON actors: a name sealed unless the actor is staff


class Seals:
    """Sealing and opening one read model's personal values."""

    def __init__(self, model: str, sealer: Sealer) -> None:
        self.model = model
        self.sealer = sealer
        self._places: dict[tuple[str, str], str] = {}  # (table, column) -> "model.table.column"

    def load(self, plan_ids: Iterable[UUID | str]) -> None:
        """Fetch the keys of these plans at once (a batch's, a listing's) rather than one query per row."""
        self.sealer.load(_uuid(p) for p in plan_ids)

    def erased(self, plan_id: UUID | str) -> bool:
        """Whether the plan's key was destroyed: nothing of it can be sealed any more (the sealer's own answer, so
        the read side asks nothing else of the key store)."""
        return self.sealer.is_erased(_uuid(plan_id))

    def aad(self, plan_id: UUID | str, table: str, column: str, key: tuple[Any, ...] = ()) -> bytes:
        """``row_aad(plan_id, "model.table.column[.key...]")``, its constant part made once per column (this is
        on every value a read model seals or opens)."""
        place = self._places.get((table, column))
        if place is None:
            place = self._places[(table, column)] = ".".join((self.model, table, column))
        if key:
            place = f"{place}.{'.'.join(map(str, key))}"
        return row_aad(plan_id, place)

    def text(self, plan_id: UUID | str, table: str, column: str, text: str | None,
             key: tuple[Any, ...] = ()) -> str | None:
        if text is None:
            return None
        return self.sealer.seal_text(_uuid(plan_id), self.aad(plan_id, table, column, key), text)

    def open_text(self, plan_id: UUID | str, table: str, column: str, token: str | None,
                  key: tuple[Any, ...] = ()) -> str | None:
        if token is None:
            return None
        return self.sealer.open_text(_uuid(plan_id), self.aad(plan_id, table, column, key), token)

    def record(self, plan_id: UUID | str, table: str, column: str, record: dict[str, Any],
               key: tuple[Any, ...] = ()) -> dict[str, Any]:
        """The body as kept: its personal values ``null``, sealed together; its structure in clear."""
        return self.sealer.seal_record(_uuid(plan_id), self.aad(plan_id, table, column, key), record)

    def open_record(self, plan_id: UUID | str, table: str, column: str, stored: dict[str, Any],
                    key: tuple[Any, ...] = ()) -> dict[str, Any]:
        return self.sealer.open_record(_uuid(plan_id), self.aad(plan_id, table, column, key), stored)

    def actor(self, plan_id: UUID | str, table: str, column: str, actor: dict[str, Any],
              key: tuple[Any, ...] = ()) -> dict[str, Any]:
        """The actor as kept: a member of staff as they are, anyone else with their name sealed."""
        clear, name = actor_split(actor)
        if name is None:
            return clear
        return {**clear, SEALED: self.text(plan_id, table, column, name, key)}

    def open_actor(self, plan_id: UUID | str, table: str, column: str, stored: dict[str, Any],
                   key: tuple[Any, ...] = ()) -> dict[str, Any]:
        if SEALED not in stored:
            return stored
        actor = dict(stored)
        actor["name"] = self.open_text(plan_id, table, column, actor.pop(SEALED), key)
        return actor

    def open_row(self, table: str, sealed: Sealed, row: dict[str, Any]) -> dict[str, Any]:
        """A row as read (by column name, ``plan_id`` among them) with every sealed value opened; the JSON of a
        body or an actor parsed (a body's ``NULL`` is ``None``)."""
        opened = dict(row)
        plan_id, key = row["plan_id"], tuple(row[k] for k in sealed.key)
        for column in sealed.texts:
            opened[column] = self.open_text(plan_id, table, column, row[column], key)
        for column in sealed.records:
            stored = row[column]
            opened[column] = None if stored is None else self.open_record(plan_id, table, column,
                                                                          orjson.loads(stored), key)
        for column in sealed.actors:
            opened[column] = self.open_actor(plan_id, table, column, orjson.loads(row[column]), key)
        return opened


def _uuid(plan_id: UUID | str) -> UUID:
    return plan_id if isinstance(plan_id, UUID) else _parsed(plan_id)


@lru_cache(maxsize=8192)
def _parsed(plan_id: str) -> UUID:
    """A plan id as kept in a row, as the key store knows it (parsing one costs more than the lookup it is for)."""
    return UUID(plan_id)
