"""Figures as people read them, for every document made from a report (Word, Excel).

A ratio (a key ending in ``_rate``, or a label containing 率) is a fraction 0–1 and reads as a
percentage ("65.6%"); its change from the previous year reads in percentage points. A figure that is
a dict (``by_kind``, ``holders_active_by_level``) is its own small table, never a dumped dict.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..idnumber import mask_id_number


def is_ratio(key: str, label: str = "") -> bool:
    return str(key).endswith("_rate") or "率" in (label or "")


def label_of(key: str, labels: dict | None) -> str:
    return (labels or {}).get(key, key)


def fragment_labels(report: dict, fragment: dict) -> dict:
    """The Chinese labels of one fragment's figures (empty when the report carries none)."""
    return (report.get("figure_labels") or {}).get(f"{fragment['plugin']}.{fragment['key']}", {})


def number(value: Any) -> str:
    """An integer as digits, a float with at most two decimals (trailing zeros dropped)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == int(value):
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


def percent(value: Any) -> str:
    if value is None:
        return "—"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    return f"{value * 100:.1f}%"


def figure_text(key: str, value: Any, label: str = "") -> str:
    """One scalar figure as text: a ratio as a percentage, a number plainly."""
    if is_ratio(key, label) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return percent(value)
    return number(value)


def change_text(key: str, value: Any, previous: Any, label: str = "") -> str:
    """The change from the previous year: "+12", "-3", "+2.5个百分点"; "—" without a comparable value."""
    numeric = (int, float)
    if (not isinstance(value, numeric) or not isinstance(previous, numeric)
            or isinstance(value, bool) or isinstance(previous, bool)):
        return "—"
    if is_ratio(key, label):
        points = round((value - previous) * 100, 1)
        return "持平" if points == 0 else f"{points:+.1f}个百分点"
    diff = value - previous
    if isinstance(diff, float):
        diff = round(diff, 2)
    return "持平" if diff == 0 else ("+" if diff > 0 else "") + number(diff)


@dataclass
class SmallTable:
    """A dict figure as a table: ``columns`` and text ``rows``."""
    title: str
    columns: list[str]
    rows: list[list[str]]


def dict_table(key: str, value: dict, labels: dict | None) -> SmallTable:
    """``{"甲": 1}`` → 项目/数值; ``{"甲": {"sat": 3, "pass_rate": 0.5}}`` → one column per inner key."""
    title = label_of(key, labels)
    if value and all(isinstance(v, dict) for v in value.values()):
        inner: list[str] = []
        for v in value.values():
            inner += [k for k in v if k not in inner]
        columns = ["项目"] + [label_of(k, labels) for k in inner]
        rows = [[label_of(name, labels)] + [cell_text(k, v.get(k), labels) for k in inner]
                for name, v in value.items()]
        return SmallTable(title, columns, rows)
    rows = [[label_of(name, labels), cell_text(key, v, labels)] for name, v in value.items()]
    return SmallTable(title, ["项目", "数值"], rows)


def cell_text(key: str, value: Any, labels: dict | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "；".join(f"{label_of(k, labels)}：{cell_text(k, v, labels)}" for k, v in value.items())
    return figure_text(key, value, label_of(key, labels))


@dataclass
class FigureLine:
    """One figure as the summary sheet lists it; a dict figure gives one line per entry."""
    label: str
    key: str
    value: Any
    previous: Any
    ratio: bool

    @property
    def change(self) -> str:
        return change_text(self.key, self.value, self.previous, "率" if self.ratio else "")


def figure_lines(figures: dict, previous: dict | None, labels: dict | None) -> list[FigureLine]:
    """Flatten ``figures`` (dicts nested at most twice) into labelled lines with last year's values."""
    out: list[FigureLine] = []

    def walk(prefix: list[str], key: str, value, prev):
        label = label_of(key, labels)
        if isinstance(value, dict):
            for k, v in value.items():
                inner_prev = prev.get(k) if isinstance(prev, dict) else None
                walk(prefix + [label], k, v, inner_prev)
            return
        if isinstance(prev, dict):
            prev = None
        out.append(FigureLine(" · ".join(prefix + [label]), key, value, prev, is_ratio(key, label)))

    for key, value in figures.items():
        walk([], key, value, (previous or {}).get(key))
    return out


# --- ID numbers never reach a document made from a report -----------------------------------

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
