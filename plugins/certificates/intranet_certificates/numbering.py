"""Certificate numbers: the next serial under the configured pattern, safe with many issuers.

The counter row for the number's prefix is created if missing (INSERT ... ON CONFLICT DO
NOTHING) and then incremented with UPDATE ... RETURNING inside the issuing transaction. The
UPDATE holds the row lock (PostgreSQL) or the write lock (SQLite) until that transaction ends,
so concurrent issuers queue up, and a rolled-back issue gives its serial back — no gaps, no
duplicates. The unique constraint on Certificate.number is the last line of defence.

The counter needs no ``intranet.locking.lock``: the increment is one atomic statement, not a
read-check-write. What must happen once (issuing for an application, a replacement) is guarded
by the caller's lock on the application or the card.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intranet.extensions import db

from . import settings
from .models import Certificate, NumberCounter


def _ensure_counter(key: str) -> None:
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(NumberCounter).values(key=key, last_value=0).on_conflict_do_nothing())


def take_number(year: int | None = None) -> str:
    """Reserve and return the next free number (call inside the transaction that uses it)."""
    pattern, region = settings.get("number_pattern"), settings.get("region_code")
    year = year or date.today().year
    key = settings.counter_key(pattern, region, year)
    _ensure_counter(key)
    while True:
        serial = db.session.execute(
            update(NumberCounter).where(NumberCounter.key == key)
            .values(last_value=NumberCounter.last_value + 1).returning(NumberCounter.last_value)
        ).scalar_one()
        number = settings.render_number(pattern, region, year, serial)
        # A number taken by an import or by hand is skipped, never issued twice.
        if not number_in_use(number):
            return number


def number_in_use(number: str) -> bool:
    return db.session.scalar(select(Certificate.id).where(Certificate.number == number)) is not None


def advance_counters(numbers: list[str]) -> None:
    """After an import: move each counter past the highest serial imported under its prefix."""
    pattern = settings.get("number_pattern")
    regex = settings.number_regex(pattern)
    highest: dict[str, int] = {}
    for number in numbers:
        m = regex.fullmatch(number)
        if not m:
            continue
        key = settings.counter_key(pattern, m.group("region") if "region" in m.groupdict() else "",
                                   int(m.group("year")) if "year" in m.groupdict() else 0)
        highest[key] = max(highest.get(key, 0), int(m.group("serial")))
    for key, serial in highest.items():
        _ensure_counter(key)
        db.session.execute(update(NumberCounter).where(NumberCounter.key == key, NumberCounter.last_value < serial)
                           .values(last_value=serial))


# --- numbers brought in from earlier schemes ----------------------------------------------

MAX_LENGTH = 32
# The one-character abbreviations of China's provinces, which older numbers often start with.
PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼港澳台"
_LEGACY = re.compile(rf"[0-9A-Za-z\-{PROVINCE_ABBREVIATIONS}]+")


def malformed(number: str) -> str | None:
    """Why ``number`` cannot be a card number at all (None: it can), whatever scheme it was issued under."""
    if not number:
        return "证件编号不能为空"
    if len(number) > MAX_LENGTH:
        return f"证件编号 {number[:MAX_LENGTH]}… 超过{MAX_LENGTH}个字符"
    if not _LEGACY.fullmatch(number):
        return (f"证件编号 {number} 含有不允许的字符（只能包含数字、英文字母、连字符和省份简称"
                f"如“闽”“京”）")
    return None


def under_pattern(number: str) -> bool:
    """Whether ``number`` has the shape of the current issuing pattern."""
    return settings.number_regex(settings.get("number_pattern")).fullmatch(number) is not None
