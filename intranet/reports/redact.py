"""ID numbers never reach a document made from a report (Word, Excel, the public page).

A column named like an ID column is dropped; anything shaped like an 18-digit ID number, in text
or as a number, is masked.
"""
from __future__ import annotations

import re
from typing import Any

from ..idnumber import mask_id_number

_ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
ID_COLUMN_WORDS = ("身份证", "证件号码", "公民身份号码")


def is_id_column(name: Any) -> bool:
    return any(w in str(name) for w in ID_COLUMN_WORDS)


def scrub(value: Any) -> Any:
    """``value`` with anything shaped like an 18-digit ID number masked (a number of that size too)."""
    if isinstance(value, int) and not isinstance(value, bool) and 10**16 <= abs(value) < 10**18:
        return mask_id_number(str(value))
    if isinstance(value, str) and len(value) >= 18:
        return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), value)
    return value


def safe_table(table: dict) -> tuple[list[str], list[list[Any]]]:
    """A report table's columns and rows without ID-number columns, every cell scrubbed."""
    columns = list(table.get("columns") or [])
    keep = [i for i, c in enumerate(columns) if not is_id_column(c)]
    rows = [[scrub(row[i]) if i < len(row) else None for i in keep] for row in table.get("rows") or []]
    return [str(columns[i]) for i in keep], rows
