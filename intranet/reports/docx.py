"""The annual report as a Word 公文 (GB/T 9704-2012), in the outline of 厅字〔2019〕28号.

一、主要举措和成效 is filled from the fragments (each a level-two heading with its paragraphs, figures
and tables); the other four sections come from ``report["texts"]`` (keys ``shortcomings``,
``leader_duties``, ``next_year``, ``other``), written by the 法制科 and kept with the draft; a section
not yet written says so in grey. ``report["charts"]`` (the chart data of ``assemble``) go in as PNG images.
Page layout and fonts are in ``docx_layout``.
"""
from __future__ import annotations

import io
import math
from datetime import date, datetime
from xml.sax.saxutils import escape

from docx import Document
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from sqlalchemy import select

from ..extensions import db
from ..models import Department
from . import docx_layout as layout
from .formatting import dict_table, figure_text, fragment_kinds, fragment_labels, label_of
from .redact import safe_table, scrub

SECTIONS = [
    (None, "主要举措和成效"),
    ("shortcomings", "存在的不足和原因"),
    ("leader_duties", "党政主要负责人履行推进法治建设第一责任人职责情况"),
    ("next_year", "下一年度工作安排"),
    ("other", "其他需要报告的情况"),
]
TEXT_KEYS = tuple(key for key, _ in SECTIONS if key)
TITLE_WIDTH = 20
GOVERNMENT_KINDS = ("市", "县(区)", "乡镇(街道)")


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (enough for an outline)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


# --- the title: at most 20 characters a line, never broken inside 《》 or a number ---------------

def _break_allowed(text: str, i: int) -> bool:
    """Whether a line may end before ``text[i]``."""
    depth = text[:i].count("《") - text[:i].count("》")
    if depth > 0:
        return False
    before, after = text[i - 1], text[i]
    if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
        return False
    return after not in "，。、；：）》」”％%" and before not in "（《「“"


GOOD_ENDS = ("关于", "年度", "人民政府", "办事处", "》", "情况", "工作", "局")
GOOD_STARTS = ("关于", "法治", "工作", "的报告", "《")


def _break_cost(text: str, i: int) -> float:
    """Lines should end where a phrase ends (GB/T 9704: 回行时词意完整)."""
    return 0 if text[:i].endswith(GOOD_ENDS) or text[i:].startswith(GOOD_STARTS) else 16


def title_lines(text: str, width: int = TITLE_WIDTH) -> list[str]:
    """Split a title into lines of at most ``width`` characters, as even as possible (GB/T 9704
    asks for a 梯形 or 菱形), never inside 《》; an unbreakable stretch longer than a line is
    broken at the width."""
    text = text.strip()
    if len(text) <= width:
        return [text]
    n = len(text)
    allowed = [i for i in range(1, n) if _break_allowed(text, i)]
    count = math.ceil(n / width)
    for lines in range(count, count + 3):
        ideal = n / lines
        best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}   # end position -> (cost, breaks)
        for end in allowed + [n]:
            options = []
            for start, (cost, breaks) in best.items():
                if 0 < end - start <= width and len(breaks) < lines:
                    penalty = _break_cost(text, end) if end < n else 0
                    options.append((cost + (end - start - ideal) ** 2 + penalty, breaks + [end]))
            if options:
                best[end] = min(options)
        if n in best and len(best[n][1]) <= lines:
            cuts = [0] + best[n][1]
            return [text[a:b] for a, b in zip(cuts, cuts[1:])]
    return [text[i:i + width] for i in range(0, n, width)]


# --- who sends it, to whom, when --------------------------------------------------------------

def organ_name(name: str, kind: str | None) -> str:
    """A government unit signs as its 人民政府 (a 街道 as its 办事处); a department as itself."""
    if kind in GOVERNMENT_KINDS and not name.endswith(("政府", "办事处")):
        return name + ("办事处" if name.endswith("街道") else "人民政府")
    return name


def sender_and_addressee(report: dict) -> tuple[str, str | None]:
    """The sender (the department, as it signs) and the 主送 organ (its government: the parent
    unit), or None when the report goes above the top of this system's tree."""
    info = report.get("department") or {}
    sender, addressee = organ_name(info.get("name", ""), info.get("kind")), report.get("addressee")
    code = info.get("code")
    department = db.session.scalar(select(Department).where(Department.code == code)) if code else None
    if department is not None:
        sender = organ_name(department.name, department.kind)
        if addressee is None and department.parent is not None:
            addressee = organ_name(department.parent.name, department.parent.kind)
    return sender, addressee


def written_on(report: dict) -> date:
    value = report.get("date") or report.get("generated_at")
    if isinstance(value, (date, datetime)):
        return value if isinstance(value, date) and not isinstance(value, datetime) else value.date()
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return date.today()


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _width(text: str) -> float:
    """Width in characters of the body font: Latin letters and digits are half width."""
    return sum(0.5 if c.isascii() else 1 for c in text)


# --- building blocks --------------------------------------------------------------------------

class GongwenWriter:
    def __init__(self):
        self.document = Document()
        layout.setup_styles(self.document)
        layout.setup_font_table(self.document)
        layout.setup_page(self.document)
        self.tables = 0
        self.figures = 0

    def paragraph(self, text: str = "", style: str = "Normal", font: str = layout.BODY_FONT,
                  size: float = layout.BODY_PT, color: str | None = None):
        p = self.document.add_paragraph(style=style)
        if text:
            layout.paragraph_run(p, scrub(text), font=font, size_pt=size, color=color)
        return p

    def title(self, text: str):
        p = self.document.add_paragraph(style="Title")
        for i, line in enumerate(title_lines(text)):
            run = layout.paragraph_run(p, line, font=layout.TITLE_FONT, size_pt=layout.TITLE_PT)
            if i:
                run._r.insert(1, parse_xml(f'<w:br {nsdecls("w")}/>'))   # after rPr: a line break first
        return p

    def heading(self, text: str, level: int):
        font = layout.HEITI if level == 1 else layout.KAITI
        return self.paragraph(text, style=f"Heading {level}", font=font)

    def placeholder(self, what: str):
        return self.paragraph(f"（{what}待填写。）", color=layout.GREY)

    def body_text(self, text: str) -> list:
        return [self.paragraph(line.strip()) for line in str(text).splitlines() if line.strip()]

    def table(self, title: str, columns: list[str], rows: list[list]) -> None:
        """A numbered table (表题 above, header row repeated on each page) built as XML in one go,
        so thousands of rows stay fast."""
        self.tables += 1
        self.paragraph(f"表{self.tables}　{title}" if title else f"表{self.tables}", style="公文表题",
                       font=layout.HEITI)
        rows = [[cell_value(v) for v in r] for r in rows]
        ncols = max([1, len(columns)] + [len(r) for r in rows])
        size = layout.TABLE_PT if ncols <= 5 else layout.SMALL_TABLE_PT
        widths = column_widths(columns, rows, ncols, size)

        def cell(value, width) -> str:
            text = "" if value is None else escape(str(value))
            run = layout.run_xml("", layout.BODY_FONT, size, extra=f'<w:t xml:space="preserve">{text}</w:t>')
            run = run.replace(f' {nsdecls("w")}', "", 1)
            return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                    f'<w:p><w:pPr><w:pStyle w:val="{layout.TABLE_TEXT_STYLE}"/></w:pPr>{run}</w:p></w:tc>')

        def row(values, header=False) -> str:
            values = list(values) + [None] * (ncols - len(values))
            props = '<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>' if header else '<w:trPr><w:cantSplit/></w:trPr>'
            return f"<w:tr>{props}{''.join(cell(v, w) for v, w in zip(values, widths))}</w:tr>"

        border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                         for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        body = [row(columns, header=True)] if columns else []
        if rows:
            body += [row(r) for r in rows]
        else:
            body.append(row(["暂无数据"]))
        xml = (f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
               f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
               f'<w:tblCellMar><w:left w:w="60" w:type="dxa"/><w:right w:w="60" w:type="dxa"/></w:tblCellMar>'
               f'</w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
               f'{"".join(body)}</w:tbl>')
        self.document.element.body.sectPr.addprevious(parse_xml(xml))
        self.paragraph()   # a line between the table and what follows

    def chart(self, title: str, png: bytes) -> None:
        self.figures += 1
        p = self.document.add_paragraph(style="公文图片")
        try:
            run = layout.paragraph_run(p, "")
            run.add_picture(io.BytesIO(png), width=Mm(150))
            shape = self.document.inline_shapes[-1]
            if shape.height > Mm(150):   # a tall chart: fit its height instead
                ratio = Mm(150) / shape.height
                shape.height, shape.width = Mm(150), int(shape.width * ratio)
        except (UnrecognizedImageError, ValueError, OSError):
            layout.paragraph_run(p, "（图表图片无法读取）", color=layout.GREY)
        self.paragraph(f"图{self.figures}　{title}", style="公文表题", font=layout.HEITI)

    def signature(self, sender: str, on: date) -> None:
        """署名 and 成文日期 (GB/T 9704-2012 7.3.5.2: 右空二字; the date's first character two to the
        right of the sender's), kept with the paragraph before so it is never alone on a page."""
        body = self.document.element.body
        last = body.sectPr.getprevious()
        if last is not None and last.tag == qn("w:p"):
            last.get_or_add_pPr().keepNext_val = True
        self.paragraph(style="公文署名")
        day = chinese_date(on)
        ws, wd = _width(sender), _width(day)
        if wd <= ws - 2:
            sender_right, date_right = 2, ws - wd
        else:
            sender_right, date_right = 4 + wd - ws, 2
        for text, right, keep in ((sender, sender_right, True), (day, date_right, False)):
            p = self.paragraph(text, style="公文署名")
            p.paragraph_format.keep_with_next = keep
            ind = p._p.get_or_add_pPr().get_or_add_ind()
            ind.set(qn("w:rightChars"), str(int(right * 100)))
            ind.set(qn("w:right"), str(int(right * layout.BODY_PT * 20)))

    def save(self) -> bytes:
        out = io.BytesIO()
        self.document.save(out)
        return out.getvalue()


def _unbreakable(text: str) -> float:
    """The widest stretch a line cannot break in: a number, a percentage, a Latin word."""
    words = [w for w in "".join(c if c.isascii() and not c.isspace() else " " for c in text).split()]
    return max([_width(w) for w in words] + [1 if text else 0])


def column_widths(columns: list, rows: list[list], ncols: int, size_pt: float = layout.TABLE_PT) -> list[int]:
    """Column widths (twips) filling the 版心: each column at least its widest number, then the
    room left shared by how much text each column holds (a header may wrap, a long cell is capped)."""
    sample = rows[:500]
    texts = [[str(columns[i])] if i < len(columns) else [] for i in range(ncols)]
    for r in sample:
        for i, v in enumerate(r[:ncols]):
            if v is not None:
                texts[i].append(str(v))
    padding = 1.6   # cell margins, and Latin glyphs wider than half a character
    least = [max([2.0] + [_unbreakable(t) for t in col]) + padding for col in texts]
    wanted = [max(least[i], _width(col[0]) / 2 + padding if col else 0,
                  min(max([0.0] + [_width(t) for t in col[1:]]), 14) + padding) for i, col in enumerate(texts)]
    total = layout.body_width_twips()
    room = total / 20 / size_pt   # characters across the 版心
    if sum(wanted) <= room:
        chars = [w * room / sum(wanted) for w in wanted]
    elif sum(least) >= room:
        chars = [w * room / sum(least) for w in least]
    else:
        extra = [w - m for w, m in zip(wanted, least)]
        chars = [m + e * (room - sum(least)) / sum(extra) for m, e in zip(least, extra)]
    widths = [int(c * size_pt * 20) for c in chars]
    widths[-1] += total - sum(widths)
    return widths


def no_indent(paragraph) -> None:
    """No first-line indent (the style's is given in characters, which wins over twips)."""
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), "0")
    ind.set(qn("w:firstLine"), "0")


def cell_value(value):
    if isinstance(value, float):
        return figure_text("", value)
    return scrub(value)


# --- the report -------------------------------------------------------------------------------

def report_title(report: dict, sender: str) -> str:
    return f"{sender}关于{report['year']}年度法治政府建设工作情况的报告"


def _fragment(w: GongwenWriter, report: dict, fragment: dict, index: int) -> None:
    w.heading(f"（{chinese_number(index)}）{fragment['title']}", level=2)
    for paragraph in fragment.get("paragraphs") or []:
        w.body_text(paragraph)
    labels = fragment_labels(report, fragment)
    kinds = fragment_kinds(report, fragment)
    figures = fragment.get("figures") or {}
    scalars = [(k, v) for k, v in figures.items() if not isinstance(v, dict)]
    if not any(value for _, value in scalars) and not fragment.get("paragraphs"):
        if not any(isinstance(v, dict) and v for v in figures.values()) and not fragment.get("tables"):
            w.paragraph("本年度系统中暂无该项工作的记录。")
        scalars = []   # a table of zeros says nothing
    if scalars:
        rows = [[label_of(k, labels), figure_text(k, v, label_of(k, labels), kinds)] for k, v in scalars]
        w.table(f"{fragment['title']}主要数据", ["指标", "数值"], rows)
    for key, value in figures.items():
        if isinstance(value, dict) and value:
            small = dict_table(key, value, labels, kinds)
            w.table(f"{fragment['title']}：{small.title}", small.columns, small.rows)
    for table in fragment.get("tables") or []:
        columns, rows = safe_table(table)
        w.table(table.get("title") or fragment["title"], columns, rows)


def _charts(report: dict) -> list[tuple[str, bytes]]:
    """The report's charts as (title, PNG): drawn from the chart data ``assemble`` gives, or as
    given already drawn."""
    charts = report.get("charts") or []
    if any(isinstance(c, dict) and "png" not in c for c in charts):
        from .charts import report_charts
        return report_charts(report)
    out = []
    for chart in charts:
        if isinstance(chart, dict):
            chart = (chart.get("title", ""), chart.get("png"))
        title, png = chart
        if png:
            out.append((str(title), bytes(png)))
    return out


def render_docx(report: dict) -> bytes:
    sender, addressee = sender_and_addressee(report)
    w = GongwenWriter()
    title = report_title(report, sender)
    core = w.document.core_properties
    core.title, core.author, core.last_modified_by, core.comments = title, sender, sender, ""
    core.language = "zh-CN"
    w.title(title)
    w.paragraph()
    if addressee:
        no_indent(w.paragraph(f"{addressee}："))
    else:
        no_indent(w.paragraph("（主送机关待填写）：", color=layout.GREY))
    w.paragraph(f"现将{sender}{report['year']}年度法治政府建设工作情况报告如下。")
    texts = report.get("texts") or {}
    for number, (key, heading) in enumerate(SECTIONS, start=1):
        w.heading(f"{chinese_number(number)}、{heading}", level=1)
        if key is None:
            fragments = report.get("fragments") or []
            for i, fragment in enumerate(fragments, start=1):
                _fragment(w, report, fragment, i)
            for title, png in _charts(report):
                w.chart(title, png)
            if not fragments:
                w.placeholder("本年度系统中没有统计到工作数据，本部分")
            continue
        text = str(texts.get(key) or "").strip()
        if text:
            w.body_text(text)
        else:
            w.placeholder("本部分")
    w.signature(sender, written_on(report))
    return w.save()
