"""The core's main flows in a real browser, with CSRF on."""

import pytest
from sqlalchemy import select

from intranet.models import Person
from intranet.testing import browser_login, make_id, xlsx_bytes

pytestmark = pytest.mark.browser

PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]


def people_file(rows) -> bytes:
    return xlsx_bytes(PEOPLE_HEADER, [[name, number, code, "科员", "行政编制", "是", "在岗", None, "否"]
                                      for name, number, code in rows])


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def test_department_admin_adds_a_person(page, db, org):
    number = make_id()
    browser_login(page, "admin_a")
    page.click("nav.mainnav >> text=人员")
    page.click("text=添加人员")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=id_number]", number)
    page.select_option("select[name=department_id]", str(org.town_a.id))
    page.fill("input[name=title]", "执法队员")
    page.check("input[name=enforcement_post]")
    page.click("button[type=submit] >> text=保存")
    page.wait_for_url("**/people/*")
    assert "李四 · 学法档案" in page.content()
    page.goto(page.base_url + "/people/")
    row = page.locator("tr", has_text="李四")
    assert row.count() == 1
    assert number[:6] + "********" + number[-4:] in row.inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(Person).where(Person.id_number == number)).department_id == org.town_a.id


def test_bad_import_file_shows_row_errors(page, db, org):
    rows = [("李四", make_id(), "X01-A"), ("王五", "130821198506120000", "X01-A"), ("赵六", make_id(), "NOPE")]
    browser_login(page, "sfj")
    page.goto(page.base_url + "/imports/")
    page.set_input_files("#import-people input[type=file]", files=[{
        "name": "人员.xlsx", "buffer": people_file(rows),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.click("#import-people button[type=submit]")
    page.wait_for_selector("table.row-errors")
    text = page.inner_text("table.row-errors")
    assert "身份证号校验位错误" in text and "单位编码 NOPE 不存在" in text
    assert "导入失败" in page.content()
    assert page.locator("text=下载错误报告").count() == 1
    db.session.expire_all()
    assert db.session.scalar(select(Person).where(Person.name == "李四")) is None
