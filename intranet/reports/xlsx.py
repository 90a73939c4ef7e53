"""The annual report as an Excel workbook: a summary sheet of every figure with the previous year
and the change, then one sheet per fragment with its tables. Written through the core's
WorkbookWriter (write-only: thousands of rows stream), ID numbers never in it."""
from __future__ import annotations

from openpyxl.styles import Alignment, Font

from ..spreadsheets import WorkbookWriter
from .formatting import figure_lines, fragment_kinds, fragment_labels
from .redact import safe_table, scrub
from .previous import previous_figures

BOLD = Font(bold=True)
PERCENT = "0.0%"
SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (≤31 characters, no []:*?/\\), unique in the workbook."""
    base = (title or "内容").translate(SHEET_FORBIDDEN).strip("'") or "内容"
    name, n = base[:31], 2
    while name.lower() in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _value_cell(sheet, line, value):
    if value is None:
        return None
    if line.ratio and isinstance(value, (int, float)) and not isinstance(value, bool):
        return sheet.cell(value, number_format=PERCENT)
    return scrub(value)


def render_xlsx(report: dict) -> bytes:
    previous = previous_figures(report)
    year = report["year"]
    book = WorkbookWriter()
    taken: set[str] = set()

    summary = book.sheet(sheet_title("指标汇总", taken))
    for col, width in zip("ABCDEF", (24, 40, 14, 14, 16, 30)):
        summary.ws.column_dimensions[col].width = width
    summary.ws.freeze_panes = "A4"
    summary.append([summary.cell(f"{year}年度{report['department']['name']}法治政府建设工作报告 · 指标汇总",
                                 font=Font(bold=True, size=14))])
    summary.append([f"统计范围：{report['department']['name']}及其下级单位；生成时间 "
                    f"{str(report.get('generated_at', '')).replace('T', ' ')}"])
    summary.append([summary.cell(h, font=BOLD) for h in
                    ("部分", "指标", f"{year}年", f"{year - 1}年", "变化", "说明")])
    any_line = False
    for fragment in report.get("fragments", []):
        labels = fragment_labels(report, fragment)
        prev = previous.get(f"{fragment['plugin']}.{fragment['key']}")
        for line in figure_lines(fragment.get("figures") or {}, prev, labels, fragment_kinds(report, fragment)):
            any_line = True
            note = "比率，变化为百分点" if line.ratio else ""
            summary.append([fragment["title"], line.label, _value_cell(summary, line, line.value),
                            _value_cell(summary, line, line.previous), line.change, note])
    if not any_line:
        summary.append(["", "本报告没有统计指标"])
    for missing in report.get("missing_fragments") or []:
        summary.append(["", f"插件「{missing['plugin']}」的内容生成出错（错误编号 {missing['reference']}），本表不完整"])

    wrap = Alignment(wrap_text=True, vertical="top")
    for fragment in report.get("fragments", []):
        sheet = book.sheet(sheet_title(fragment["title"], taken))
        sheet.ws.column_dimensions["A"].width = 30
        sheet.append([sheet.cell(fragment["title"], font=Font(bold=True, size=14))])
        for paragraph in fragment.get("paragraphs") or []:
            sheet.append([sheet.cell(scrub(paragraph), alignment=wrap)])
        tables = fragment.get("tables") or []
        if not tables:
            sheet.append([])
            sheet.append(["本部分没有表格"])
        for table in tables:
            columns, rows = safe_table(table)
            sheet.append([])
            sheet.append([sheet.cell(table.get("title") or "表", font=BOLD)])
            sheet.append([sheet.cell(c, font=BOLD) for c in columns])
            if not rows:
                sheet.append(["暂无数据"])
            for row in rows:
                sheet.append(row)
    return book.save()

