"""Two admins save the attendance of one session at the same moment, again and again: every
person keeps one attendance row and at most one ledger entry, the result is one admin's whole
submission (never a mix), and the credits match it (SQLite and PostgreSQL)."""
from __future__ import annotations

from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import make_person, make_user, run_in_parallel
from intranet_law_study import service
from intranet_law_study.models import ABSENT, APPROVED, PRESENT, Attendance, HoursEntry

PEOPLE = 20
ROUNDS = 4


def test_two_admins_edit_one_sessions_attendance_at_once(app, db, org, make_session):
    session = make_session(org.town_a)
    people = [make_person(org.town_a) for _ in range(PEOPLE)]
    admins = [make_user("dept_admin", org.town_a) for _ in range(2)]
    db.session.commit()
    ids, session_id, admin_ids = [p.id for p in people], session.id, [a.id for a in admins]
    # admin 0 marks everyone present; admin 1 marks the even half absent
    submissions = [{pid: (PRESENT, "") for pid in ids},
                   {pid: (ABSENT, "出差") if n % 2 == 0 else (PRESENT, "") for n, pid in enumerate(ids)}]
    db.session.remove()

    def save(i, _prepared):
        from intranet.extensions import db as tdb
        from intranet.models import User
        from intranet_law_study.models import StudySession
        changed = service.record_attendance(tdb.session.get(StudySession, session_id), submissions[i],
                                            tdb.session.get(User, admin_ids[i]))
        tdb.session.commit()
        tdb.session.remove()
        return changed

    changes = 0
    for _ in range(ROUNDS):
        results = run_in_parallel(app, 2, save)
        assert not any(isinstance(r, BaseException) for r in results), results
        changes += sum(1 for r in results if r)
        db.session.expire_all()
        rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session_id)).all()
        assert sorted(r.person_id for r in rows) == sorted(ids)           # one row a person
        marks = {r.person_id: (r.status, r.reason) for r in rows}
        assert marks in submissions                                      # one admin's whole save
        entries = db.session.scalars(select(HoursEntry).where(HoursEntry.session_id == session_id)).all()
        assert len({e.attendance_id for e in entries}) == len(entries)   # at most one entry an attendance
        credited = sorted(e.person_id for e in entries if e.state == APPROVED)
        assert credited == sorted(pid for pid, (status, _r) in marks.items() if status == PRESENT)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "law_study.attendance")) == changes
