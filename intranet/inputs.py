"""Guards on what a request may carry, for the core and every plugin.

Ids beyond the database's integer range, NUL characters and implausible dates would otherwise
reach the database and end in a 500 (PostgreSQL refuses all three).
"""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, jsonify, request
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1     # PostgreSQL ``integer``; SQLite's 64-bit range is wider
EARLIEST_DATE = date(1900, 1, 1)
MAX_YEARS_AHEAD = 10
NUL_MESSAGE = "请求中含有无效字符（空字符），请检查输入后重试"


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to 1..DB_INT_MAX, so a bigger id is a 404 before the view runs."""

    def __init__(self, map, fixed_digits=0, min=1, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(value, default=None, *, minimum: int = 1, maximum: int = DB_INT_MAX):
    """``value`` as an int; ``default`` when empty or not a number; 404 outside minimum..maximum."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if not minimum <= number <= maximum:
        abort(404)
    return number


def arg_int(name: str, default=None, **bounds):
    """A query-string argument through :func:`bounded_int` (use instead of ``args.get(type=int)``)."""
    return bounded_int(request.args.get(name), default, **bounds)


def latest_date(today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


def date_range_error(value) -> str:
    """A Chinese message when ``value`` (date or datetime) is before 1900 or too far ahead, else ""."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    latest = latest_date()
    if EARLIEST_DATE <= day <= latest:
        return ""
    return (f"日期超出合理范围（应在{EARLIEST_DATE.year}年1月1日至"
            f"{latest.year}年{latest.month}月{latest.day}日之间）")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _multi_has_nul(multidict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in multidict.lists())


def reject_nul():
    """``before_request``: 400 for a NUL character in the path, query string, form or JSON body."""
    body = request.get_json(silent=True) if request.is_json else None
    if not ("\x00" in request.path or _multi_has_nul(request.args) or _multi_has_nul(request.form)
            or any("\x00" in (f.filename or "") for _key, fs in request.files.lists() for f in fs) or _has_nul(body)):
        return None
    if request.is_json:
        return jsonify({"ok": False, "error": NUL_MESSAGE, "status": 400}), 400
    abort(400, NUL_MESSAGE)


def init_app(app) -> None:
    """Install the bounded ``int`` converter (before any route is added) and the NUL guard."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(reject_nul)
