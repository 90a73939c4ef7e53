"""Configurable rules stored in the database (key → JSON value), e.g. certificate validity."""
from __future__ import annotations

import copy
from datetime import datetime
from functools import cache

from sqlalchemy import JSON, DateTime, String, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db


class Setting(db.Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    @staticmethod
    def get(key: str, default=None):
        """The setting's value: every setting is read once per transaction (one query, however many
        rows of a list ask, and whether or not the key is set; none while the table is unchanged)."""
        return _read_all().get(key, default)

    @staticmethod
    def put(key: str, value) -> None:
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
        _read_all()[key] = value


SESSION_KEY = "intranet_settings"


@cache
def _all_stmt():
    # Built once: a statement of fixed shape asked on most pages (building one costs more than running it).
    return select(Setting.key, Setting.value)


def _read_all() -> dict:
    session = db.session()
    info = session.info
    if SESSION_KEY not in info:
        # Kept between transactions while the table is unchanged (intranet.counts); each
        # transaction gets its own copy, so a value changed in one is not seen by another.
        from ..counts import remember
        if not session.in_transaction():
            session.begin()   # no statement may run: the copy must still end with this transaction
        stmt = _all_stmt()
        info[SESSION_KEY] = copy.deepcopy(remember(stmt, lambda: dict(session.execute(stmt).all())))
    return info[SESSION_KEY]


@event.listens_for(Session, "after_transaction_end")
def _forget_settings(session, transaction) -> None:
    """Another transaction may change settings: read them afresh in the next one (a savepoint's
    end is not the transaction's)."""
    if transaction.parent is None:
        session.info.pop(SESSION_KEY, None)
