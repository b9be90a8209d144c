"""Reading a read model's tables whole, for tests that compare generations or look at what is stored."""

from __future__ import annotations

from typing import Any

from projections import READ_MODELS
from projections.base import View


def raw_rows(view: View) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of a read model's generation, by column name, as stored."""
    rows = {}
    for base, ddl in view.tables.items():
        if ddl.startswith("CREATE TABLE"):
            with view.sql.read() as cursor:
                cursor.execute(view.q(f"SELECT * FROM {{{base}}}"))
                names = [column[0] for column in cursor.cursor.description]
                rows[base] = [dict(zip(names, row, strict=True)) for row in cursor.cursor.fetchall()]
    return rows


def read_model_rows(view: View) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a read model's generation, its sealed values opened (sealing is randomised, so
    two generations holding the same values differ as stored), in a stable order."""
    sealed = READ_MODELS[view.name].sealed
    opened = {}
    for base, stored in raw_rows(view).items():
        spec = sealed.get(base)
        rows = stored if spec is None else [view.seals.open_row(base, spec, row) for row in stored]
        opened[base] = sorted((tuple(row.values()) for row in rows), key=repr)
    return opened
