"""The 学法记录台账 workbook, the 签到表 and the year-end 学法汇编."""
import io
from datetime import date

from openpyxl import load_workbook

from intranet.testing import login, make_person
from intranet_law_study.export import COLUMNS

YEAR = date.today().year - 1


def test_ledger_workbook_has_the_sessions_in_scope(client, db, org, make_session, attend):
    s = make_session(org.town_a, topic="=HYPERLINK(\"x\")", laws=["《民法典》", "《宪法》"], held_on=date(YEAR, 3, 2))
    mate = make_person(org.town_a, "甲二")
    db.session.commit()
    attend(s, {org.staff_person: "出席", mate: "缺席"})
    make_session(org.town_b, topic="乙镇的活动")
    login(client, org.users["dept_admin_a"])
    response = client.get(f"/law-study/export.xlsx?month={YEAR}-03")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS and len(rows) == 2
    row = dict(zip(COLUMNS, rows[1]))
    assert row["主题"] == s.topic and row["学习法律"] == "《民法典》《宪法》"
    assert (row["出席"], row["缺席"], row["请假"]) == (1, 1, 0)
    assert sheet.cell(2, COLUMNS.index("主题") + 1).data_type == "s"   # text, never a formula


def test_sign_in_sheet_lists_the_departments_people(client, db, org, make_session):
    make_person(org.town_b, "乙镇人员")
    make_person(org.town_a, "已退休的人", status="退休")
    s = make_session(org.town_a, status="计划", held_on=date.today())
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/law-study/sessions/{s.id}/sign-in").get_data(as_text=True)
    assert "张三" in html and "乙镇人员" not in html and "已退休的人" not in html
    login(client, org.users["dept_admin_b"])
    assert client.get(f"/law-study/sessions/{s.id}/sign-in").status_code == 403


def test_compilation_lists_held_sessions_and_plan(client, db, org, make_session, attend):
    from intranet_law_study import service
    item = service.add_plan_item(department_id=org.town_a.id, year=YEAR, month=3, topic="计划主题", laws="", kind="集中学法",
                                 user=None)
    db.session.commit()
    held = make_session(org.town_a, topic="举行的活动", plan_item_id=item.id)
    attend(held, [org.staff_person])
    make_session(org.town_a, topic="计划中的活动", status="计划", held_on=date(YEAR, 4, 1))
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/law-study/compilation?department={org.town_a.id}&year={YEAR}").get_data(as_text=True)
    assert "举行的活动" in html and "计划中的活动" not in html and "计划事项 1 项，已按计划举行 1 项" in html
    assert client.get(f"/law-study/compilation?department={org.town_b.id}&year={YEAR}").status_code == 404


def test_a_persons_archive_downloads_as_word_for_the_year(client, db, org, make_session, attend):
    from docx import Document
    s = make_session(org.town_a, topic="学习《行政复议法》", laws=["《行政复议法》"], held_on=date(YEAR, 5, 6),
                     duration_minutes=120)
    make_session(org.town_a, topic="别的年度", held_on=date(YEAR - 1, 5, 6))
    attend(s, {org.staff_person: "出席"})
    person = org.staff_person
    login(client, org.users["staff_a"])                       # the person themself
    response = client.get(f"/law-study/people/{person.id}/archive.docx?year={YEAR}")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    tables = Document(io.BytesIO(response.data)).tables
    assert f"{person.name}{YEAR}年度学法情况" in text.replace("\n", "")
    assert f"{YEAR}年已计入学时2学时" in text and "全年参加学法活动1次" in text and "《行政复议法》" in text
    assert any("学习《行政复议法》" in c.text for t in tables for r in t.rows for c in r.cells)
    assert not any("别的年度" in c.text for t in tables for r in t.rows for c in r.cells)
    assert person.id_number not in response.data.decode("latin-1")
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/law-study/people/{person.id}/archive.docx?year={YEAR}").status_code == 200
    login(client, org.users["dept_admin_b"])                  # another town's admin
    assert client.get(f"/law-study/people/{person.id}/archive.docx?year={YEAR}").status_code == 403
    other = make_person(org.town_a, "同事")
    db.session.commit()
    login(client, org.users["staff_a"])                       # staff see only their own
    assert client.get(f"/law-study/people/{other.id}/archive.docx").status_code == 403
    assert client.get(f"/law-study/people/{person.id}/archive.docx?year=1800").status_code == 404
