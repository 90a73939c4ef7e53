"""The Excel export: a summary of every figure with the previous year and the change, one sheet per
fragment with its tables, ID numbers never in it, thousands of rows."""
import io
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent))
from report_samples import ID_NUMBER, sample_report  # noqa: E402

from intranet.reports.assemble import render  # noqa: E402
from intranet.reports.formatting import change_text, figure_text  # noqa: E402
from intranet.reports.redact import scrub  # noqa: E402
from intranet.reports.previous import previous_figures  # noqa: E402
from intranet.reports.xlsx import render_xlsx, sheet_title  # noqa: E402

PREVIOUS = {"law_study.law_study": {"sessions_total": 40, "participants": 1300, "target_rate": 0.6},
            "exams.exams": {"exams_held": 3, "by_kind": {"执法资格考试": {"sat": 30, "pass_rate": 0.8}}}}


def workbook(content):
    return load_workbook(io.BytesIO(content))


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.fixture
def book(app, db):
    return workbook(render_xlsx(sample_report(previous=PREVIOUS)))


def summary_line(book, label):
    [line] = [r for r in rows(book["指标汇总"]) if r[1] == label]
    return line


def test_render_by_format_gives_a_workbook(app, db):
    assert render(sample_report(previous=PREVIOUS), "xlsx")[:2] == b"PK"


def test_summary_lists_every_figure_with_previous_year_and_change(book):
    assert book.sheetnames == ["指标汇总", "领导干部和工作人员学法", "学法考试与执法资格考试"]
    header = rows(book["指标汇总"])[2]
    assert header == ["部分", "指标", "2025年", "2024年", "变化", "说明"]
    assert summary_line(book, "学法活动次数")[2:5] == [48, 40, "+8（+20.0%）"]
    assert summary_line(book, "参学人数")[2:5] == [1200, 1300, "−100（−7.7%）"]
    rate = summary_line(book, "学时达标率")
    assert rate[2:5] == [0.6561, 0.6, "+5.6个百分点"]
    assert summary_line(book, "举办考试场次")[4] == "持平"
    assert summary_line(book, "人均学时")[3:5] == [None, "—"]     # no value last year
    # a dict figure: one line per entry, labelled with its path
    assert summary_line(book, "按考试类型 · 执法资格考试 · 参考人数")[2:5] == [40, 30, "+10（+33.3%）"]
    assert summary_line(book, "按考试类型 · 年度学法考试 · 通过率")[2] == 0.95


def test_ratios_are_formatted_as_percentages(app, db):
    content = render_xlsx(sample_report(previous=PREVIOUS))
    book = workbook(content)
    cells = [c for row in book["指标汇总"].iter_rows() for c in row if c.value == 0.6561]
    assert cells and cells[0].number_format == "0.0%"


def test_one_sheet_per_fragment_with_its_tables(book):
    sheet = rows(book["领导干部和工作人员学法"])
    assert sheet[0][0] == "领导干部和工作人员学法"
    assert ["单位", "学法次数", "参学人数"] in [r[:3] for r in sheet]
    assert ["第3单位", 2, 20] in [r[:3] for r in sheet]


def test_id_numbers_never_in_the_workbook(app, db):
    content = render_xlsx(sample_report(previous=PREVIOUS))
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            text = z.read(name).decode("utf-8", "ignore")
            assert ID_NUMBER not in text, name
            assert "身份证号" not in text, name
    sheet = rows(workbook(content)["学法考试与执法资格考试"])
    assert ["姓名", "备注"] in [r[:2] for r in sheet]
    assert ["张三", "证件130821********0014已核"] in [r[:2] for r in sheet]


def test_an_id_number_as_a_number_is_masked_too():
    assert scrub(130821198506120014) == "130821********0014"
    assert scrub(12345) == 12345
    assert scrub("编号 130821198506120014X") == "编号 130821198506120014X"   # not an ID: 19 characters


def test_thousands_of_table_rows(app, db):
    content = render_xlsx(sample_report(rows=20000, previous=PREVIOUS))
    sheet = rows(workbook(content)["领导干部和工作人员学法"])
    assert ["第20000单位", 19999, 199990] in [r[:3] for r in sheet]


def test_text_never_becomes_a_formula(app, db):
    report = sample_report(previous=PREVIOUS)
    report["fragments"][0]["tables"][0]["rows"].append(['=HYPERLINK("http://x","y")', 1, 2])
    sheet = workbook(render_xlsx(report))["领导干部和工作人员学法"]
    [cell] = [c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x","y")']
    assert cell.data_type == "s"


def test_previous_year_is_assembled_when_not_given(app, db, org):
    from intranet.reports.assemble import assemble
    from intranet.reports.previous import by_fragment
    report = sample_report(code="X01")
    assert previous_figures(report) == by_fragment(assemble(2024, org.county))
    assert previous_figures(sample_report(code="NOPE")) == {}
    assert previous_figures(sample_report(year=2000)) == {}
    assert previous_figures({**report, "previous": {"year": 2024, "fragments": [
        {"plugin": "a", "key": "b", "figures": {"n": 1}}]}}) == {"a.b": {"n": 1}}


def test_sheet_titles_are_valid_and_unique():
    taken = set()
    assert sheet_title("执法/监督[2025]:统计?", taken) == "执法_监督_2025__统计_"
    assert sheet_title("执法/监督[2025]:统计?", taken) == "执法_监督_2025__统计_(2)"
    assert len(sheet_title("长" * 40, taken)) == 31


def test_formatting_helpers():
    assert figure_text("certified_rate", 0.6561) == "65.6%"
    assert figure_text("n", 3) == "3" and figure_text("x", 2.50) == "2.5"
    assert figure_text("n", 0.5, "持证率") == "50.0%"
    assert change_text("pass_rate", 0.9, 0.925) == "−2.5个百分点"
    assert change_text("n", 5, None) == "—"
