"""Registration, result entry and cancellation of the same candidate at the same moment: they
take turns (no deadlock: registration locks the exam then the registrations, result entry and
cancellation only the registration), and no cancelled registration ever carries a result
(SQLite and PostgreSQL)."""
from __future__ import annotations

from sqlalchemy import func, select

from intranet.extensions import db as _db
from intranet.locking import StateChanged
from intranet.models import Department, Person
from intranet.testing import make_person, run_in_parallel
from intranet_exams import service
from intranet_exams.models import Exam, ExamResult, Registration

ROUNDS = 4


def test_register_record_and_cancel_at_once(app, db, org, make_exam, register_people):
    exam = make_exam()
    exam_id, town_id = exam.id, org.town_a.id
    for _ in range(ROUNDS):
        town = db.session.get(Department, town_id)
        person, newcomer = make_person(town), make_person(town)
        register_people(db.session.get(Exam, exam_id), [person])
        pid, nid = person.id, newcomer.id
        db.session.remove()

        def act(i, _prepared):
            exam = _db.session.get(Exam, exam_id)
            person = _db.session.get(Person, pid)
            try:
                if i == 0:
                    service.register(exam, [person, _db.session.get(Person, nid)], "已报名", None)
                elif i == 1:
                    service.record_result(exam, person, "参考", 75, None)
                else:
                    service.cancel(service.registration_of(exam, person), None)
                _db.session.commit()
                return "done"
            except (service.ExamError, StateChanged) as exc:   # refused: the other one came first
                _db.session.rollback()
                return str(exc)
            finally:
                _db.session.remove()

        results = run_in_parallel(app, 3, act, timeout=60)
        assert not any(isinstance(r, BaseException) for r in results), results
        db.session.expire_all()
        reg = db.session.scalar(select(Registration).where(Registration.exam_id == exam_id,
                                                           Registration.person_id == pid))
        results_of = db.session.scalar(select(func.count()).select_from(ExamResult)
                                       .where(ExamResult.exam_id == exam_id, ExamResult.person_id == pid))
        assert results_of <= 1
        assert not (reg.status == "已取消" and results_of), (reg.status, results_of, results)
        assert (results[1] == "done") == bool(results_of)
    per_person = db.session.execute(select(Registration.person_id, func.count()).where(Registration.exam_id == exam_id)
                                    .group_by(Registration.person_id)).all()
    assert all(n == 1 for _pid, n in per_person) and len(per_person) == 2 * ROUNDS
