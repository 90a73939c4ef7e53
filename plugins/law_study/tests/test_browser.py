"""The main flow in a real browser, CSRF on: a department admin records a session with attendance,
a civil servant logs self-study, the admin approves it, and the hours show."""
from datetime import date

import pytest
from sqlalchemy import select

from intranet.testing import browser_login, make_person
from intranet_law_study.models import Attendance, HoursEntry

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def switch(page, username):
    page.context.clear_cookies()   # log out
    browser_login(page, username)


def test_session_attendance_self_study_and_approval(db, org, request):
    make_person(org.town_a, "李四")
    db.session.commit()
    # The live server is a forked process: start it only now, with no pooled connection to share
    # (on PostgreSQL two processes on one socket break each other).
    db.session.remove()
    db.engine.dispose()
    page = request.getfixturevalue("page")
    today = date.today().isoformat()
    browser_login(page, "admin_a")
    page.goto(f"{page.base_url}/law-study/sessions/new")
    page.select_option("select[name=kind]", "局长办公会会前学法")
    page.fill("input[name=held_on]", today)
    page.fill("input[name=duration_minutes]", "60")
    page.fill("input[name=topic]", "学习行政处罚法")
    page.select_option("select[name=laws]", ["《行政处罚法》"])
    page.select_option("select[name=status]", "已举行")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=学法活动已保存")
    page.click("text=登记出勤")
    row = page.locator("tr", has_text="李四")
    row.locator("input[value=缺席]").check()
    row.locator("input[type=text]").fill("出差")
    page.click("button:has-text('保存出勤')")
    page.wait_for_selector("text=已保存出勤情况")

    switch(page, "zhangsan")
    page.goto(f"{page.base_url}/law-study/mine")
    page.fill("input[name=law]", "《民法典》")
    page.fill("input[name=hours]", "2")
    page.fill("input[name=evidence]", "学习笔记三页")
    page.click("button:has-text('提交审核')")
    page.wait_for_selector("text=等待本单位管理员审核")

    switch(page, "admin_a")
    page.goto(f"{page.base_url}/law-study/approvals")
    page.locator("tr", has_text="张三").locator("button:has-text('通过')").click()
    page.wait_for_selector("text=已审核通过")

    switch(page, "zhangsan")
    page.goto(f"{page.base_url}/law-study/mine")
    db.session.expire_all()
    marks = {a.person.name: a.status for a in db.session.scalars(select(Attendance))}
    assert marks == {"张三": "出席", "李四": "缺席"}
    credited = sum(e.minutes for e in db.session.scalars(select(HoursEntry).where(HoursEntry.state == "已审核")))
    assert credited == 60 + 120
    figure = page.locator("dl.figures div", has_text="已计入学时").locator("dd").inner_text()
    assert float(figure) == credited / 60
