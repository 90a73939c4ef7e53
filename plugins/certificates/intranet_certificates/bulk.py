"""Bulk inserts in chunks.

``render_nulls`` keeps None as NULL in the statement, so rows that differ only in which values
are None still go out as one executemany (otherwise the ORM splits them into small batches).
"""
from __future__ import annotations

from sqlalchemy import insert

from intranet.extensions import db

CHUNK = 1000


def bulk_insert(model, rows: list[dict], chunk: int = CHUNK) -> int:
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model).execution_options(render_nulls=True), rows[start:start + chunk])
    return len(rows)
