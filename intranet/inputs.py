"""Guards on what a request may carry, for the core and every plugin.

Ids beyond the database's integer range, NUL characters and implausible dates would otherwise
reach the database and end in a 500 (PostgreSQL refuses all three). The other control characters
that XML forbids would be stored and then break every Word and Excel file that shows the text.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import abort, current_app, jsonify, request
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1     # PostgreSQL ``integer``; SQLite's 64-bit range is wider
EARLIEST_DATE = date(1900, 1, 1)
MAX_YEARS_AHEAD = 10
MAX_QUERY_BYTES = 8192     # the default of the config key of that name
NUL_MESSAGE = "请求中含有无效字符（空字符），请检查输入后重试"
CONTROL_MESSAGE = "请求中含有无效字符（不可见的控制字符，常见于从其他软件复制的文字），请删除后重试"
# XML 1.0 forbids these (tab, line feed and carriage return are allowed): Word and Excel cannot hold them.
XML_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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


def forbidden_character_error(text: str) -> str:
    """A Chinese message when ``text`` holds a NUL or another character XML forbids, else ""."""
    match = XML_FORBIDDEN_RE.search(text)
    if match is None:
        return ""
    return NUL_MESSAGE if "\x00" in text else CONTROL_MESSAGE


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _request_strings():
    yield request.path
    for multidict in (request.args, request.form):
        for key, values in multidict.lists():
            yield key
            yield from values
    for _key, files in request.files.lists():
        for f in files:
            yield f.filename or ""
    if request.is_json:
        yield from _strings(request.get_json(silent=True))


def reject_control_characters():
    """``before_request``: 400 for a NUL or another XML-forbidden character in the path, query
    string, form, uploaded file names or JSON body."""
    messages = {forbidden_character_error(text) for text in _request_strings()} - {""}
    if not messages:
        return None
    message = NUL_MESSAGE if NUL_MESSAGE in messages else CONTROL_MESSAGE
    if request.is_json:
        return jsonify({"ok": False, "error": message, "status": 400}), 400
    abort(400, message)


def refuse_long_query():
    """``before_request``: 414 for a query string over MAX_QUERY_BYTES (as sent, percent-encoded),
    before any view or login check parses it: a search box pasted full of text, or a probe."""
    if len(request.query_string) > current_app.config.get("MAX_QUERY_BYTES", MAX_QUERY_BYTES):
        abort(414)


def init_app(app) -> None:
    """Install the bounded ``int`` converter (before any route is added), the query-length and the
    control-character guards."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_long_query)
    app.before_request(reject_control_characters)
