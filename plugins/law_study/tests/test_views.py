"""The pages: scope, roles, forms and one-POST attendance (SQLite and PostgreSQL)."""
from datetime import date

from sqlalchemy import func, select

from intranet.testing import login, make_person, make_user
from intranet_law_study.models import APPROVED, REPORTED, RETURNED, Attendance, HoursEntry, StudySession

YEAR = date.today().year - 1


def session_form(department, **fields):
    data = {"department_id": department.id, "kind": "局长办公会会前学法", "held_on": f"{YEAR}-03-05",
            "duration_minutes": 45, "topic": "学习行政复议法", "laws": ["《行政复议法》"], "other_laws": "某某条例",
            "speaker": "李四", "speaker_type": "法律顾问", "notes": "", "status": "已举行"}
    data.update(fields)
    return data


def test_department_admin_records_in_own_department_only(client, db, org):
    login(client, org.users["dept_admin_a"])
    ok = client.post("/law-study/sessions/new", data=session_form(org.town_a))
    assert ok.status_code == 302
    session = db.session.scalar(select(StudySession))
    assert session.department_id == org.town_a.id
    assert {(law.name, law.listed) for law in session.laws} == {("《行政复议法》", True), ("《某某条例》", False)}
    assert client.post("/law-study/sessions/new", data=session_form(org.town_b)).status_code in (200, 403)
    assert db.session.scalar(select(func.count()).select_from(StudySession)) == 1


def test_bad_duration_and_future_held_are_refused_by_the_form(client, db, org):
    login(client, org.users["dept_admin_a"])
    html = client.post("/law-study/sessions/new", data=session_form(org.town_a, duration_minutes=0)).get_data(as_text=True)
    assert "1分钟到8小时" in html
    future = date(date.today().year + 1, 1, 5).isoformat()
    html = client.post("/law-study/sessions/new", data=session_form(org.town_a, held_on=future)).get_data(as_text=True)
    assert "尚未到来" in html
    assert db.session.scalar(select(func.count()).select_from(StudySession)) == 0


def test_other_department_cannot_see_or_change_a_session(client, db, org, make_session):
    session = make_session(org.town_a)
    login(client, org.users["dept_admin_b"])
    assert client.get(f"/law-study/sessions/{session.id}").status_code == 403
    assert client.get(f"/law-study/sessions/{session.id}/attendance").status_code == 403
    assert client.post(f"/law-study/sessions/{session.id}/cancel").status_code == 403
    assert "学习《民法典》" not in client.get("/law-study/").get_data(as_text=True)
    login(client, org.users["inspector"])
    assert client.get(f"/law-study/sessions/{session.id}").status_code == 200
    assert client.post(f"/law-study/sessions/{session.id}/cancel").status_code == 403


def test_attendance_page_saves_everyone_in_one_post(client, db, org, make_session):
    other = make_person(org.town_a, "李五")
    outsider = make_person(org.town_b, "王六")
    session = make_session(org.town_a)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    page = client.get(f"/law-study/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "张三" in page and "李五" in page and "王六" not in page
    response = client.post(f"/law-study/sessions/{session.id}/attendance",
                           data={f"status-{org.staff_person.id}": "出席", f"status-{other.id}": "缺席",
                                 f"reason-{other.id}": "出差"})
    assert response.status_code == 302
    marks = dict(db.session.execute(select(Attendance.person_id, Attendance.status)).all())
    assert marks == {org.staff_person.id: "出席", other.id: "缺席"}
    # a person of another town in the same POST: refused, nothing changes
    html = client.post(f"/law-study/sessions/{session.id}/attendance", follow_redirects=True,
                       data={f"status-{org.staff_person.id}": "请假", f"status-{outsider.id}": "出席"}).get_data(as_text=True)
    assert "王六不属于甲镇" in html
    assert dict(db.session.execute(select(Attendance.person_id, Attendance.status)).all()) == marks


def test_sessions_list_filters_by_month_and_department_and_paginates(client, db, org, make_session, app):
    make_session(org.town_a, topic="三月甲镇", held_on=date(YEAR, 3, 1))
    make_session(org.town_a, topic="五月甲镇", held_on=date(YEAR, 5, 1))
    make_session(org.town_b, topic="三月乙镇", held_on=date(YEAR, 3, 2))
    login(client, org.users["bureau"])
    html = client.get(f"/law-study/?month={YEAR}-03").get_data(as_text=True)
    assert "三月甲镇" in html and "三月乙镇" in html and "五月甲镇" not in html
    html = client.get(f"/law-study/?month={YEAR}-03&department={org.town_b.id}").get_data(as_text=True)
    assert "三月乙镇" in html and "三月甲镇" not in html
    assert "月份格式" in client.get("/law-study/?month=2025-13", follow_redirects=True).get_data(as_text=True)
    app.config["PER_PAGE"] = 2
    first, second = client.get("/law-study/").get_data(as_text=True), client.get("/law-study/?page=2").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "五月甲镇" in first and "三月甲镇" in second


def test_staff_logs_self_study_and_the_admin_of_the_department_approves(client, db, org):
    login(client, org.users["staff_a"])
    assert client.get("/law-study/").status_code == 403
    assert client.post("/law-study/sessions/new", data=session_form(org.town_a)).status_code == 403
    response = client.post("/law-study/mine", data={"source": "自学", "day": f"{YEAR}-06-01", "law": "民法典",
                                                    "hours": "2", "evidence": "学习笔记"})
    assert response.status_code == 302
    entry = db.session.scalar(select(HoursEntry))
    assert (entry.person_id, entry.minutes, entry.state, entry.law) == (org.staff_person.id, 120, REPORTED, "《民法典》")
    html = client.post("/law-study/mine", follow_redirects=True, data={"source": "自学", "day": f"{YEAR}-06-01",
                                                                      "law": "《民法典》", "hours": "1"}).get_data(as_text=True)
    assert "不能重复登记" in html
    assert client.post(f"/law-study/entries/{entry.id}/approve").status_code == 403
    login(client, org.users["dept_admin_b"])
    assert "张三" not in client.get("/law-study/approvals").get_data(as_text=True)
    assert client.post(f"/law-study/entries/{entry.id}/approve").status_code == 403
    login(client, org.users["dept_admin_a"])
    assert "张三" in client.get("/law-study/approvals").get_data(as_text=True)
    assert client.post(f"/law-study/entries/{entry.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(HoursEntry, entry.id).state == APPROVED
    login(client, org.users["staff_a"])
    assert "2.0" in client.get(f"/law-study/mine?year={YEAR}").get_data(as_text=True)


def test_return_needs_a_reason(client, db, org):
    login(client, org.users["staff_a"])
    client.post("/law-study/mine", data={"source": "自学", "day": f"{YEAR}-06-01", "law": "民法典", "hours": "1"})
    entry = db.session.scalar(select(HoursEntry))
    login(client, org.users["dept_admin_a"])
    client.post(f"/law-study/entries/{entry.id}/return", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(HoursEntry, entry.id).state == REPORTED
    client.post(f"/law-study/entries/{entry.id}/return", data={"reason": "佐证不足"})
    db.session.expire_all()
    assert (db.session.get(HoursEntry, entry.id).state, db.session.get(HoursEntry, entry.id).return_reason) == (RETURNED, "佐证不足")


def test_user_without_person_cannot_claim(client, db, org):
    login(client, org.users["inspector"])
    assert "未关联人员档案" in client.get("/law-study/mine").get_data(as_text=True)
    assert client.post("/law-study/mine", data={"source": "自学", "day": f"{YEAR}-06-01", "law": "民法典",
                                                 "hours": "1"}).status_code == 403


def test_year_closing_and_settings_are_for_the_bureau(client, db, org):
    login(client, org.users["dept_admin_a"])
    assert client.post("/law-study/years", data={"year": YEAR}).status_code == 403
    assert client.post("/law-study/settings", data={}).status_code == 403
    login(client, org.users["bureau"])
    assert client.post("/law-study/years", data={"year": YEAR}).status_code == 302
    html = client.post("/law-study/years", data={"year": YEAR}, follow_redirects=True).get_data(as_text=True)
    assert f"{YEAR}年度已经锁定" in html
    form = {"person_hours_target": 30, "enforcement_hours_target": 48, "pre_meeting_target": 6, "lecture_target": 3,
            "self_study_cap_hours": 16, "external_cap_hours": 0, "day_cap_hours": 6, "prerequisite_months": 12,
            "prerequisite_hours": 0, "submit_days_ahead": 5, "speaker_max_minutes": 30, "evidence_max_mb": 10,
            "plan_due_month": 3, "approval_flow": "y", "laws": "民法典\n《宪法》\n民法典"}
    assert client.post("/law-study/settings", data=form).status_code == 302
    from intranet_law_study import settings
    assert settings.get("person_hours_target") == 30 and settings.get("laws") == ["《民法典》", "《宪法》"]
    assert settings.target_hours(True) == 48 and settings.target_hours(False) == 30
    assert settings.get("approval_flow") is True


def test_county_admin_records_subtree_attendance_for_a_training(client, db, org, make_session):
    county_admin = make_user("dept_admin", org.county, username="county_admin")
    db.session.commit()
    session = make_session(org.county, kind="培训班")
    login(client, county_admin)
    assert "张三" in client.get(f"/law-study/sessions/{session.id}/attendance").get_data(as_text=True)
    client.post(f"/law-study/sessions/{session.id}/attendance", data={f"status-{org.staff_person.id}": "出席"})
    assert db.session.scalar(select(HoursEntry.minutes).where(HoursEntry.person_id == org.staff_person.id)) == 60


def test_settings_and_year_closing_change_only_for_a_whole_tree_bureau_user(client, db, org):
    from intranet.testing import make_user
    from intranet_law_study import settings
    from intranet_law_study.models import YearClosing
    district = make_user("bureau", org.county, username="sfj_county")
    db.session.commit()
    login(client, district)
    page = client.get("/law-study/settings")
    assert page.status_code == 200 and "保存设置" not in page.get_data(as_text=True)
    years = client.get("/law-study/years")
    assert years.status_code == 200 and "锁定该年度" not in years.get_data(as_text=True)
    form = {key: value for key, value in settings.DEFAULTS.items() if not isinstance(value, (bool, list))}
    form.update(person_hours_target=settings.get("person_hours_target") + 1, laws="《宪法》")
    assert client.post("/law-study/settings", data=form).status_code == 403
    assert client.post("/law-study/years", data={"year": YEAR}).status_code == 403
    db.session.expire_all()
    assert settings.get("laws") != ["《宪法》"] and db.session.query(YearClosing).count() == 0
    login(client, org.users["admin"])
    assert "保存设置" in client.get("/law-study/settings").get_data(as_text=True)
    assert client.post("/law-study/settings", data=form).status_code == 302
    db.session.expire_all()
    assert settings.get("laws") == ["《宪法》"]
