"""Assemble the annual report from every plugin's fragments, and render it by format.

The assembled report is plain JSON-safe data (the public contract):
``{"year", "department": {"code", "name"}, "generated_at", "fragments": [{"plugin", "key",
"title", "figures", "paragraphs", "tables": [{"title", "columns", "rows"}]}]}``.
A renderer turns that dict into a file's bytes; adding a format is adding one renderer.
"""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..hookspecs import ReportFragment, ReportTable
from ..models import Department
from ..plugins import PluginFailure, call_safely

FIRST_YEAR = 2000


class ReportError(ValueError):
    """A report that cannot be built; the message is Chinese and shown to the user."""


def year_range() -> range:
    """Years a report may be asked for: FIRST_YEAR up to the current year."""
    return range(FIRST_YEAR, date.today().year + 1)


def check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ReportError(f"年度“{year}”无效，应为四位数字年份") from None
    if year not in year_range():
        raise ReportError(f"年度 {year} 超出范围，应在 {FIRST_YEAR}–{date.today().year} 年之间")
    return year


def json_safe(value: Any) -> Any:
    """Dates to ISO strings, Decimals to numbers, tuples to lists, dataclasses to dicts."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _table(table) -> dict:
    if isinstance(table, ReportTable):
        table = {"title": table.title, "columns": table.columns, "rows": table.rows}
    return {"title": table.get("title", ""), "columns": json_safe(list(table.get("columns", []))),
            "rows": json_safe([list(r) for r in table.get("rows", [])])}


def _fragment(fragment: ReportFragment) -> dict:
    return {
        "plugin": fragment.plugin,
        "key": fragment.key,
        "title": fragment.title,
        "figures": json_safe(dict(fragment.figures)),
        "paragraphs": [str(p) for p in fragment.paragraphs],
        "tables": [_table(t) for t in fragment.tables],
    }


def collect_fragments(year: int, department: Department,
                      figures_only: bool = False) -> tuple[list[ReportFragment], list[PluginFailure]]:
    """Every enabled plugin's fragments (one or a list each), sorted by order, then plugin; and
    the plugins whose fragment failed. With ``figures_only`` a plugin may leave out everything but
    the figures (and their labels): for callers that read the figures alone."""
    found, failures = call_safely("report_fragments", expect=ReportFragment, year=year, department=department,
                                  figures_only=figures_only)
    return sorted(found, key=lambda f: (f.order, f.plugin, f.key)), failures


PRESENTATION_KEYS = ("figure_labels", "figure_kinds", "figure_units", "drilldown", "charts", "previous", "texts")


def _chart(fragment: ReportFragment, chart) -> dict:
    return {"plugin": fragment.plugin, "fragment": fragment.key, "title": chart.title, "by": chart.by,
            "kind": chart.kind, "unit": chart.unit, "labels": [str(x) for x in chart.labels],
            "values": json_safe(list(chart.values))}


def _presentation(fragments: list[ReportFragment]) -> dict:
    """The extras for documents people read, keyed "plugin.key" (not part of the JSON contract)."""
    def per(attr):
        return {f"{f.plugin}.{f.key}": dict(getattr(f, attr)) for f in fragments if getattr(f, attr)}
    return {"figure_labels": per("labels"), "figure_kinds": per("kinds"), "figure_units": per("units"),
            "drilldown": per("drilldown"),
            "charts": [_chart(f, c) for f in fragments for c in f.charts if c.labels]}


def assemble(year: int, department: Department, with_labels: bool = False, with_previous: bool = False,
             figures_only: bool = False) -> dict:
    """The report for ``year`` and ``department``'s whole subtree, as JSON-safe data.

    ``with_labels`` adds the presentation extras for the documents people read: ``figure_labels``
    ({"plugin.key": {figure: 中文名}}), ``figure_kinds``, ``figure_units``, ``drilldown`` ({"plugin.key":
    {figure: URL}}) and ``charts`` (a list of {plugin, fragment, title, by, kind, unit, labels,
    values}). ``with_previous`` adds ``previous``: {"plugin.key": figures of year − 1} (empty when
    the year before is out of range). With ``with_labels`` also ``texts`` (the four text
    sections of the year's draft: ``shortcomings``, ``leader_duties``, ``next_year``, ``other``).
    The JSON contract leaves all of them out (see ``contract``). ``figures_only`` asks the plugins
    for their figures alone (paragraphs, tables and charts may be empty): for comparing figures,
    never for a document.
    """
    year = check_year(year)
    fragments, failures = collect_fragments(year, department, figures_only=figures_only)
    report = {
        "year": year,
        "department": {"code": department.code, "name": department.name},
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "fragments": [_fragment(f) for f in fragments],
    }
    if failures:   # only then: a complete report keeps the contract's keys exactly
        report["missing_fragments"] = [{"plugin": f.plugin, "reference": f.reference} for f in failures]
    if with_labels:
        report.update(_presentation(fragments))
        from .submission import saved_texts   # 二 to 五: the text sections kept with the year's draft
        report["texts"] = saved_texts(year, department)
    if with_previous:
        report["previous"] = previous_figures(year - 1, department)
    return report


def previous_figures(year: int, department: Department) -> dict:
    """{"plugin.key": figures} of ``year`` for the comparison column (nothing before FIRST_YEAR)."""
    if year < FIRST_YEAR:
        return {}
    fragments, _failures = collect_fragments(year, department, figures_only=True)
    return {f"{f.plugin}.{f.key}": json_safe(dict(f.figures)) for f in fragments}


def contract(report: dict) -> dict:
    """The report as the JSON contract has it (without presentation extras)."""
    return {k: v for k, v in report.items() if k not in PRESENTATION_KEYS}


def root_departments() -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.parent_id.is_(None), Department.active.is_(True)).order_by(Department.code)
    ))


def find_department(code: str | None) -> Department:
    """The department with ``code``; without a code the root of the tree (refused if several)."""
    if code:
        dept = db.session.scalar(select(Department).where(Department.code == code))
        if dept is None:
            raise ReportError(f"单位编码 {code} 不存在")
        return dept
    roots = root_departments()
    if not roots:
        raise ReportError("系统中还没有任何单位，无法生成报告")
    if len(roots) > 1:
        names = "、".join(f"{d.code} {d.name}" for d in roots[:10])
        raise ReportError(f"存在多个最上级单位（{names}），请用 --department 指定单位编码")
    return roots[0]


# --- renderers --------------------------------------------------------------------------

def render_json(report: dict) -> bytes:
    return json.dumps(contract(report), ensure_ascii=False, indent=2).encode("utf-8")


def render_html(report: dict) -> bytes:
    """A standalone printable page (no navigation, no scripts)."""
    return render_template("reports/document.html", report=report).encode("utf-8")


def render_docx(report: dict) -> bytes:
    """Word 公文 (GB/T 9704-2012); see ``reports/docx.py``."""
    from .docx import render_docx as render_gongwen   # imported late: it imports this module
    return render_gongwen(report)


def render_xlsx(report: dict) -> bytes:
    """Excel workbook: figures with the previous year, one sheet per fragment; see ``reports/xlsx.py``."""
    from .xlsx import render_xlsx as render_workbook
    return render_workbook(report)


RENDERERS: dict[str, Callable[[dict], bytes]] = {
    "json": render_json,
    "html": render_html,
    "docx": render_docx,
    "xlsx": render_xlsx,
}
MIMETYPES = {   # full Content-Type values (given as content_type=, so the charset appears once)
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render(report: dict, fmt: str) -> bytes:
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise ReportError(f"不支持的格式 {fmt}，可用：{'、'.join(RENDERERS)}")
    return renderer(report)


def file_name(report: dict, fmt: str) -> str:
    return f"{report['year']}年{report['department']['name']}法治政府建设工作报告.{fmt}"


def refuse_incomplete(report: dict) -> None:
    """A report with a missing fragment is not built or submitted: a silently partial annual report
    is worse than none."""
    missing = report.get("missing_fragments")
    if missing:
        names = "、".join(f"「{m['plugin']}」（错误编号 {m['reference']}）" for m in missing)
        raise ReportError(f"插件{names}生成报告内容时出错，报告不完整，未生成。请查看日志并修复后重试")


def build_report_file(year: int, department_code: str | None, fmt: str, output) -> Path:
    """``intranet report build``: assemble, render and write; nothing is written on error."""
    year = check_year(year)
    if fmt not in RENDERERS:
        raise ReportError(f"不支持的格式 {fmt}，可用：{'、'.join(RENDERERS)}")
    department = find_department(department_code)
    report = assemble(year, department, with_labels=fmt != "json")
    refuse_incomplete(report)
    content = render(report, fmt)
    path = Path(output)
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise ReportError(f"无法写入文件 {output}：{exc.strerror or exc}") from exc
    return path
