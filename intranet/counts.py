"""The pagers' counts, reused while the tables they read are unchanged.

Counting the 200,000 people of a province (or an exam's 60,000 registrations) is most of what a
long list's page costs; the page's own rows are few. :func:`remember` keeps the result of a
counting statement in the worker process, keyed by the statement and its parameters (the viewer's
scope and filters are in them), together with the *version* of every table the statement reads.
A committed write to a table bumps its version, so the next page view counts again.

Versions live in this process (the embedded default: one server process sees all its writes at
once), or in Redis with ``COUNT_CACHE_REDIS_URL`` so that a commit in one gunicorn worker makes the
others count again too. ``COUNT_CACHE_SECONDS`` (default 60; 0 turns the cache off) bounds the age
of a count whatever happens: writes by another program (psql, a second server without the shared
versions) show after that at the latest. A stale count never hides a row's own data: the page's
rows are always read fresh; at worst a page boundary is off by the rows changed meanwhile, as with
any OFFSET paging while others write.

Writes are seen at the engine, so ORM flushes, bulk statements and raw connections all count; a
statement whose table is not known (text SQL) bumps every table. The version is bumped twice, when
the transaction commits and again when its connection goes back to the pool, so a count taken in
between (on another worker, before the commit was visible) is not kept. One race is left to
``COUNT_CACHE_SECONDS``: on SQLite a request whose read snapshot began before another worker's
commit, and which reads the versions only after both bumps, keeps a count of the older data.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from flask import current_app
from sqlalchemy import Table, event
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.elements import TextClause

EVERY_TABLE = "*"
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REPLACE", "COPY", "ALTER", "DROP", "CREATE", "MERGE")
_PENDING = "intranet_counts_written"
KEEP_VALUES = 200_000   # per process: ~20 MB of (unit, count) pairs; past it everything is counted anew
KEEP_CHANGES = 10_000   # changes reported by changed_elsewhere remembered per process


class LocalVersions:
    """Table versions of this process."""

    shared = False

    def __init__(self):
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, tables: tuple[str, ...]) -> tuple:
        v = self._versions
        return tuple(v.get(t, 0) for t in tables) + (v.get(EVERY_TABLE, 0),)

    def bump(self, tables) -> None:
        with self._lock:
            for t in tables:
                self._versions[t] = self._versions.get(t, 0) + 1


class RedisVersions:
    """Table versions shared by every process using the same Redis: one hash (``<prefix>versions``),
    one HINCRBY per table written. A request reads the whole hash once (HGETALL) however many
    counts it looks up; the snapshot is dropped when this process writes and is at most
    SNAPSHOT_SECONDS old (a job's long app context reads it again). When Redis does not answer,
    counts are not reused (see :func:`remember`) and it is not asked again for RETRY_SECONDS, so
    that pages do not each wait for its timeout."""

    shared = True
    RETRY_SECONDS = 10
    SNAPSHOT_SECONDS = 1.0
    _HELD = "_intranet_table_versions"

    def __init__(self, url: str, prefix: str):
        from .redis_clients import client
        self._redis = client(url, timeout=0.5)
        self.key = prefix + "versions"
        self._down_until = 0.0

    def _call(self, action):
        if time.monotonic() < self._down_until:
            raise ConnectionError("Redis 暂不可用（稍后再试）")
        try:
            return action()
        except Exception:
            self._down_until = time.monotonic() + self.RETRY_SECONDS
            raise

    def _snapshot(self) -> dict:
        now, holder = time.monotonic(), _holder()
        held = getattr(holder, self._HELD, None)
        if held is not None and held[0] is self and now - held[1] < self.SNAPSHOT_SECONDS:
            return held[2]
        versions = {k.decode() if isinstance(k, bytes) else k: int(v)
                    for k, v in self._call(lambda: self._redis.hgetall(self.key)).items()}
        if holder is not None:
            setattr(holder, self._HELD, (self, now, versions))
        return versions

    def get(self, tables: tuple[str, ...]) -> tuple:
        v = self._snapshot()
        return tuple(v.get(t, 0) for t in tables) + (v.get(EVERY_TABLE, 0),)

    def bump(self, tables) -> None:
        holder = _holder()
        if holder is not None:
            vars(holder).pop(self._HELD, None)   # this process's own write: read the versions again

        def incr():
            pipe = self._redis.pipeline(transaction=False)
            for t in tables:
                pipe.hincrby(self.key, t, 1)
            pipe.execute()
        self._call(incr)


def _holder():
    """What a snapshot of the versions is kept on: the request, else the app context, else nothing."""
    from flask import g, has_app_context, has_request_context, request
    if has_request_context():
        return request._get_current_object()
    return g._get_current_object() if has_app_context() else None


class CountCache:
    def __init__(self, versions):
        self.versions = versions
        self._entries: dict[Any, tuple[float, tuple, Any]] = {}   # key: (taken at, versions, value)
        self._tables: dict[Any, tuple[str, ...]] = {}              # key: the tables its statement reads
        self.kept = 0   # values kept, a list counting as its length: the memory bound
        self.seen_changes: set = set()   # see changed_elsewhere

    def remember(self, stmt, compute: Callable[[], Any], seconds: float, written_here=lambda tables: False,
                 params=None, variant=None, reads=()):
        key = _key(stmt, params)
        if key is None:
            return compute()
        if variant is not None:
            key = (variant, key)
        tables = self._tables.get(key)
        if tables is None:
            tables = tuple(sorted({t.name for t in sql_util.find_tables(
                stmt, check_columns=True, include_aliases=True, include_joins=True, include_selects=True)
                if isinstance(t, Table)} | set(reads)))
        if written_here(tables):   # this transaction's own writes are in no kept value
            return compute()
        try:
            versions = self.versions.get(tables)
        except Exception:   # shared versions unreachable: count every time rather than trust old counts
            return compute()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[1] == versions and now - entry[0] < seconds:
            return entry[2]
        value = compute()
        self.keep(key, (now, versions, value), tables)
        return value

    def keep(self, key, entry, tables) -> None:
        size = max(1, len(entry[2])) if isinstance(entry[2], list) else 1
        if self.kept + size > KEEP_VALUES:
            self._entries.clear()
            self._tables.clear()
            self.kept = 0
        self._tables[key] = tables
        self._entries[key] = entry
        self.kept += size

    def bump(self, tables) -> None:
        try:
            self.versions.bump(tables)
        except Exception:   # shared versions unreachable: what this process kept may be stale
            self._entries.clear()


def init_app(app, db) -> None:
    """Keep a :class:`CountCache` on ``app`` and watch ``db``'s engine for writes."""
    url = app.config.get("COUNT_CACHE_REDIS_URL")
    prefix = app.config.get("COUNT_CACHE_KEY_PREFIX") or "intranet:table-version:"
    cache = CountCache(RedisVersions(url, prefix) if url else LocalVersions())
    app.extensions["intranet_counts"] = cache
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "after_cursor_execute")
    def _written(conn, cursor, statement, parameters, context, executemany):
        tables = _tables_written(statement, context)
        if tables:
            conn.info.setdefault(_PENDING, set()).update(tables)

    def _committed(conn):
        tables = conn.info.get(_PENDING)
        if tables:
            cache.bump(tables)   # first bump: before COMMIT (see the module's docstring)
            conn.info.setdefault(_PENDING + "_committed", set()).update(tables)
            tables.clear()

    def _rolled_back(conn):
        if not conn.invalidated:   # an invalidated connection's info cannot be read (see _checked_in)
            conn.info.pop(_PENDING, None)

    def _checked_in(dbapi_connection, record):
        # Second bump: the commit is visible to every connection now. Writes still pending here
        # were made without a transaction of SQLAlchemy's (AUTOCOMMIT) or rolled back by the pool:
        # bumping for them too costs one needless recount at most.
        written = record.info.pop(_PENDING + "_committed", set()) | record.info.pop(_PENDING, set())
        if written:
            cache.bump(written)

    event.listen(engine, "commit", _committed)
    event.listen(engine, "rollback", _rolled_back)
    event.listen(engine.pool, "checkin", _checked_in)


def written(connection) -> set[str]:
    """The tables ``connection``'s transaction has written (EVERY_TABLE: DDL, or a table not known)."""
    return connection.info.get(_PENDING) or set()


def wrote(connection) -> bool:
    """Has ``connection``'s transaction written anything (any table, DDL included)?"""
    return bool(written(connection))


def _seconds() -> float:
    return float(current_app.config.get("COUNT_CACHE_SECONDS", 60) or 0)


def changed_elsewhere(what=None) -> None:
    """Another process (the queue's worker) has written and this one may not have seen it: count
    again from now on. ``what`` (a finished job's id, say) names the change, so that it is taken
    into account once per process however often it is reported. Nothing to do when the versions
    are shared: the writer bumped them."""
    cache: CountCache | None = current_app.extensions.get("intranet_counts")
    if cache is None or cache.versions.shared:
        return
    if what is not None:
        if what in cache.seen_changes:
            return
        if len(cache.seen_changes) >= KEEP_CHANGES:
            cache.seen_changes.clear()
        cache.seen_changes.add(what)
    cache.bump({EVERY_TABLE})


def _tables_written(statement: str, context) -> set[str]:
    if context is not None and context.isddl:
        return {EVERY_TABLE}
    compiled = getattr(context, "compiled", None)
    construct = getattr(compiled, "statement", None)
    if construct is not None and not isinstance(construct, TextClause):
        # one of SQLAlchemy's constructs says what it is: only text SQL needs reading
        if not (context.isinsert or context.isupdate or context.isdelete):
            return set()
        name = getattr(getattr(construct, "table", None), "name", None)
        return {name} if name else {EVERY_TABLE}
    head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if head in _WRITES:
        return {EVERY_TABLE}
    if head == "WITH" and any(w in statement.upper() for w in ("INSERT", "UPDATE", "DELETE")):
        return {EVERY_TABLE}
    return set()


def _hashable(value):
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _key(stmt, params=None):
    cache_key = stmt._generate_cache_key()
    if cache_key is None:   # a construct SQLAlchemy cannot cache: do not reuse its result either
        return None
    params = params or {}
    if any(b.required and b.key not in params for b in cache_key.bindparams):
        return None   # a value bound only when run and not given: not in the key, so never kept
    try:
        key = (cache_key.key, tuple(_hashable(b.effective_value) for b in cache_key.bindparams),
               _hashable(params))
        hash(key)
    except TypeError:
        return None
    return key


def remember(stmt, compute: Callable[[], Any], *, params: dict | None = None, variant=None,
             reads: tuple[str, ...] = ()):
    """``compute()`` (which runs ``stmt``), or its result kept from an earlier call with the same
    statement and parameters while none of the tables ``stmt`` reads has been written since.

    ``params``: the values ``compute()`` binds to a statement built once (``bindparam("since")``
    and ``execute(stmt, params)``); they are part of the key. Without them such a statement is
    never kept.

    ``variant`` and ``reads``: ``compute()`` runs a statement made from ``stmt`` (``variant`` names
    how, e.g. "grouped by person.department_id") that also reads the tables ``reads``; the kept
    value is then found without building that statement.
    """
    cache: CountCache | None = current_app.extensions.get("intranet_counts")
    seconds = _seconds()
    if cache is None or seconds <= 0:
        return compute()
    return cache.remember(stmt, compute, seconds, _written_here, params=params, variant=variant, reads=reads)


def _written_here(tables: tuple[str, ...]) -> bool:
    """The session's transaction has written (or holds unflushed changes, which running the
    statement would flush) one of ``tables`` or a table not known."""
    from .extensions import db
    session = db.session()
    if session.new or session.deleted or session.dirty:
        return True
    if not session.in_transaction():
        return False
    pending = written(session.connection())
    return EVERY_TABLE in pending or any(t in pending for t in tables)
