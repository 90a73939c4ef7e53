"""The study-sessions and study-attendance imports: bad inputs refused, nothing half-imported."""
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from intranet.imports import get_import_kind, run_import
from intranet.testing import make_person, xlsx_bytes
from intranet_law_study import service
from intranet_law_study.models import Attendance, HoursEntry, SessionLaw, StudySession

YEAR = date.today().year - 1


def run(name, rows, user):
    kind = get_import_kind(name)
    return run_import(kind, io.BytesIO(xlsx_bytes(kind.column_names, rows)), user=user)


def session_row(code, dept="X01-A", day=None, minutes=60, laws="《民法典》、行政处罚法", kind="法治专题讲座"):
    return [code, dept, (day or date(YEAR, 3, 1)).isoformat(), kind, "专题讲座", laws, "王律师", "法律顾问", minutes]


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def messages(result):
    return " ".join(e.message for e in result.errors)


def test_sessions_import(db, org):
    future = date.today() + timedelta(days=10)
    result = run("study-sessions", [session_row("H1"), session_row("H2", day=future, laws="《某地方办法》")],
                 org.users["dept_admin_a"])
    assert result.ok and result.created == 2
    statuses = dict(db.session.execute(select(StudySession.code, StudySession.status)).all())
    assert statuses == {"H1": "已举行", "H2": "计划"}
    assert set(db.session.execute(select(SessionLaw.name, SessionLaw.listed)).all()) == {
        ("《民法典》", True), ("《行政处罚法》", True), ("《某地方办法》", False)}
    assert "不在法律目录" in " ".join(w.message for w in result.warnings)


def test_sessions_import_bad_rows_import_nothing(db, org):
    service.close_year(YEAR - 1, None)
    db.session.commit()
    run("study-sessions", [session_row("OLD")], org.users["admin"])
    cases = [
        ([session_row("A1"), session_row("A1")], "在文件中重复"),
        ([session_row("A2"), session_row("OLD")], "已存在"),
        ([session_row("A3"), session_row("A4", minutes=0)], "1分钟到8小时"),
        ([session_row("A5"), session_row("A6", minutes=481)], "1分钟到8小时"),
        ([session_row("A7"), session_row("A8", dept="X01-B")], "无权"),
        ([session_row("A9"), session_row("A10", day=date(YEAR - 1, 5, 1))], "年度锁定"),
        ([session_row("A11"), session_row("A12", dept="NOPE")], "不存在"),
    ]
    for rows, message in cases:
        result = run("study-sessions", rows, org.users["dept_admin_a"])
        assert not result.ok and message in messages(result), message
    assert list(db.session.scalars(select(StudySession.code))) == ["OLD"]


def test_attendance_import(db, org, make_session):
    s = make_session(org.town_a, code="S1", duration_minutes=90)
    mate = make_person(org.town_a, "甲二")
    db.session.commit()
    rows = [["S1", org.staff_person.id_number, "出席", ""], ["S1", mate.id_number, "缺席", "出差"]]
    result = run("study-attendance", rows, org.users["dept_admin_a"])
    assert result.ok and result.created == 2
    assert dict(db.session.execute(select(Attendance.person_id, Attendance.status)).all()) == {
        org.staff_person.id: "出席", mate.id: "缺席"}
    assert db.session.scalar(select(HoursEntry.minutes).where(HoursEntry.session_id == s.id)) == 90


def test_attendance_import_bad_rows_import_nothing(db, org, make_session):
    make_session(org.town_a, code="S1")
    make_session(org.town_a, code="P1", status="计划", held_on=date.today() + timedelta(days=5))
    stranger = make_person(org.town_b, "乙镇人员")
    db.session.commit()
    me = org.staff_person.id_number
    cases = [
        ([["S1", me, "出席", ""], ["S1", stranger.id_number, "出席", ""]], "不属于甲镇"),
        ([["S1", me, "出席", ""], ["NOPE", me, "出席", ""]], "不存在"),
        ([["S1", me, "缺席", ""]], "缺席原因"),
        ([["S1", me, "出席", ""], ["S1", me, "请假", ""]], "重复"),
        ([["P1", me, "出席", ""]], "只能为已举行的活动"),
        ([["S1", me, "迟到", ""]], "应为：出席、缺席、请假"),
    ]
    for rows, message in cases:
        result = run("study-attendance", rows, org.users["dept_admin_a"])
        assert not result.ok and message in messages(result), (message, messages(result))
    result = run("study-attendance", [["S1", me, "出席", ""]], org.users["dept_admin_b"])
    assert not result.ok and "无权" in messages(result)
    assert count(db, Attendance) == 0 and count(db, HoursEntry) == 0
