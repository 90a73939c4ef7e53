"""Import pages and the core import kinds (单位, 人员), through the web and the command line."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.audit import LOGIN_ACTIONS
from intranet.cli import cli
from intranet.idnumber import make_id_number
from intranet.imports import get_import_kind, run_import
from intranet.models import AuditEvent, Department, Person
from intranet.pinyin import sort_key
from intranet.testing import login, make_id, make_person, xlsx_bytes

DEPT_HEADER = ["单位编码", "单位名称", "上级单位编码", "单位类型"]
PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]


@pytest.fixture
def app_config(tmp_path):
    # Every import here answers in the request (tests/test_jobs.py covers the queued ones).
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads"), "IMPORT_QUEUE_ROWS": 100_000}


xlsx = xlsx_bytes


def person_row(name, number, code, title="科员", staffing="行政编制", post="是", status="在岗", changed=None, legal="否"):
    return [name, number, code, title, staffing, post, status, changed, legal]


def upload(client, kind, data: bytes, filename="导入.xlsx", dry_run=False):
    form = {f"{kind}-file": (io.BytesIO(data), filename)}
    if dry_run:
        form[f"{kind}-dry_run"] = "y"
    return client.post(f"/imports/{kind}", data=form, content_type="multipart/form-data")


def count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def code_of_parent(db, code):
    db.session.expire_all()
    d = db.session.scalar(select(Department).where(Department.code == code))
    return d.parent.code if d.parent else None


# --- pages ----------------------------------------------------------------------------------

def test_index_lists_the_kinds_a_user_may_use(client, org):
    login(client, org.users["bureau"])
    html = client.get("/imports/").get_data(as_text=True)
    assert "import-departments" in html and "import-people" in html
    login(client, org.users["dept_admin_a"])
    html = client.get("/imports/").get_data(as_text=True)
    assert "import-people" in html and "import-departments" not in html
    assert client.get("/imports/departments/template.xlsx").status_code == 403
    assert upload(client, "departments", xlsx(DEPT_HEADER, [["Z1", "越权", "", "其他"]])).status_code == 403
    for role in ("inspector", "staff_a"):
        login(client, org.users[role])
        assert client.get("/imports/").status_code == 403
    assert client.get("/imports/nosuchkind/template.xlsx").status_code in (403, 404)


@pytest.mark.parametrize("kind, header", [("departments", DEPT_HEADER), ("people", PEOPLE_HEADER)])
def test_template_download(client, org, kind, header):
    login(client, org.users["admin"])
    response = client.get(f"/imports/{kind}/template.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in ws[1]] == header
    if kind == "people":
        assert ws["B2"].number_format == "@"  # ID numbers as text


def test_unknown_kind_is_404(client, org):
    login(client, org.users["admin"])
    assert client.get("/imports/nosuchkind/template.xlsx").status_code == 404


@pytest.mark.parametrize("filename, data, message", [
    ("人员.csv", b"name,id\n", "文件类型不支持"),
    ("人员.xls", b"\xd0\xcf\x11\xe0 old excel", "文件类型不支持"),
    ("人员.xlsx", b"this is not a zip file", "不是有效的 .xlsx 文件"),
])
def test_wrong_file_type(client, db, org, filename, data, message):
    login(client, org.users["bureau"])
    response = upload(client, "people", data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, Person) == 1


def test_zip_that_is_not_a_workbook(client, db, org):
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not excel")
    login(client, org.users["bureau"])
    html = upload(client, "people", buf.getvalue()).get_data(as_text=True)
    assert "无法读取文件" in html
    assert count(db, Person) == 1


def test_missing_file(client, org):
    login(client, org.users["bureau"])
    response = client.post("/imports/people", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "请选择要上传的 .xlsx 文件" in response.get_data(as_text=True)


@pytest.mark.parametrize("header, message", [
    (PEOPLE_HEADER[:-1], "缺少列：法律职业资格"),
    (["名字"] + PEOPLE_HEADER[1:], "无法识别的列：名字"),
])
def test_missing_or_renamed_columns(client, db, org, header, message):
    login(client, org.users["bureau"])
    rows = [person_row("李四", make_id(), "X01-A")[: len(header)]]
    html = upload(client, "people", xlsx(header, rows)).get_data(as_text=True)
    assert message in html and "导入失败" in html
    assert count(db, Person) == 1


def test_oversized_upload_is_refused_in_chinese(app, client, db, org):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    login(client, org.users["bureau"])
    rows = [person_row(f"人员{i}", make_id(), "X01-A") for i in range(300)]
    response = upload(client, "people", xlsx(PEOPLE_HEADER, rows))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "上传的文件过大" in html and "不能超过" in html
    assert count(db, Person) == 1


# --- people ---------------------------------------------------------------------------------

def test_people_import_creates_and_audits(client, db, org):
    numbers = [make_id() for _ in range(3)]
    rows = [person_row("李四", numbers[0], "X01-A"),
            person_row("王五", numbers[1], "X01-A", staffing="合同工", post="否", legal="是"),
            person_row("赵六", numbers[2], "X01-A", status="病休", changed="2024-02-01")]
    login(client, org.users["dept_admin_a"])
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows)).get_data(as_text=True)
    assert "导入成功" in html and "新增 3 条" in html
    wang = db.session.scalar(select(Person).where(Person.id_number == numbers[1]))
    assert (wang.staffing, wang.enforcement_post, wang.legal_qualification) == ("合同工", False, True)
    zhao = db.session.scalar(select(Person).where(Person.id_number == numbers[2]))
    assert zhao.status == "病休" and zhao.status_changed_on == date(2024, 2, 1)
    created = list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "person",
                                                               AuditEvent.action == "create")))
    assert {e.object_id for e in created} == {str(p.id) for p in (wang, zhao)} | {
        str(db.session.scalar(select(Person.id).where(Person.id_number == numbers[0])))}
    assert all(e.actor_id == org.users["dept_admin_a"].id for e in created)
    assert numbers[0] not in str([e.after for e in created])
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert summary.object_type == "people"


def test_people_reimport_updates_only_what_changed_and_audits(client, db, org):
    number = org.staff_person.id_number
    other = make_id()
    login(client, org.users["bureau"])
    upload(client, "people", xlsx(PEOPLE_HEADER, [person_row("李四", other, "X01-A")]))
    rows = [person_row("张三", number, "X01-A", title="所长", status="调离", changed="2024-05-01"),
            person_row("李四", other, "X01-A")]
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows)).get_data(as_text=True)
    assert "更新 1 条，未变 1 条" in html
    person = db.session.scalar(select(Person).where(Person.id_number == number))
    assert (person.title, person.status, person.status_changed_on) == ("所长", "调离", date(2024, 5, 1))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update",
                                                       AuditEvent.object_id == str(person.id)))
    assert event.before == {"title": "科员", "status": "在岗", "status_changed_on": None}
    assert event.after == {"title": "所长", "status": "调离", "status_changed_on": "2024-05-01"}


def test_people_duplicate_id_in_file(client, db, org):
    number = make_id()
    rows = [person_row("李四", number, "X01-A"), person_row("李四", make_id(), "X01-A"),
            person_row("李四四", number, "X01-A")]
    login(client, org.users["bureau"])
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows)).get_data(as_text=True)
    assert "身份证号在文件中重复（另见第 4 行）" in html and "身份证号在文件中重复（另见第 2 行）" in html
    assert count(db, Person) == 1


def test_people_unknown_unit_and_bad_cells(client, db, org):
    rows = [person_row("李四", make_id(), "NOPE"),
            person_row("王五", make_id(), "X01-A", staffing="正式工"),
            person_row("赵六", make_id(), "X01-A", post="也许"),
            person_row("", make_id(), "X01-A")]
    login(client, org.users["bureau"])
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows)).get_data(as_text=True)
    assert "单位编码 NOPE 不存在" in html
    assert "取值“正式工”无效" in html
    assert "取值“也许”无效" in html
    assert "必填项不能为空" in html
    assert count(db, Person) == 1


def test_id_typed_as_a_number(client, db, org):
    number = make_id()
    while number.endswith("X"):  # a check digit X cannot be typed as a number
        number = make_id()
    login(client, org.users["bureau"])
    html = upload(client, "people", xlsx(PEOPLE_HEADER, [person_row("李四", int(number), "X01-A")])).get_data(as_text=True)
    assert "身份证号必须以文本格式填写" in html
    assert "<td>2</td><td>身份证号</td>" in html
    assert count(db, Person) == 1


def test_department_admin_imports_only_into_scope(client, db, org):
    login(client, org.users["dept_admin_a"])
    outsider = make_person(org.town_b, "赵六")
    db.session.commit()
    rows = [person_row("李四", make_id(), "X01-B"),                  # a unit outside the scope
            person_row("赵六", outsider.id_number, "X01-A"),         # someone registered outside it
            person_row("王五", make_id(), "X01-A")]
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows)).get_data(as_text=True)
    assert "无权向单位 乙镇（X01-B）导入人员" in html
    assert "管理范围以外的单位" in html
    assert count(db, Person) == 2
    assert db.session.get(Person, outsider.id).department_id == org.town_b.id


def test_dry_run_changes_nothing(client, db, org):
    login(client, org.users["bureau"])
    rows = [person_row("李四", make_id(), "X01-A"), person_row("张三", org.staff_person.id_number, "X01-A", title="所长")]
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows), dry_run=True).get_data(as_text=True)
    assert "试运行" in html and "新增 1 条，更新 1 条" in html
    assert count(db, Person) == 1
    assert db.session.get(Person, org.staff_person.id).title == "科员"
    assert count(db, AuditEvent, AuditEvent.action.not_in(LOGIN_ACTIONS)) == 0  # only the login


def test_unknown_area_code_is_a_warning(client, db, org):
    number = make_id_number("999999", date(1990, 1, 1), 7)
    login(client, org.users["bureau"])
    html = upload(client, "people", xlsx(PEOPLE_HEADER, [person_row("李四", number, "X01-A")])).get_data(as_text=True)
    assert "导入成功" in html and "地区码未知" in html
    assert count(db, Person) == 2


def ten_thousand_rows(bad_row=None):
    base = date(1960, 1, 1)
    rows = []
    for i in range(10_000):
        number = make_id_number("130821", base + timedelta(days=i), i % 1000)
        rows.append(person_row(f"人员{i}", number, "X01-A" if i % 2 else "X01-B"))
    if bad_row is not None:
        rows[bad_row - 2][1] = rows[bad_row - 2][1][:-1] + ("0" if rows[bad_row - 2][1][-1] != "0" else "1")
    return rows


def test_ten_thousand_rows_with_one_bad_id(client, db, org, tmp_path):
    data = xlsx(PEOPLE_HEADER, ten_thousand_rows(bad_row=9731))
    login(client, org.users["bureau"])
    html = upload(client, "people", data).get_data(as_text=True)
    assert "共 1 处错误" in html
    assert "<td>9731</td><td>身份证号</td><td>身份证号校验位错误</td>" in html
    assert count(db, Person) == 1
    assert count(db, AuditEvent, AuditEvent.action.not_in(LOGIN_ACTIONS)) == 0  # only the login
    # the error report: the uploaded rows plus a 错误信息 column, stored under a generated name
    token = html.split("/imports/errors/")[1].split(".xlsx")[0]
    stored = list((tmp_path / "uploads").rglob("*.xlsx"))
    assert [p.name for p in stored] == [f"{token}.xlsx"]
    report = client.get(f"/imports/errors/{token}.xlsx")
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(report.data), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "错误信息" and len(rows) == 10_001
    assert rows[9730][-1] == "身份证号：身份证号校验位错误" and rows[9729][-1] in (None, "")
    # only the uploader can fetch it
    login(client, org.users["admin"])
    assert client.get(f"/imports/errors/{token}.xlsx").status_code == 404


def test_bulk_import_across_chunks(app, db, org):
    rows = ten_thousand_rows()[:2500]
    kind = get_import_kind("people")
    seen = []
    result = run_import(kind, io.BytesIO(xlsx(PEOPLE_HEADER, rows)), progress=lambda d, t: seen.append((d, t)))
    assert result.ok and result.created == 2500
    assert count(db, Person) == 2501
    assert count(db, AuditEvent, AuditEvent.action == "create", AuditEvent.object_type == "person") == 2500
    assert seen[-1] == (2500, 2500)
    # re-import with one change: one update, the rest unchanged
    rows[1000][3] = "队长"
    result = run_import(kind, io.BytesIO(xlsx(PEOPLE_HEADER, rows)))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2499)
    person = db.session.scalar(select(Person).where(Person.id_number == rows[1000][1]))
    assert person.title == "队长"


def test_error_display_is_capped(client, db, org):
    rows = [person_row(f"人员{i}", make_id(), "NOPE") for i in range(520)]
    login(client, org.users["bureau"])
    html = upload(client, "people", xlsx(PEOPLE_HEADER, rows)).get_data(as_text=True)
    assert "共 520 处错误" in html and "另有 20 处未显示" in html
    assert html.count("不存在</td>") == 500


# --- departments ----------------------------------------------------------------------------

def test_departments_import_with_parents_later_in_the_file(client, db, org):
    rows = [["X01-C-1", "丙镇一村", "X01-C", "其他"],
            ["X01-C", "丙镇", "X01", "乡镇(街道)"],
            ["X01-B", "乙镇人民政府", "X01", "乡镇(街道)"],
            ["X01-A", "甲镇", "X01", "乡镇(街道)"]]
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, rows)).get_data(as_text=True)
    assert "新增 2 条，更新 1 条，未变 1 条" in html
    db.session.expire_all()
    town_c = db.session.scalar(select(Department).where(Department.code == "X01-C"))
    village = db.session.scalar(select(Department).where(Department.code == "X01-C-1"))
    assert village.path == f"{town_c.path}{village.id}/" and town_c.path.startswith(org.county.path)
    assert db.session.get(Department, org.town_b.id).name == "乙镇人民政府"
    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update",
                                                        AuditEvent.object_type == "department"))
    assert update.before == {"name": "乙镇"} and update.after == {"name": "乙镇人民政府"}
    assert count(db, AuditEvent, AuditEvent.action == "create", AuditEvent.object_type == "department") == 2


def test_departments_import_moves_existing_units(client, db, org):
    # 甲镇 moves under the market bureau; a new unit comes under 甲镇; 永安县 moves under a new unit
    rows = [["X01-A", "甲镇", "C01-SJJ", "乡镇(街道)"],
            ["NEW-1", "新单位", "C01", "其他"],
            ["X01", "永安县", "NEW-1", "县(区)"],
            ["X01-A-1", "甲镇一村", "X01-A", "其他"]]
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, rows)).get_data(as_text=True)
    assert "导入成功" in html, html
    assert code_of_parent(db, "X01-A") == "C01-SJJ"
    assert code_of_parent(db, "X01") == "NEW-1"
    for d in db.session.scalars(select(Department)):
        assert d.path == (d.parent.path if d.parent else "/") + f"{d.id}/"


def test_departments_import_duplicate_codes(client, db, org):
    rows = [["N1", "新一", "C01", "其他"], ["N2", "新二", "C01", "其他"], ["N1", "新一重复", "C01", "其他"]]
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, rows)).get_data(as_text=True)
    assert "<td>2</td><td>单位编码</td><td>单位编码 N1 在文件中重复（另见第 4 行）</td>" in html
    assert "<td>4</td><td>单位编码</td><td>单位编码 N1 在文件中重复（另见第 2 行）</td>" in html
    assert count(db, Department) == 6


def test_departments_import_unknown_parent(client, db, org):
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, [["N1", "新一", "NOPE", "其他"]])).get_data(as_text=True)
    assert "上级单位编码 NOPE 不存在" in html
    assert count(db, Department) == 6


def test_departments_import_cycle_within_the_file(client, db, org):
    rows = [["A1", "甲", "B1", "其他"], ["B1", "乙", "A1", "其他"], ["S1", "自己", "S1", "其他"]]
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, rows)).get_data(as_text=True)
    assert "上级关系形成循环：A1 → B1 → A1" in html
    assert "不能以自身为上级单位" in html
    assert count(db, Department) == 6


def test_departments_import_cycle_with_the_database(client, db, org):
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, [["X01", "永安县", "X01-A", "县(区)"]])).get_data(as_text=True)
    assert "上级关系形成循环：X01 → X01-A → X01" in html
    assert code_of_parent(db, "X01") == "C01"


def test_departments_import_bad_kind(client, db, org):
    login(client, org.users["bureau"])
    html = upload(client, "departments", xlsx(DEPT_HEADER, [["N1", "新一", "", "村"]])).get_data(as_text=True)
    assert "取值“村”无效" in html
    assert count(db, Department) == 6


# --- the command line -----------------------------------------------------------------------

def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def runner(app, monkeypatch):
    # Flask's CLI sets FLASK_RUN_FROM_CLI in the environment; undo it afterwards.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    return app.test_cli_runner()


def test_cli_import_people(runner, db, org, tmp_path):
    number = make_id()
    path = write(tmp_path, "people.xlsx", xlsx(PEOPLE_HEADER, [person_row("李四", number, "X01-A")]))
    result = runner.invoke(cli, ["import", "people", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "试运行" in result.stdout
    db.session.rollback()
    assert count(db, Person) == 1
    result = runner.invoke(cli, ["import", "people", path])
    assert result.exit_code == 0, result.output
    assert "新增 1 条" in result.stdout
    db.session.rollback()
    assert count(db, Person, Person.id_number == number) == 1


def test_cli_import_bad_file(runner, db, org, tmp_path):
    rows = [person_row("李四", make_id(), "X01-A"), person_row("王五", "130821198506120000", "X01-A")]
    path = write(tmp_path, "people.xlsx", xlsx(PEOPLE_HEADER, rows))
    result = runner.invoke(cli, ["import", "people", path])
    assert result.exit_code != 0
    assert "第3行" in result.stderr and "身份证号校验位错误" in result.stderr and "导入失败" in result.stderr
    db.session.rollback()
    assert count(db, Person) == 1
    path = write(tmp_path, "fake.xlsx", b"not a workbook")
    result = runner.invoke(cli, ["import", "people", path])
    assert result.exit_code != 0 and "无法读取文件" in result.stderr
    result = runner.invoke(cli, ["import", "people", write(tmp_path, "people.csv", b"a,b")])
    assert result.exit_code != 0 and "只支持 .xlsx 文件" in result.stderr
    db.session.rollback()
    assert count(db, Person) == 1


def test_departments_import_by_a_scoped_bureau_user(client, db, org):
    from intranet.testing import make_user
    county_bureau = make_user("bureau", org.county, username="county_sfj")
    db.session.commit()
    rows = [["X01-C", "丙镇", "X01", "乡镇(街道)"],          # under its own county: fine
            ["C01-NEW", "市直新部门", "C01", "市直部门"],     # under the city: outside its scope
            ["C01-SJJ", "市场监管局", "C01", "市直部门"],     # an existing unit outside its scope
            ["X01", "永安县", "", "县(区)"]]                  # its own unit: the parent may not change
    login(client, county_bureau)
    html = upload(client, "departments", xlsx(DEPT_HEADER, rows)).get_data(as_text=True)
    assert "<td>3</td><td>上级单位编码</td><td>上级单位不在您的管理范围内</td>" in html
    assert "<td>4</td><td>单位编码</td><td>无权修改单位 C01-SJJ（不在您的管理范围内）</td>" in html
    assert "<td>5</td><td>上级单位编码</td><td>不能修改本单位的上级单位</td>" in html
    assert "<td>2</td>" not in html
    assert count(db, Department) == 6
    html = upload(client, "departments", xlsx(DEPT_HEADER, [rows[0]])).get_data(as_text=True)
    assert "新增 1 条" in html and code_of_parent(db, "X01-C") == "X01"


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"WTF_CSRF_ENABLED": True, "UPLOAD_FOLDER": str(tmp_path / "uploads")}

    def test_upload_needs_the_token_and_oversized_is_413(self, app, client, db, org):
        from intranet.testing import csrf_token
        client.post("/login", data={"username": "sfj", "password": "test-password-1",
                                    "csrf_token": csrf_token(client, "/login")})
        data = xlsx(PEOPLE_HEADER, [person_row("李四", make_id(), "X01-A")])
        response = upload(client, "people", data)
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
        token = csrf_token(client, "/imports/")
        response = client.post("/imports/people", content_type="multipart/form-data",
                               data={"people-file": (io.BytesIO(data), "a.xlsx"), "people-csrf_token": token})
        assert "导入成功" in response.get_data(as_text=True)
        assert count(db, Person) == 2
        app.config["MAX_CONTENT_LENGTH"] = 1024
        response = client.post("/imports/people", content_type="multipart/form-data",
                               data={"people-file": (io.BytesIO(data * 3), "a.xlsx"), "people-csrf_token": token})
        assert response.status_code == 413 and "上传的文件过大" in response.get_data(as_text=True)
        assert count(db, Person) == 2


@pytest.mark.parametrize("every_row", [False, True])
def test_every_row_kinds_get_rows_with_cell_errors_marked(app, db, every_row):
    from intranet.imports import Column, ImportKind
    seen = []

    def apply(rows, ctx):
        seen.extend((r.row, r.values, r.bad) for r in rows)
        for r in rows:
            if r.values["分数"] is not None and r.values["分数"] > 100:
                ctx.error(r.row, "分数", "分数超过满分")

    kind = ImportKind("core", "scores", "分数", [Column("身份证号", "id_number"), Column("分数", "number")],
                      apply, every_row=every_row)
    result = run_import(kind, io.BytesIO(xlsx_bytes(["身份证号", "分数"], [["12345", 120], [make_id(), 90]])))
    messages = sorted((e.row, e.column) for e in result.errors)
    if every_row:
        assert seen[0] == (2, {"身份证号": None, "分数": 120}, {"身份证号"}) and seen[1][2] == set()
        assert messages == [(2, "分数"), (2, "身份证号")]     # both errors of row 2 in one run
    else:
        assert [row for row, _, _ in seen] == [3] and messages == [(2, "身份证号")]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import")) == 0


# --- bulk writes ----------------------------------------------------------------------------

class statements:
    """The statements sent inside the block, with whether each went as a plain executemany (one
    statement per row for the server; a batch of multi-row VALUES is not one)."""

    def __init__(self, db):
        self.engine, self.sent = db.engine, []

    def _listen(self, conn, cursor, statement, params, context, executemany):
        self.sent.append((" ".join(statement.split()), context.execute_style.name == "EXECUTEMANY"))

    def __enter__(self):
        from sqlalchemy import event
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._listen)

    def matching(self, start):
        return [s for s in self.sent if s[0].upper().startswith(start)]


def test_people_import_writes_in_a_few_statements(app, db, org):
    """Updates, inserts and their audit rows: a few statements whatever the number of rows; on
    PostgreSQL none is an executemany (which is still one statement per row on the server)."""
    rows = ten_thousand_rows()[:1200]
    kind = get_import_kind("people")
    with statements(db) as sent:
        assert run_import(kind, io.BytesIO(xlsx(PEOPLE_HEADER, rows))).created == 1200
    postgres = db.engine.dialect.name == "postgresql"
    inserts = sent.matching("INSERT INTO PERSON")
    assert len(inserts) == 1 if postgres else len(inserts) >= 1
    assert ("unnest" in inserts[0][0].lower()) == postgres   # new people: one statement on PostgreSQL
    db.session.expire_all()
    added = db.session.scalar(select(Person).where(Person.id_number == rows[7][1]))
    assert (added.name, added.name_key) == (rows[7][0], sort_key(rows[7][0]))
    for r in rows[:700]:
        r[3] = "队长"
    rows[5][0], rows[6][7] = "改名", date(2021, 3, 4)
    with statements(db) as sent:
        result = run_import(kind, io.BytesIO(xlsx(PEOPLE_HEADER, rows)))
    assert (result.created, result.updated, result.unchanged) == (0, 700, 500)
    postgres = db.engine.dialect.name == "postgresql"
    updates = sent.matching("UPDATE PERSON")
    assert len(updates) == 1 and ("unnest" in updates[0][0].lower()) == postgres
    audit_inserts = sent.matching("INSERT INTO AUDIT_EVENT")
    assert len(audit_inserts) <= 2       # one per statement shape (import summary, person updates)
    if postgres:
        assert not [s for s in sent.sent if s[1]], [s for s in sent.sent if s[1]]
    db.session.expire_all()
    changed = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.title == "队长"))}
    assert len(changed) == 700
    assert changed[rows[5][1]].name == "改名" and changed[rows[5][1]].name_key == sort_key("改名")
    assert changed[rows[6][1]].status_changed_on == date(2021, 3, 4)
    assert count(db, AuditEvent, AuditEvent.action == "update", AuditEvent.object_type == "person") == 700
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == str(changed[rows[5][1]].id),
                                                       AuditEvent.action == "update"))
    assert event.before["name"] == rows[5][0].replace("改名", "人员5") and event.after["name"] == "改名"
    assert event.after["title"] == "队长" and event.reason == "Excel 导入" and event.at is not None


def test_bulk_update_by_another_key_and_bulk_insert_ids(app, db, org):
    from intranet.imports.framework import bulk_insert, bulk_update
    rows = [dict(name=f"批量{i}", id_number=make_id(), department_id=org.town_a.id, staffing="行政编制",
                 title="" if i % 2 else "科员", status_changed_on=None if i % 3 else date(2020, 1, i + 1))
            for i in range(7)]
    ids = bulk_insert(Person, rows, return_ids=True)
    assert len(set(ids)) == 7
    # name_key given: no default computed per row, so PostgreSQL inserts them from arrays (unnest)
    keyed = [dict(name=f"有键{i}", name_key=f"key{i}", id_number=make_id(), department_id=org.town_a.id,
                  staffing="行政编制", title=f"职{i}") for i in range(6)]
    keyed_ids = bulk_insert(Person, keyed, return_ids=True)
    assert {p.id: (p.name, p.title) for p in db.session.scalars(select(Person).where(Person.id.in_(keyed_ids)))} == {
        pid: (r["name"], r["title"]) for pid, r in zip(keyed_ids, keyed)}
    bulk_update(Person, [{"id_number": r["id_number"], "title": f"第{i}", "enforcement_post": True}
                         for i, r in enumerate(rows)], key="id_number")
    db.session.commit()
    got = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
    for i, (pid, r) in enumerate(zip(ids, rows)):
        assert (got[pid].name, got[pid].title, got[pid].enforcement_post) == (r["name"], f"第{i}", True)
        assert got[pid].status_changed_on == r["status_changed_on"] and got[pid].phone == ""


@pytest.mark.parametrize("threshold, analyzed", [(3, True), (100, False)])
def test_a_large_import_analyzes_the_written_tables_on_postgresql(app, db, org, threshold, analyzed):
    app.config["ANALYZE_AFTER_ROWS"] = threshold
    rows = [person_row(f"分析{i}", make_id(), "X01-A") for i in range(4)]
    with statements(db) as sent:
        assert run_import(get_import_kind("people"), io.BytesIO(xlsx(PEOPLE_HEADER, rows))).created == 4
    ran = sorted(s[0] for s in sent.matching("ANALYZE"))
    postgres = db.engine.dialect.name == "postgresql"
    assert ran == (['ANALYZE audit_event', 'ANALYZE person'] if analyzed and postgres else [])
    with statements(db) as sent:  # a dry run writes nothing, so it analyzes nothing
        run_import(get_import_kind("people"), io.BytesIO(xlsx(PEOPLE_HEADER, [person_row("x", make_id(), "X01-A")] * 1)),
                   dry_run=True)
    assert not sent.matching("ANALYZE")
