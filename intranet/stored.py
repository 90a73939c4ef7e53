"""Heavy figures off the request: computed by the queue worker, kept in ``stored_figures``.

A plugin (or the core) marks a module-level function that computes a JSON-able figure from
JSON-able arguments, and its page reads the stored value instead of computing it::

    from intranet.stored import computed, read, scope_key, scope_user

    @computed(version=1)
    def behind_target(year, scope):        # scope: scope_key(user), part of the stored key
        user = scope_user(scope)            # stands for the user in apply_scope/scope_filter
        ...
        return {"behind": 12}

    figure = read(behind_target, year, scope_key(current_user))
    figure.value    # the value, or None while nothing is stored yet
    figure.note()   # "统计于 14:05" or "统计中，稍后刷新", for the page

``read`` returns the stored value when it is fresh (computed less than STORED_FIGURES_SECONDS
ago, or the figure's own ``@computed(seconds=…)``). Otherwise it returns at once what is stored
(a stale value, or none) and queues one refresh: the reader claims the key with a conditional UPDATE (no claim, or one older than
STORED_CLAIM_SECONDS), so however many pages ask, one worker computes one key at a time, in the
queue's task ``intranet.refresh_figures``. A failed computation keeps its claim, so it is tried
again when the claim expires, not on every page view. The daily job forgets the keys nobody read
for STORED_FORGET_DAYS. With STORED_FIGURES_INLINE (the default when TESTING) ``read`` computes
in the caller every time and stores nothing.

The rows are read in the page's transaction and written on a connection of their own, in short
transactions, never in the page's.

A page that reads several figures from code it does not know (the dashboard: every plugin's
cards) reads them inside ``with batch():``. The first read of a batch loads, in one SELECT, its own
key and every key the earlier batches that began with the same key went on to read (remembered by
the app in each process, for TOGETHER_ENTRIES first keys); the later reads are served from those
rows. A key read for the first time costs one SELECT of its own, once per process.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .access import ALL, ScopeUser, scope_key, scope_user  # noqa: F401  (a stored figure's scope argument)
from .extensions import db
from .models.stored import StoredFigure

PENDING_TEXT = "统计中，稍后刷新"
TOUCH_SECONDS = 3600    # read_at is written at most this often per key (a page view is not a write)

_registry: dict[str, Computed] = {}
_table = StoredFigure.__table__


class Computed:
    """A registered figure: call it to compute in the caller; ``read`` it to get the stored value."""

    def __init__(self, func, version: int, seconds: float | None = None):
        if "<locals>" in func.__qualname__:
            raise TypeError("@computed needs a module-level function (the worker imports it by name)")
        self.func, self.version, self.seconds = func, int(version), seconds
        self.name = f"{func.__module__}.{func.__qualname__}"
        self.__doc__, self.__name__, self.__wrapped__ = func.__doc__, func.__name__, func

    def __call__(self, *args):
        return self.func(*args)

    def __repr__(self) -> str:
        return f"<computed {self.name} v{self.version}>"


def computed(func=None, *, version: int = 1, seconds: float | None = None):
    """Register ``func`` as a stored figure; raise ``version`` when the shape of its value changes
    (a stored value of another version is never served). ``seconds``: how long a value is fresh,
    when not STORED_FIGURES_SECONDS (a page whose figures change by the minute)."""
    def register(f):
        figure = Computed(f, version, seconds)
        _registry[figure.name] = figure
        return figure
    return register(func) if func is not None else register


@dataclass(frozen=True)
class Stored:
    value: Any = None
    at: datetime | None = None     # when it was computed; None: nothing stored yet

    @property
    def ready(self) -> bool:
        return self.at is not None

    @property
    def label(self) -> str:
        if self.at is None:
            return PENDING_TEXT
        moment = f"{self.at:%H:%M}" if self.at.date() == date.today() else f"{self.at:%Y-%m-%d %H:%M}"
        return f"统计于 {moment}"

    def note(self) -> Markup:
        """The label as a small muted paragraph (for a widget's ``html``)."""
        return Markup('<p class="muted stored-at">') + escape(self.label) + Markup("</p>")


# --- keys and settings ----------------------------------------------------------------------

def _plain(args) -> list:
    try:
        return json.loads(json.dumps(list(args), ensure_ascii=False))
    except (TypeError, ValueError):
        raise TypeError("stored figures take JSON-able arguments (numbers, strings, None, lists)") from None


def key_of(name: str, args: list) -> str:
    text = json.dumps([name, args], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _seconds(name: str, default: int) -> float:
    return float(current_app.config.get(name, default))


def _inline() -> bool:
    flag = current_app.config.get("STORED_FIGURES_INLINE")
    return bool(current_app.testing) if flag is None else bool(flag)


def _now() -> datetime:
    return datetime.now()


def _lookup(name: str) -> Computed | None:
    """The registered function ``name``, importing its module if this process has not yet."""
    if name not in _registry:
        try:
            importlib.import_module(name.rpartition(".")[0])
        except ImportError:
            return None
    return _registry.get(name)


def _as(func) -> Computed:
    if isinstance(func, Computed):
        return func
    raise TypeError(f"{func!r} is not a @computed figure")


# --- reading ------------------------------------------------------------------------------

@cache
def _rows_stmt():
    # Built once, the keys bound per call: pages read stored figures on every view.
    return select(_table).where(_table.c.key.in_(bindparam("keys", expanding=True)))


def _fetch(key: str):
    # In the page's own transaction: one round trip, where a connection of its own would cost three.
    return db.session.execute(_rows_stmt(), {"keys": [key]}).first()


TOGETHER_ENTRIES = 4096   # first keys of batches remembered per app (each worker process has its own)
TOGETHER_KEYS = 32        # keys remembered with one first key (more: only the last batch's)

_together_lock = threading.Lock()


def _together() -> OrderedDict[str, frozenset[str]]:
    return current_app.extensions.setdefault("intranet_stored_together", OrderedDict())
_NOT_LOADED = object()


@dataclass
class _Batch:
    first: str | None = None
    keys: list[str] = field(default_factory=list)     # read in this batch
    rows: dict = field(default_factory=dict)         # loaded with the first read, not read yet

    def row(self, key: str):
        self.keys.append(key)
        row = self.rows.pop(key, _NOT_LOADED)
        if row is not _NOT_LOADED:
            return row
        wanted = [key]
        if self.first is None:
            self.first = key
            with _together_lock:
                wanted += sorted(_together().get(key, ()))
        rows = {r._mapping["key"]: r for r in db.session.execute(_rows_stmt(), {"keys": wanted})}
        self.rows.update({k: rows.get(k) for k in wanted[1:]})
        return rows.get(key)

    def remember(self) -> None:
        if self.first is None:
            return
        read = set(self.keys) - {self.first}
        with _together_lock:
            remembered = _together()
            known = remembered.pop(self.first, frozenset())
            if read or known:
                together = known | read
                remembered[self.first] = together if len(together) <= TOGETHER_KEYS else frozenset(read)
            while len(remembered) > TOGETHER_ENTRIES:
                remembered.popitem(last=False)


_batch: ContextVar[_Batch | None] = ContextVar("intranet_stored_batch", default=None)


@contextmanager
def batch():
    """Read the figures of this block together (see the module's docstring); nested: one batch."""
    if _batch.get() is not None:
        yield
        return
    current = _Batch()
    token = _batch.set(current)
    try:
        yield
    finally:
        _batch.reset(token)
        current.remember()


def _row(key: str):
    current = _batch.get()
    return _fetch(key) if current is None else current.row(key)


def _stored(row, figure: Computed) -> Stored:
    if row is None or row.computed_at is None or row.version != figure.version:
        return Stored()
    return Stored(row.value, row.computed_at)


def _fresh_for(figure: Computed) -> timedelta:
    seconds = figure.seconds if figure.seconds is not None else _seconds("STORED_FIGURES_SECONDS", 300)
    return timedelta(seconds=seconds)


def _fresh(row, figure: Computed, now: datetime) -> bool:
    return (row.version == figure.version and row.computed_at is not None
            and now - row.computed_at < _fresh_for(figure))


def read(func, *args) -> Stored:
    """The stored value of ``func(*args)`` with its time; queues a refresh when it is not fresh."""
    figure = _as(func)
    args = _plain(args)
    if _inline():
        return Stored(figure.func(*args), _now())
    key = key_of(figure.name, args)
    now = _now()
    try:
        row = _row(key)
        if row is not None and _fresh(row, figure, now):
            if now - row.read_at > timedelta(seconds=TOUCH_SECONDS):
                _write(update(_table).where(_table.c.key == key).values(read_at=now))
            return _stored(row, figure)
        token = claim(figure, args, now, row)
    except SQLAlchemyError:
        # The page opens without the figure rather than fail (a busy or unreachable database).
        current_app.logger.exception("stored figure %s: read failed", figure.name)
        db.session.rollback()   # the page's later queries must not meet an aborted transaction
        return Stored()
    if token is not None:
        if not _enqueue(key, token):
            return _stored(row, figure)
        from .jobs.queue import get_queue
        if get_queue().huey.immediate:   # computed already, in the caller
            return _stored(_fetch(key), figure)
    return _stored(row, figure)


def _write(statement):
    with db.engine.begin() as conn:
        return conn.execute(statement)


_UNREAD = object()


def claim(figure: Computed, args: list, now: datetime | None = None, row=_UNREAD) -> str | None:
    """Claim the refresh of ``figure(*args)``: a token when this caller is to have it computed,
    None when it is fresh or another claim is running (and not expired). ``row``: the stored row
    as the caller just read it (None: not stored yet)."""
    now = now or _now()
    key, token = key_of(figure.name, args), uuid.uuid4().hex
    if row is _UNREAD:
        row = _fetch(key)
    if row is None:
        try:
            _write(insert(_table).values(key=key, name=figure.name, args=args, version=figure.version,
                                         read_at=now, claimed_at=now, claim=token))
            return token
        except IntegrityError:   # another reader inserted it just now: claim it like a stored one
            pass
    expired = now - timedelta(seconds=_seconds("STORED_CLAIM_SECONDS", 600))
    if row is not None and row.claimed_at is not None and row.claimed_at >= expired:
        return None   # being computed, as the row just read says: every view meanwhile writes nothing
    stale = now - _fresh_for(figure)
    result = _write(update(_table).where(
        _table.c.key == key,
        or_(_table.c.claimed_at.is_(None), _table.c.claimed_at < expired),
        or_(_table.c.computed_at.is_(None), _table.c.computed_at < stale, _table.c.version != figure.version),
    ).values(claimed_at=now, claim=token, read_at=now))
    return token if result.rowcount == 1 else None


def _enqueue(key: str, token: str) -> bool:
    from .jobs.queue import get_queue
    try:
        get_queue().refresh_figures(key, token)
        return True
    except Exception:  # noqa: BLE001 - an unreachable queue: give the claim back, try again on the next read
        current_app.logger.exception("stored figure %s: the refresh could not be queued", key)
        _write(update(_table).where(_table.c.key == key, _table.c.claim == token).values(claimed_at=None, claim=None))
        return False


# --- the worker's side ----------------------------------------------------------------------

def refresh(key: str, token: str) -> str:
    """Compute the figure stored under ``key`` if ``token`` still holds its claim (the queue's
    task). Returns "done", "failed" or "skipped"."""
    row = _fetch(key)
    if row is None or row.claim != token:
        return "skipped"
    figure = _lookup(row.name)
    started, clock = _now(), time.monotonic()
    try:
        if figure is None:
            raise LookupError(f"未找到统计函数 {row.name}（插件未启用或已卸载）")
        value = _plain([figure.func(*row.args)])[0]
    except Exception as exc:  # noqa: BLE001 - recorded; the claim stays until it expires (no retry storm)
        db.session.rollback()
        current_app.logger.exception("stored figure %s%r failed", row.name, row.args)
        _write(update(_table).where(_table.c.key == key, _table.c.claim == token)
               .values(error=f"{type(exc).__name__}: {exc}"[:2000]))
        return "failed"
    db.session.rollback()   # the computation only reads: end its transaction
    _write(update(_table).where(_table.c.key == key, _table.c.claim == token).values(
        value=value, version=figure.version, computed_at=started, seconds=round(time.monotonic() - clock, 3),
        claimed_at=None, claim=None, error=None))
    return "done"


def forget_unread(now: datetime | None = None) -> int:
    """Remove the stored figures nobody has read for STORED_FORGET_DAYS (cache rows: they are
    computed again when next read). Returns how many."""
    now = now or _now()
    cutoff = now - timedelta(days=float(current_app.config.get("STORED_FORGET_DAYS", 30)))
    return _write(delete(_table).where(_table.c.read_at < cutoff)).rowcount
