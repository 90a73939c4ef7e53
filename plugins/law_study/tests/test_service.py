"""The rules of sessions, attendance, the 学时台账 and the year lock (SQLite and PostgreSQL)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import make_person
from intranet_law_study import service, settings
from intranet_law_study.figures import person_summary
from intranet_law_study.models import (APPROVED, CONCENTRATED, HELD, LOCKED, PLANNED, REPORTED, RETURNED, VOID,
                                       Attendance, HoursEntry, StudySession)
from intranet_law_study.service import SessionValues, StudyError

YEAR = date.today().year - 1   # a past year: every date in it may be marked held


def values(department, **fields):
    base = dict(department_id=department.id, kind="集中学法", held_on=date(YEAR, 5, 1), duration_minutes=90,
                topic="学习行政处罚法", laws=["《行政处罚法》"], status=HELD)
    base.update(fields)
    return SessionValues(**base)


def entries(db, person, **where):
    stmt = select(HoursEntry).where(HoursEntry.person_id == person.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(HoursEntry, key) == value)
    return list(db.session.scalars(stmt.order_by(HoursEntry.id)))


@pytest.mark.parametrize("minutes", [0, 481, None])
def test_duration_must_be_one_minute_to_eight_hours(db, org, minutes):
    with pytest.raises(StudyError, match="1分钟到8小时"):
        service.save_session(None, values(org.town_a, duration_minutes=minutes), None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StudySession)) == 0


def test_duration_limits_are_accepted(db, org):
    service.save_session(None, values(org.town_a, duration_minutes=1), None)
    service.save_session(None, values(org.town_a, duration_minutes=480, held_on=date(YEAR, 5, 2)), None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StudySession)) == 2


def test_future_date_cannot_be_marked_held(db, org):
    future = date.today() + timedelta(days=3)
    with pytest.raises(StudyError, match="尚未到来"):
        service.save_session(None, values(org.town_a, held_on=future), None)
    db.session.rollback()
    planned = service.save_session(None, values(org.town_a, held_on=future, status=PLANNED), None)
    db.session.commit()
    with pytest.raises(StudyError, match="尚未到来"):
        service.mark_held(planned, None)
    db.session.rollback()
    assert db.session.get(StudySession, planned.id).status == PLANNED


def test_unknown_law_is_kept_and_flagged(db, org):
    session = service.save_session(None, values(org.town_a, laws=["《民法典》", "《某某自创条例》"]), None)
    db.session.commit()
    assert {(law.name, law.listed) for law in session.laws} == {("《民法典》", True), ("《某某自创条例》", False)}
    assert service.unlisted(["《民法典》", "《某某自创条例》"]) == ["《某某自创条例》"]
    assert settings.split_laws("民法典、《中华人民共和国行政处罚法》《宪法》") == ["《民法典》", "《行政处罚法》", "《宪法》"]


def test_attendance_outside_the_department_is_refused(db, org, make_session):
    session = make_session(org.town_a)
    stranger = make_person(org.town_b, "乙镇人员")
    db.session.commit()
    with pytest.raises(StudyError, match="不属于甲镇"):
        service.record_attendance(session, {org.staff_person.id: ("出席", ""), stranger.id: ("出席", "")}, None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert db.session.scalar(select(func.count()).select_from(HoursEntry)) == 0


def test_concentrated_study_of_a_higher_unit_takes_its_subtree(db, org, make_session, attend):
    session = make_session(org.county, kind=CONCENTRATED)
    town_person = make_person(org.town_b)
    outsider = make_person(org.market)
    db.session.commit()
    attend(session, [org.staff_person, town_person])
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 2
    with pytest.raises(StudyError, match="不属于永安县及其下属单位"):
        service.record_attendance(session, {outsider.id: ("出席", "")}, None)
    db.session.rollback()
    # a pre-meeting session of the county does not take the towns' people
    own = make_session(org.county, held_on=date(YEAR, 3, 11))
    with pytest.raises(StudyError, match="不属于永安县"):
        service.record_attendance(own, {town_person.id: ("出席", "")}, None)


def test_absence_needs_a_reason(db, org, make_session):
    session = make_session(org.town_a)
    with pytest.raises(StudyError, match="缺席原因"):
        service.record_attendance(session, {org.staff_person.id: ("缺席", " ")}, None)


def test_attendance_only_for_a_held_session(db, org, make_session):
    session = make_session(org.town_a, status=PLANNED)
    with pytest.raises(StudyError, match="已举行"):
        service.record_attendance(session, {org.staff_person.id: ("出席", "")}, None)


def test_presence_credits_the_duration_and_absence_voids_it(db, org, make_session, attend):
    session = make_session(org.town_a, duration_minutes=90)
    attend(session, [org.staff_person])
    [entry] = entries(db, org.staff_person)
    assert (entry.source, entry.minutes, entry.state, entry.session_id) == ("会议出勤", 90, APPROVED, session.id)
    attend(session, {org.staff_person: "缺席"})
    assert [e.state for e in entries(db, org.staff_person)] == [VOID]
    attend(session, {org.staff_person: "出席"})
    assert [e.state for e in entries(db, org.staff_person)] == [APPROVED]
    # a longer duration follows into the ledger
    service.save_session(db.session.get(StudySession, session.id),
                         values(org.town_a, kind=session.kind, held_on=session.held_on, duration_minutes=120), None)
    db.session.commit()
    assert [e.minutes for e in entries(db, org.staff_person)] == [120]
    service.cancel_session(db.session.get(StudySession, session.id), None)
    db.session.commit()
    assert [e.state for e in entries(db, org.staff_person)] == [VOID]


def test_day_cap_limits_meeting_credit(db, org, make_session, attend):
    day = date(YEAR, 4, 1)
    first = make_session(org.town_a, duration_minutes=480, held_on=day)
    second = make_session(org.town_a, duration_minutes=60, held_on=day, kind="法治专题讲座")
    attend(first, [org.staff_person])
    attend(second, [org.staff_person])
    assert sum(e.minutes for e in entries(db, org.staff_person, state=APPROVED)) == 480


def claim(person, day=None, law="《民法典》", hours=2.0, source="自学"):
    return service.log_claim(person, source=source, day=day or date(YEAR, 6, 1), law=law, hours=hours,
                             evidence="笔记", user=None)


def test_self_study_same_day_and_law_is_refused(db, org):
    claim(org.staff_person)
    db.session.commit()
    with pytest.raises(StudyError, match="不能重复登记"):
        claim(org.staff_person, law="民法典")
    db.session.rollback()
    claim(org.staff_person, law="《行政处罚法》")   # another law the same day is fine
    db.session.commit()
    assert len(entries(db, org.staff_person)) == 2


def test_self_study_after_a_return_may_be_claimed_again(db, org):
    entry, _ = claim(org.staff_person)
    service.return_entry(entry, "佐证不足", org.users["dept_admin_a"])
    db.session.commit()
    claim(org.staff_person)
    db.session.commit()
    assert [e.state for e in entries(db, org.staff_person)] == [RETURNED, REPORTED]


def test_day_cap_for_claims(db, org, make_session, attend):
    day = date(YEAR, 7, 1)
    attend(make_session(org.town_a, held_on=day, duration_minutes=360), [org.staff_person])
    with pytest.raises(StudyError, match="每天最多计入8学时"):
        claim(org.staff_person, day=day, hours=2.5)
    db.session.rollback()
    claim(org.staff_person, day=day, hours=2)
    db.session.commit()
    with pytest.raises(StudyError, match="每天最多计入8学时"):
        claim(org.staff_person, day=date(YEAR, 7, 2), hours=8.5)


def test_self_study_cap_per_year(db, org):
    for i in range(5):
        claim(org.staff_person, day=date(YEAR, 2, 1 + i), hours=4)
    db.session.commit()
    with pytest.raises(StudyError, match="每年最多计入20学时"):
        claim(org.staff_person, day=date(YEAR, 3, 1), hours=0.5)
    db.session.rollback()
    settings.put("self_study_cap_hours", 21)
    claim(org.staff_person, day=date(YEAR, 3, 1), hours=1)
    db.session.commit()


def test_claim_dates_and_amounts(db, org):
    with pytest.raises(StudyError, match="未来日期"):
        claim(org.staff_person, day=date.today() + timedelta(days=1))
    with pytest.raises(StudyError, match="0.5"):
        claim(org.staff_person, hours=0.3)
    with pytest.raises(StudyError, match="所学法律"):
        claim(org.staff_person, law="")
    db.session.rollback()
    assert entries(db, org.staff_person) == []


def test_review(db, org):
    entry, flagged = claim(org.staff_person, law="某某自创办法")
    assert flagged
    db.session.commit()
    service.approve(entry, org.users["dept_admin_a"])
    db.session.commit()
    assert db.session.get(HoursEntry, entry.id).state == APPROVED
    with pytest.raises(StudyError, match="不能再审核"):
        service.approve(db.session.get(HoursEntry, entry.id), org.users["dept_admin_a"])
    other, _ = claim(org.staff_person, law="《宪法》")
    with pytest.raises(StudyError, match="原因"):
        service.return_entry(other, "  ", org.users["dept_admin_a"])
    with pytest.raises(StudyError, match="本人"):
        service.approve(other, org.users["staff_a"])
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"law_study.claim", "law_study.approve"} <= actions


def test_year_closing_locks_entries_and_refuses_changes(db, org, make_session, attend):
    session = make_session(org.town_a)
    attend(session, [org.staff_person])
    approved, _ = claim(org.staff_person, day=date(YEAR, 8, 1))
    pending, _ = claim(org.staff_person, day=date(YEAR, 8, 2))
    service.approve(approved, org.users["dept_admin_a"])
    db.session.commit()
    closing = service.close_year(YEAR, org.users["bureau"])
    db.session.commit()
    assert closing.entries_locked == 2
    states = {e.id: e.state for e in entries(db, org.staff_person)}
    assert states[approved.id] == LOCKED and states[pending.id] == REPORTED
    refused = [
        lambda: service.approve(db.session.get(HoursEntry, pending.id), org.users["dept_admin_a"]),
        lambda: claim(org.staff_person, day=date(YEAR, 9, 1)),
        lambda: service.record_attendance(db.session.get(StudySession, session.id),
                                          {org.staff_person.id: ("缺席", "病假")}, None),
        lambda: service.save_session(None, values(org.town_a), None),
        lambda: service.cancel_session(db.session.get(StudySession, session.id), None),
        lambda: service.close_year(YEAR, org.users["bureau"]),
    ]
    for change in refused:
        with pytest.raises(StudyError, match="锁定"):
            change()
        db.session.rollback()
    assert {e.id: e.state for e in entries(db, org.staff_person)} == states
    with pytest.raises(StudyError, match="尚未开始"):
        service.close_year(date.today().year + 1, org.users["bureau"])


def test_summary_applies_the_self_study_cap_and_counts_sessions(db, org, make_session, attend):
    attend(make_session(org.town_a, duration_minutes=120, laws=["《宪法》"]), [org.staff_person])
    for i in range(5):
        entry, _ = claim(org.staff_person, day=date(YEAR, 2, 1 + i), hours=4)
        service.approve(entry, org.users["dept_admin_a"])
    db.session.commit()
    settings.put("self_study_cap_hours", 10)   # lowered after the claims: only 10 of the 20 count
    s = person_summary(org.staff_person, YEAR)
    assert s["by_source"]["自学"] == 20 and s["by_source"]["会议出勤"] == 2
    assert s["hours"] == 12 and s["sessions"] == 1 and s["target"] == 40 and not s["met"]
    assert s["laws"] == ["《宪法》", "《民法典》"]
