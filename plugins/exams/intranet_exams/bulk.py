"""Bulk inserts in few statements."""
from __future__ import annotations

from sqlalchemy import insert

from intranet.extensions import db
from intranet.imports.framework import chunks


def insert_rows(model, rows: list[dict], size: int = 2000) -> None:
    """Insert ``rows`` with as few statements as possible.

    The ORM's bulk insert starts a new statement whenever the pattern of NULL values changes
    from one row to the next, so rows are sorted by that pattern first.
    """
    ordered = sorted(rows, key=lambda r: tuple(v is None for v in r.values()))
    for batch in chunks(ordered, size):
        db.session.execute(insert(model), batch)
