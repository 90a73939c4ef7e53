"""Every import kind (intranet.imports), sent malformed workbooks through the upload page by an admin
and a 单位管理员: wrong headers, bad cells, formulas, huge strings, wrong types, broken files.
Never a 5xx; a refused import changes no table; the error report downloads."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from hostile_walk import Snapshots, checked_post, post
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from payloads import cell_values

from intranet.access_walk import sibling_samples
from intranet.imports.framework import CONTROL_CELL, Column, _parse_cell, all_import_kinds
from intranet.inputs import CONTROL_MESSAGE, NUL_MESSAGE
from intranet.testing import login, xlsx_bytes

pytestmark = pytest.mark.slow

ROLES = {"admin": "admin", "dept_admin": "dept_admin_a"}
WORKBOOKS_PER_KIND = 2    # per example


def workbook(header, rows, *, write_only) -> bytes:
    """``xlsx_bytes`` writes inline strings; a normal workbook writes shared strings: both are read."""
    if write_only:
        return xlsx_bytes(header, rows)
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bad_header(data, names):
    how = data.draw(st.sampled_from(["shuffled", "missing", "extra", "duplicated", "spaced", "empty", "numbers"]))
    header = list(names)
    if how == "shuffled":
        header = data.draw(st.permutations(header))
    elif how == "missing":
        header.pop(data.draw(st.integers(0, len(header) - 1)))
    elif how == "extra":
        header.append(data.draw(st.sampled_from(["备注", "<b>x</b>", "=1+1", "长" * 300])))
    elif how == "duplicated":
        header.append(header[0])
    elif how == "spaced":
        header = [f" {h}\u3000" for h in header]
    elif how == "empty":
        header = []
    else:
        header = list(range(len(header)))
    return header


def broken_file(data, good: bytes) -> bytes:
    how = data.draw(st.sampled_from(["text", "truncated", "empty-zip", "bad-xml", "not-zip-with-pk"]))
    if how == "text":
        return "姓名,身份证号\n张三,1".encode()
    if how == "truncated":
        return good[: len(good) // 2]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        if how == "bad-xml":
            src = zipfile.ZipFile(io.BytesIO(good))
            for name in src.namelist():
                body = src.read(name)
                dst.writestr(name, body.replace(b"<sheetData>", b"<sheetData><row><c r='A2'><v>&#1;</v></row>")
                             if name.startswith("xl/worksheets/") else body)
        elif how == "empty-zip":
            dst.writestr("x.txt", "x")
    if how == "not-zip-with-pk":
        return b"PK\x03\x04" + b"\x00" * 100
    return out.getvalue()


def hostile_workbook(data, kind) -> bytes:
    names = kind.column_names
    rows = data.draw(st.lists(st.lists(cell_values, min_size=len(names), max_size=len(names) + 2),
                              min_size=0, max_size=4))
    what = data.draw(st.sampled_from(["cells", "cells", "cells", "header", "broken"]))
    write_only = data.draw(st.booleans())
    if what == "header":
        return workbook(bad_header(data, names), rows, write_only=write_only)
    good = workbook(names, rows, write_only=write_only)
    return broken_file(data, good) if what == "broken" else good


@pytest.mark.parametrize("role", list(ROLES))
def test_import_kinds(app, db, org, role):
    sibling_samples(org.town_a)
    user = org.users[ROLES[role]]
    client = app.test_client()
    login(client, user)
    kinds = [k for k in all_import_kinds().values() if user.role in k.roles]
    assert kinds
    snapshots = Snapshots(db)

    @given(data=st.data())
    def fuzz(data):
        problems = []
        for kind in kinds * WORKBOOKS_PER_KIND:
            body = hostile_workbook(data, kind)
            name = data.draw(st.sampled_from(["数据.xlsx", "a.XLSX", "a.xls", "<i>x</i>.xlsx", "长" * 200 + ".xlsx"]))
            form = {f"{kind.name}-file": (io.BytesIO(body), name)}
            if data.draw(st.booleans()):
                form[f"{kind.name}-dry_run"] = "y"
            answers = []
            problems += checked_post(client, db, f"/imports/{kind.name}", form, f"{role} import {kind.name} {name}",
                                     multipart=True, user=user, snapshots=snapshots, answers=answers)
            problems += error_report_problems(client, answers)
        assert not problems, "\n" + "\n".join(problems)
    fuzz()


def error_report_problems(client, answers) -> list[str]:
    """The error report offered by the answer (if any) downloads as a workbook."""
    body = answers[0].get_data(as_text=True) if answers else ""
    problems = []
    for link in re.findall(r'href="(/imports/errors/[0-9a-f]+\.xlsx)"', body):
        response = client.get(link)
        if response.status_code != 200 or not response.data.startswith(b"PK"):
            problems.append(f"error report {link}: {response.status_code}")
    return problems


def test_control_characters_in_a_cell_are_a_row_error():
    for value in ("张\x01三", "a\x0bb", "\x1f", "x\ufffe"):
        assert _parse_cell(Column("姓名"), value) == (None, CONTROL_CELL, "")
    assert _parse_cell(Column("姓名"), "张三\t") == ("张三", "", "")


def test_a_row_with_a_control_character_imports_nothing(app, db, org, monkeypatch):
    """A reader that unescapes ``_x0001_`` (as Excel does) hands the framework a control character:
    the row is refused with a Chinese message and nothing is written."""
    from intranet.imports import framework
    from intranet.models import Person
    from intranet.testing import make_id
    real = framework.open_first_sheet

    class Unescaping:
        def __init__(self, sheet):
            self.sheet, self.limits = sheet, sheet.limits

        def rows(self, *args, **kwargs):
            for number, values in self.sheet.rows(*args, **kwargs):
                yield number, [re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), v)
                               if isinstance(v, str) else v for v in values]

    from contextlib import contextmanager

    @contextmanager
    def unescaping(stream, limits=None):
        with real(stream, limits) as sheet:
            yield Unescaping(sheet)
    monkeypatch.setattr(framework, "open_first_sheet", unescaping)
    kind = all_import_kinds()["people"]
    row = {"姓名": "王_x0001_五", "身份证号": make_id(), "单位编码": org.town_a.code, "编制类型": "行政编制",
           "执法岗位": "是", "人员状态": "在岗"}
    body = xlsx_bytes(kind.column_names, [[row.get(c) for c in kind.column_names]])
    before = db.session.query(Person).count()
    result = framework.run_import(kind, io.BytesIO(body), user=org.users["admin"])
    assert [(e.column, e.message) for e in result.errors] == [("姓名", CONTROL_CELL)]
    assert db.session.query(Person).count() == before
    row["姓名"] = "王五"   # the same file without the control character imports
    body = xlsx_bytes(kind.column_names, [[row.get(c) for c in kind.column_names]])
    assert framework.run_import(kind, io.BytesIO(body), user=org.users["admin"]).ok
    assert db.session.query(Person).count() == before + 1


@pytest.mark.parametrize("value, message", [("张\x01三", CONTROL_MESSAGE), ("张\x00三", NUL_MESSAGE),
                                             ("\x1b[31m", CONTROL_MESSAGE), ("x\ufffe", CONTROL_MESSAGE)])
def test_control_characters_in_a_form_are_a_chinese_400(client, db, org, value, message):
    from intranet.models import Person
    from intranet.testing import make_id
    login(client, org.users["admin"])
    before = db.session.query(Person).count()
    response, _ = post(client, db, "/people/new", {"name": "李四", "title": value, "id_number": make_id(),
                                                   "department_id": org.town_a.id, "staffing": "行政编制"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.query(Person).count() == before
    assert client.get("/people/", query_string={"q": value}).status_code == 400
    assert client.post("/people/new", json={"name": [value]}).get_json()["error"] == message
