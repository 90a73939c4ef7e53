"""How report figures read: percentages, numbers, changes on the previous year, scope words.

Every document people read (the report page, the dashboard, Word, Excel) formats figures here: a
ratio (declared kind ``rate``, a key ending in ``_rate``, or a label with 率) reads as "65.6%" and
changes in 个百分点; a dict figure is its own small table, never a dumped dict. And
every plugin's sentences take their scope word (全市 / 全县 / 全区 …) from :func:`scope_word`, so
one report never calls the same unit 全市 in one paragraph and 全县 in the next.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RATE = "rate"       # a ratio 0..1, shown as 65.6%
COUNT = "count"     # a whole number, shown as 12,345
NUMBER = "number"   # a decimal (hours per person), shown with one decimal at most
MONEY = "money"     # an amount of yuan, shown to the fen: 92,000.55 (whole yuan: 92,000)
KINDS = (RATE, COUNT, NUMBER, MONEY)


def scope_word(department) -> str:
    """The word a report uses for "the whole of ``department``": 全市 for a 市, 全县/全区/全旗 for a
    县(区) by the last character of its name, 全镇/全乡/全街道 for a 乡镇(街道); a department
    (市直部门, 县直部门, 其他) is called by its own name."""
    name = (getattr(department, "name", "") or "").strip()
    kind = getattr(department, "kind", "")
    if kind == "市":
        return "全市"
    if kind == "县(区)":
        for ending in ("区", "旗", "市"):
            if name.endswith(ending):
                return "全" + ending
        return "全县"
    if kind == "乡镇(街道)":
        if name.endswith("街道"):
            return "全街道"
        return "全乡" if name.endswith("乡") else "全镇"
    return name or "本单位"


def figure_kind(key: str, kinds: dict[str, str] | None = None) -> str:
    """The declared kind of a figure, or by its key: ``*_rate`` is a ratio."""
    if kinds and key in kinds:
        return kinds[key]
    return RATE if key.endswith("_rate") or key == "rate" else COUNT


def pct(value) -> str:
    """A ratio as a percentage with one decimal: 0.6561 → "65.6%"."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


def number(value) -> str:
    """Chinese-report number style: 12,345; 3.5; 1.2万 never (reports give the exact figure)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def wan(value) -> str:
    """A large count for a chart axis or a headline: 123456 → "12.3万"; below 10,000 as is."""
    value = float(value or 0)
    if abs(value) >= 100_000_000:
        return f"{value / 100_000_000:.1f}亿"
    if abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return number(int(value) if value.is_integer() else value)


def format_value(value, kind: str = COUNT, unit: str = "") -> str:
    """One figure's value as people read it (a dict is not formatted here: see :func:`sub_table`)."""
    if kind == RATE:
        return pct(value)
    text = money(value) if kind == MONEY else number(value)
    return f"{text}{unit}" if unit and value is not None else text


def money(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def change(current, previous, kind: str = COUNT) -> str:
    """The change on the previous year: "+12", "−3", "持平"; for ratios in 个百分点; "—" when the
    previous year has no such figure."""
    if not isinstance(current, (int, float)) or not isinstance(previous, (int, float)) \
            or isinstance(current, bool) or isinstance(previous, bool):
        return "—"
    diff = current - previous
    if kind == RATE:
        points = round(diff * 100, 1)
        if points == 0:
            return "持平"
        return f"{'+' if points > 0 else '−'}{abs(points):.1f}个百分点"
    if round(diff, 1) == 0:
        return "持平"
    sign = "+" if diff > 0 else "−"
    text = f"{sign}{number(abs(diff) if isinstance(diff, int) else round(abs(diff), 1))}"
    if previous:
        text += f"（{sign}{abs(diff) / previous * 100:.1f}%）"
    return text


def _is_table_dict(value) -> bool:
    return isinstance(value, dict)


def sub_table(value: dict, labels: dict[str, str], key: str, kinds: dict[str, str] | None = None,
              drilldown: dict[str, str] | None = None) -> dict:
    """A dict figure as its own small table: {name: number} gives two columns; {name: {figure: n}}
    one column per inner figure (labelled like the fragment's figures). A cell links to its records
    when ``drilldown`` has "key.name" (flat) or "key.name.figure" (nested): cells are then
    ``(text, url)``."""
    drilldown = drilldown or {}

    def cell(text, ref, raw):
        url = drilldown.get(ref) if raw else None
        return (text, url) if url else text

    inner = [v for v in value.values() if isinstance(v, dict)]
    if not inner:
        return {"columns": ["项目", "数值"],
                "rows": [[labels.get(str(k), str(k)), cell(format_value(v, figure_kind(key, kinds)), f"{key}.{k}", v)]
                         for k, v in value.items()]}
    keys: list[str] = []
    for d in inner:
        keys.extend(k for k in d if k not in keys)
    rows = []
    for name, d in value.items():
        d = d if isinstance(d, dict) else {}
        rows.append([labels.get(str(name), str(name))] +
                    [cell(format_value(d.get(k), figure_kind(k, kinds)), f"{key}.{name}.{k}", d.get(k))
                     if k in d else "" for k in keys])
    return {"columns": ["项目"] + [short_label(labels.get(k, k)) for k in keys], "rows": rows}


def short_label(label: str) -> str:
    """A label without its explanation in brackets, for a column head: "参考率（参考÷应考）" → "参考率"."""
    return label.split("（")[0] or label


def figure_rows(fragment: dict, labels: dict[str, str], kinds: dict[str, str] | None = None,
                units: dict[str, str] | None = None, previous: dict | None = None,
                drilldown: dict[str, str] | None = None) -> list[dict]:
    """The figures of one fragment ready for a page: label, value text, previous-year text, change,
    drill-down URL; a dict figure comes with ``table`` (columns, rows) instead of a value."""
    out = []
    units = units or {}
    for key, value in fragment.get("figures", {}).items():
        kind = figure_kind(key, kinds)
        label = labels.get(key, key)
        row: dict[str, Any] = {"key": key, "label": label, "name": short_label(label),
                               "explain": label[len(short_label(label)):], "kind": kind,
                               "url": (drilldown or {}).get(key) if value else None}   # nothing to list: no link
        if _is_table_dict(value):
            row["table"] = sub_table(value, labels, key, kinds, drilldown)
        else:
            row["value"] = format_value(value, kind, units.get(key, ""))
            if previous is not None:
                before = previous.get(key)
                row["previous"] = format_value(before, kind, units.get(key, "")) if before is not None else "—"
                row["change"] = change(value, before, kind)
        out.append(row)
    return out


def report_figure_rows(report: dict, fragment: dict, links: bool = True) -> list[dict]:
    """:func:`figure_rows` for one fragment of an assembled report (its extras looked up by
    "plugin.key"); without ``links`` no drill-down URLs (a downloaded or frozen document)."""
    ref = f"{fragment['plugin']}.{fragment['key']}"
    previous = report.get("previous")
    return figure_rows(fragment, (report.get("figure_labels") or {}).get(ref, {}),
                       (report.get("figure_kinds") or {}).get(ref, {}), (report.get("figure_units") or {}).get(ref, {}),
                       None if previous is None else previous.get(ref, {}),
                       (report.get("drilldown") or {}).get(ref, {}) if links else None)


def report_fragment_charts(report: dict, fragment: dict) -> list[dict]:
    return [c for c in report.get("charts") or []
            if c.get("plugin") == fragment["plugin"] and c.get("fragment") == fragment["key"]]


def _has_data(value) -> bool:
    if isinstance(value, dict):
        return any(_has_data(v) for v in value.values())
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0


def is_empty(report: dict) -> bool:
    """True when no fragment has a non-zero figure or a table row: the year has no data."""
    return not any(_has_data(f.get("figures", {})) or any(t.get("rows") for t in f.get("tables", []))
                   for f in report.get("fragments", []))


# --- the documents (Word, Excel): labels and kinds looked up by "plugin.key" -------------------

def label_of(key: str, labels: dict | None) -> str:
    return (labels or {}).get(key, key)


def fragment_labels(report: dict, fragment: dict) -> dict:
    """The Chinese labels of one fragment's figures (empty when the report carries none)."""
    return (report.get("figure_labels") or {}).get(f"{fragment['plugin']}.{fragment['key']}", {})


def fragment_kinds(report: dict, fragment: dict) -> dict:
    return (report.get("figure_kinds") or {}).get(f"{fragment['plugin']}.{fragment['key']}", {})


def is_ratio(key: str, label: str = "", kinds: dict | None = None) -> bool:
    return figure_kind(str(key), kinds) == RATE or "率" in (label or "")


def figure_text(key: str, value: Any, label: str = "", kinds: dict | None = None) -> str:
    """One scalar figure as text: a ratio as a percentage, a number plainly."""
    if is_ratio(key, label, kinds) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return pct(value)
    if value is None:
        return ""
    return money(value) if figure_kind(str(key), kinds) == MONEY else number(value)


def change_text(key: str, value: Any, previous: Any, label: str = "", kinds: dict | None = None) -> str:
    """:func:`change` for a figure known by key and label."""
    return change(value, previous, RATE if is_ratio(key, label, kinds) else COUNT)


@dataclass
class SmallTable:
    """A dict figure as a table: ``columns`` and text ``rows``."""
    title: str
    columns: list[str]
    rows: list[list[str]]


def dict_table(key: str, value: dict, labels: dict | None, kinds: dict | None = None) -> SmallTable:
    """:func:`sub_table` without links, titled by the figure's label."""
    table = sub_table(value, labels or {}, key, kinds)
    return SmallTable(label_of(key, labels), table["columns"], table["rows"])


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
        return change(self.value, self.previous, RATE if self.ratio else COUNT)


def figure_lines(figures: dict, previous: dict | None, labels: dict | None,
                 kinds: dict | None = None) -> list[FigureLine]:
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
        out.append(FigureLine(" · ".join(prefix + [label]), key, value, prev, is_ratio(key, label, kinds)))

    for key, value in figures.items():
        walk([], key, value, (previous or {}).get(key))
    return out
