"""Out-of-range numbers and dates in the plugin's forms and query strings are refused, never a 500,
and change nothing (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from intranet.inputs import DB_INT_MAX
from intranet.testing import login
from intranet_law_study.models import Attendance, StudySession

YEAR = date.today().year - 1
HUGE = str(DB_INT_MAX + 1)


def _form(department, **fields):
    data = {"department_id": department.id, "kind": "局长办公会会前学法", "held_on": f"{YEAR}-03-05",
            "duration_minutes": 45, "topic": "学习行政复议法", "status": "计划", "plan_item_id": 0, "speaker_type": ""}
    data.update(fields)
    return data


def _sessions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(StudySession))


def test_session_form_refuses_huge_ids_numbers_and_implausible_dates(client, db, org):
    login(client, org.users["dept_admin_a"])
    for bad in ({"department_id": HUGE}, {"plan_item_id": HUGE}, {"duration_minutes": "9" * 20},
                {"held_on": "1800-01-01"}, {"held_on": "9999-12-31"}):
        response = client.post("/law-study/sessions/new", data=_form(org.town_a, **bad))
        assert response.status_code == 200, bad   # the form again, with its error
    assert _sessions(db) == 0
    ok = client.post("/law-study/sessions/new", data=_form(org.town_a))
    assert ok.status_code == 302, ok.get_data(as_text=True)
    assert _sessions(db) == 1


def test_list_filters_with_huge_or_implausible_values_are_not_a_500(client, db, org):
    login(client, org.users["bureau"])
    for url in (f"/law-study/?department={HUGE}", f"/law-study/sessions/new?plan_item={HUGE}",
                f"/law-study/plans?year={HUGE}", f"/law-study/compilation?department={HUGE}",
                f"/law-study/reminders?year={HUGE}"):
        assert client.get(url).status_code == 404, url
    login(client, org.users["staff_a"])
    assert client.get(f"/law-study/mine?year={HUGE}").status_code == 404
    login(client, org.users["bureau"])
    for month in ("0000-01", "9999-12"):
        page = client.get(f"/law-study/?month={month}")
        assert page.status_code == 200 and "月份格式应为" in page.get_data(as_text=True), month


def test_list_department_filter_outside_the_scope_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/law-study/?department={org.town_b.id}").status_code == 403
    assert client.get(f"/law-study/?department={org.town_a.id}").status_code == 200


def test_attendance_for_a_huge_person_id_changes_nothing(client, db, org, make_session):
    session = make_session(org.town_a)
    login(client, org.users["dept_admin_a"])
    response = client.post(f"/law-study/sessions/{session.id}/attendance",
                           data={f"status-{org.staff_person.id}": "出席", f"status-{HUGE}": "出席"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0
