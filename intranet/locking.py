"""One action happens once: lock the row a state change touches and re-read it inside the lock.

Every state change (a card's lifecycle, an application's review, a registration, a paper's
submission, what later plugins add) calls ``lock(obj)`` (or ``locked(Model, id)``) before it
checks the state and changes anything. Concurrent requests on the same row then take turns,
and the second one sees what the first committed:

- PostgreSQL: ``SELECT … FOR UPDATE``, held until the transaction ends.
- ``share_rows``: ``SELECT … FOR SHARE`` for a row read but not changed (others may share it).
- SQLite has no row locks: the transaction takes the database write lock first
  (``BEGIN IMMEDIATE``), so writers queue up (``busy_timeout``), and the row is then re-read.

``lock(obj)`` raises ``StateChanged`` when the row in the database no longer matches what this
request loaded: another request changed it meanwhile (typically a double click or a repeated
submission). Nothing is changed; views roll back and show ``StateChanged.message``.
"""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.sql import Select

from .extensions import db

T = TypeVar("T")

ALREADY_DONE = "该记录已处理（可能是重复提交），未作更改"


class StateChanged(Exception):
    """Another request changed the record first; this one changed nothing."""

    def __init__(self, message: str = ALREADY_DONE):
        super().__init__(message)
        self.message = message


def write_lock() -> None:
    """SQLite: hold the database write lock from now until the transaction ends.

    pysqlite opens a transaction only before the first INSERT/UPDATE/DELETE, so a connection
    already in a transaction holds the write lock (and sees the latest data); otherwise
    ``BEGIN IMMEDIATE`` takes it now, waiting for other writers. PostgreSQL: nothing (rows are
    locked one by one with FOR UPDATE).
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_rows(stmt: Select) -> Select:
    """``stmt`` as a locking read: FOR UPDATE, fresh from the database (not the identity map).

    Takes SQLite's write lock before returning, so run the statement in the same transaction.
    Lock rows in a stable order (e.g. by id) when several requests may lock several rows.
    """
    write_lock()
    return stmt.with_for_update(key_share=True).execution_options(populate_existing=True)


def share_rows(stmt: Select) -> Select:
    """``stmt`` as a shared locking read: FOR SHARE, fresh from the database.

    For a row that a change depends on but does not change (e.g. the exam a result is recorded
    for): many such readers hold it at once, while a writer locking the row (``lock``) waits for
    them and they wait for it, so they re-read its committed state. SQLite has no row locks: it
    takes the write lock, as ``lock_rows`` does. Take shared locks before the rows you lock for
    update (lock order), and never ``lock`` a row you already share (two sharers would deadlock).
    """
    write_lock()
    return stmt.with_for_update(read=True).execution_options(populate_existing=True)


def _loaded(obj) -> dict:
    """The column values this session holds for ``obj`` (only those already loaded)."""
    state = inspect(obj)
    keys = [attr.key for attr in state.mapper.column_attrs]
    return {key: state.dict[key] for key in keys if key in state.dict}


def lock(obj: T, *, check: bool = True) -> T:
    """Lock ``obj``'s row for the rest of the transaction and re-read it from the database.

    With ``check`` (the default), raise ``StateChanged`` if a value this request had loaded
    differs from the database's: someone else changed the record first. Call it before
    changing ``obj`` (the re-read replaces unflushed changes with the database's values after
    flushing them). ``check=False`` only re-reads, for callers that re-check the state themselves.
    """
    seen = _loaded(obj) if check else {}
    mapper = inspect(obj).mapper
    key = mapper.primary_key_from_instance(obj)
    stmt = select(mapper).where(*[col == value for col, value in zip(mapper.primary_key, key)])
    fresh = db.session.scalar(lock_rows(stmt))
    if fresh is None:  # deleted meanwhile
        raise StateChanged()
    if check:
        now = _loaded(fresh)
        if any(key in now and now[key] != value for key, value in seen.items()):
            raise StateChanged()
    return fresh


def locked(model: type[T], ident) -> T | None:
    """``db.session.get`` that locks the row and reads it fresh (None if there is no such row)."""
    mapper = inspect(model)
    idents = ident if isinstance(ident, tuple) else (ident,)
    stmt = select(model).where(*[col == value for col, value in zip(mapper.primary_key, idents)])
    return db.session.scalar(lock_rows(stmt))


def answer_already_done(error: StateChanged):
    """The app's fallback for an uncaught StateChanged: roll back, then a flash and a redirect
    back (or JSON 409 for a JSON request)."""
    from urllib.parse import urlsplit

    from flask import flash, jsonify, redirect, request, url_for

    from .security import safe_path

    db.session.rollback()
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "error": error.message}), 409
    flash(error.message, "warning")
    referrer = urlsplit(request.referrer or "")
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    if referrer.netloc != request.host:
        back = ""
    return redirect(safe_path(back, url_for("dashboard.index")))


def init_app(app) -> None:
    app.register_error_handler(StateChanged, answer_already_done)
