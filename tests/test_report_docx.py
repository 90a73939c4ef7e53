"""The Word 公文 export (GB/T 9704-2012): page, fonts (eastAsia), sizes, line pitch, footers, outline."""
import io
import sys
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm

sys.path.insert(0, str(Path(__file__).parent))
from report_samples import ID_NUMBER, sample_report  # noqa: E402

from intranet.reports import docx_layout as layout  # noqa: E402
from intranet.reports.assemble import render  # noqa: E402
from intranet.reports.docx import chinese_number, render_docx, title_lines  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXTS = {"shortcomings": "一是部分单位学法不够深入。\n二是执法人员持证率有待提高。",
         "leader_duties": "县政府主要负责人认真履行第一责任人职责。", "next_year": "继续推进依法行政。",
         "other": "无其他需要报告的情况。"}


def parts(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


@pytest.fixture
def content(app, db, org):
    return render_docx(sample_report(texts=TEXTS))


@pytest.fixture
def document(content):
    return Document(io.BytesIO(content))


def style_xml(document, name):
    return document.styles[name].element


def east_asia(element):
    fonts = element.find(f"{W}rPr/{W}rFonts")
    return fonts.get(f"{W}eastAsia") if fonts is not None else None


def size(element):
    sz = element.find(f"{W}rPr/{W}sz")
    return int(sz.get(f"{W}val")) / 2


def test_render_by_format_gives_a_word_file(app, db, org):
    content = render(sample_report(), "docx")
    assert content[:2] == b"PK"
    Document(io.BytesIO(content))   # opens


def test_a4_page_and_margins(document, content):
    section = document.sections[0]
    def mm(length):   # stored in twips: exact to 0.02 mm
        return round(length / 36000, 1)
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (37, 35)
    assert (mm(section.left_margin), mm(section.right_margin)) == (28, 26)
    xml = parts(content)["word/document.xml"]
    assert '<w:pgSz w:w="11906" w:h="16838"/>' in xml
    # 版心 156 mm × 225 mm
    assert round((section.page_width - section.left_margin - section.right_margin) / 36000) == 156
    assert round((section.page_height - section.top_margin - section.bottom_margin) / 36000) == 225


def test_styles_name_east_asian_fonts_and_sizes(document):
    expected = {"Normal": ("仿宋_GB2312", 16), "Title": ("方正小标宋简体", 22), "Heading 1": ("黑体", 16),
                "Heading 2": ("楷体_GB2312", 16), "Footer": ("宋体", 14)}
    for name, (font, pt) in expected.items():
        element = style_xml(document, name)
        assert east_asia(element) == font, name
        assert size(element) == pt, name
        fonts = element.find(f"{W}rPr/{W}rFonts")
        assert not any("Theme" in k or "theme" in k for k in fonts.keys()), f"{name} keeps a theme font"
    for style in document.styles.element.findall(f"{W}style"):
        if style.find(f"{W}rPr/{W}rFonts") is not None:
            assert east_asia(style), style.get(f"{W}styleId")
    defaults = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults.get(f"{W}eastAsia") == "仿宋_GB2312"


def test_every_run_names_its_east_asian_font(content):
    for name, xml in parts(content).items():
        if not (name == "word/document.xml" or name.startswith("word/footer")):
            continue
        from lxml import etree
        root = etree.fromstring(xml.encode("utf-8"))
        runs = root.iter(f"{W}r")
        for run in runs:
            fonts = run.find(f"{W}rPr/{W}rFonts")
            assert fonts is not None and fonts.get(f"{W}eastAsia"), (name, etree.tostring(run)[:200])


def test_fallback_fonts_are_in_the_font_table(content):
    table = parts(content)["word/fontTable.xml"]
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>' in table
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in table
    assert '<w:font w:name="楷体_GB2312"><w:altName w:val="楷体"/>' in table


def test_title_and_headings_never_bold_and_headings_keep_with_next(document, content):
    for name in ("Title", "Heading 1", "Heading 2"):
        element = style_xml(document, name)
        assert element.find(f"{W}rPr/{W}b").get(f"{W}val") == "0"
        assert document.styles[name].font.bold is False
    assert document.styles["Heading 1"].paragraph_format.keep_with_next
    assert document.styles["Heading 2"].paragraph_format.keep_with_next
    for p in document.paragraphs:
        if p.style.name in ("Title", "Heading 1", "Heading 2"):
            assert all(r.bold is not True for r in p.runs), p.text


def test_22_lines_of_28_characters(document, content):
    normal = document.styles["Normal"].paragraph_format
    assert normal.line_spacing == layout.LINE_PITCH * 635   # exactly 579 twips (EMU)
    assert normal.line_spacing_rule == 4                    # EXACTLY
    xml = parts(content)["word/document.xml"]
    grid = Document(io.BytesIO(content)).sections[0]._sectPr.find(f"{W}docGrid")
    assert grid.get(f"{W}type") == "lines" and grid.get(f"{W}linePitch") == "579"
    assert grid.get(f"{W}charSpace") == str(layout.char_space())
    assert "<w:docGrid" in xml
    assert layout.LINES * layout.LINE_PITCH / 1440 * 25.4 == pytest.approx(225, abs=0.5)
    spacing = style_xml(document, "Normal").find(f"{W}rPr/{W}spacing")
    pitch_pt = 16 + int(spacing.get(f"{W}val")) / 20
    width_pt = 156 / 25.4 * 72
    assert 28 * pitch_pt <= width_pt < 29 * pitch_pt


def test_odd_and_even_footers_carry_a_page_field(document, content):
    xml = parts(content)
    assert "<w:evenAndOddHeaders/>" in xml["word/settings.xml"]
    section = document.sections[0]
    odd, even = section.footer, section.even_page_footer
    assert not odd.is_linked_to_previous and not even.is_linked_to_previous
    for footer, align in ((odd, 2), (even, 0)):   # right, left
        p = footer.paragraphs[0]
        assert p.alignment == align
        raw = p._p.xml
        assert 'w:fldCharType="begin"' in raw and 'w:fldCharType="end"' in raw
        assert "PAGE" in raw
        assert p.text.replace(" ", "").startswith("—") and p.text.strip().endswith("—")
        fonts = p.runs[0]._r.find(f"{W}rPr/{W}rFonts")
        assert fonts.get(f"{W}eastAsia") == "宋体"
        assert p.runs[0]._r.find(f"{W}rPr/{W}sz").get(f"{W}val") == "28"
    refs = [r.get(f"{W}type") for r in document.sections[0]._sectPr.findall(f"{W}footerReference")]
    assert sorted(refs) == ["default", "even"]


def test_outline_of_the_annual_report(document):
    texts = [p.text for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、主要举措和成效", "二、存在的不足和原因", "三、党政主要负责人履行推进法治建设第一责任人职责情况",
                        "四、下一年度工作安排", "五、其他需要报告的情况"]
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 2"] == [
        "（一）领导干部和工作人员学法", "（二）学法考试与执法资格考试"]
    for text in ("一是部分单位学法不够深入。", "二是执法人员持证率有待提高。", "继续推进依法行政。"):
        assert text in texts
    assert not any("待填写" in t for t in texts)


def test_sections_not_written_are_marked_in_grey(app, db, org):
    document = Document(io.BytesIO(render_docx(sample_report())))
    placeholders = [p for p in document.paragraphs if "待填写" in p.text]
    assert len(placeholders) == 4
    assert all(str(p.runs[0].font.color.rgb) == "808080" for p in placeholders)


def test_addressee_sender_and_date(document):
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[0] == "永安县人民政府关于2025年度\n法治政府建设工作情况的报告"
    assert texts[1] == "永安市人民政府："
    assert texts[-2:] == ["永安县人民政府", "2026年2月20日"]
    # the signature block is kept with the paragraph before it
    paragraphs = document.paragraphs
    last_body = [i for i, p in enumerate(paragraphs) if p.text == "无其他需要报告的情况。"][0]
    for p in paragraphs[last_body:-1]:
        assert p.paragraph_format.keep_with_next or p.style.paragraph_format.keep_with_next, p.text


def test_figures_read_as_people_read_them(content):
    xml = parts(content)["word/document.xml"]
    assert "65.6%" in xml and "0.6561" not in xml
    assert "92.5%" in xml and "90.0%" in xml and "执法资格考试" in xml   # by_kind as its own table
    assert "{" not in xml.split("<w:body>")[1].replace("{http", "")      # no dumped dict
    assert "12.5" in xml


def test_id_numbers_never_in_the_word_file(content):
    for xml in parts(content).values():
        assert ID_NUMBER not in xml
        assert "身份证号" not in xml
    assert "130821********0014" in parts(content)["word/document.xml"]


def test_title_lines_at_most_20_and_never_inside_book_title_marks():
    assert title_lines("永安县人民政府关于2025年度法治政府建设工作情况的报告") == [
        "永安县人民政府关于2025年度", "法治政府建设工作情况的报告"]
    lines = title_lines("关于贯彻落实《中华人民共和国行政处罚法》和《法治政府建设实施纲要》情况的报告")
    assert all(len(line) <= 20 for line in lines)
    for line in lines:
        assert line.count("《") == line.count("》")
    assert title_lines("短标题") == ["短标题"]
    assert "".join(title_lines("甲" * 45)) == "甲" * 45 and all(len(x) <= 20 for x in title_lines("甲" * 45))


def test_title_in_the_document_obeys_the_width(app, db, org):
    document = Document(io.BytesIO(render_docx(sample_report(name="永安县", code="NOPE"))))
    title = next(p for p in document.paragraphs if p.style.name == "Title")
    assert title._p.xml.count("<w:br/>") == 1
    assert all(len(r.text) <= 20 for r in title.runs)


def test_charts_are_inserted_as_images(app, db, org):
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (800, 400), "white").save(out, "PNG")
    document = Document(io.BytesIO(render_docx(sample_report(charts=[("各单位学法次数", out.getvalue())]))))
    assert len(document.inline_shapes) == 1
    assert document.inline_shapes[0].width <= Mm(156)
    assert any(p.text == "图1　各单位学法次数" for p in document.paragraphs)


def test_empty_report_is_honest(app, db, org):
    report = sample_report()
    report["fragments"] = []
    document = Document(io.BytesIO(render_docx(report)))
    assert any("没有统计到工作数据" in p.text for p in document.paragraphs)


def test_thousands_of_table_rows(app, db, org):
    started = time.perf_counter()
    content = render_docx(sample_report(rows=5000))
    assert time.perf_counter() - started < 20
    document = Document(io.BytesIO(content))
    assert max(len(t.rows) for t in document.tables) == 5001
    assert "第5000单位" in parts(content)["word/document.xml"]


def test_chinese_numbers():
    assert [chinese_number(n) for n in (1, 5, 10, 12, 20, 21)] == ["一", "五", "十", "十二", "二十", "二十一"]


def test_a_fragment_with_nothing_to_say_has_no_table_of_zeros(app, db, org):
    report = sample_report()
    report["fragments"][0].update(figures={"sessions_total": 0, "target_rate": 0}, paragraphs=[], tables=[])
    document = Document(io.BytesIO(render_docx(report)))
    texts = [p.text for p in document.paragraphs]
    assert "本年度系统中暂无该项工作的记录。" in texts
    assert not any("领导干部和工作人员学法主要数据" in t for t in texts)


def test_wide_tables_fit_the_page_and_use_a_smaller_size(app, db, org):
    from intranet.reports.docx import column_widths
    columns = ["单位", "举办考试场次", "报名人数", "应考", "参考", "缺考", "免考", "合格", "参考率", "通过率", "参考单位数"]
    rows = [["白城区市场监督管理局", 1, 156, 147, 144, 3, 9, 140, "100.0%", "97.2%", 20]]
    widths = column_widths(columns, rows, len(columns), layout.SMALL_TABLE_PT)
    assert sum(widths) == layout.body_width_twips()
    assert widths[8] >= 4.5 * layout.SMALL_TABLE_PT * 20   # "100.0%" on one line
    report = sample_report()
    report["fragments"][0]["tables"] = [{"title": "宽表", "columns": columns, "rows": rows}]
    xml = parts(render_docx(report))["word/document.xml"]
    assert '<w:sz w:val="21"/>' in xml   # 五号 for a table of more than five columns
