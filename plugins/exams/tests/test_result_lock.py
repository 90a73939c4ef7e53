"""A result, a graded paper or a new paper never lands on an exam withdrawn at the same moment.

One thread withdraws the exam and holds its lock for a while before committing; the other, which
loaded the exam before (still active), grades, records or starts meanwhile. Without the shared
lock on the exam (service.share_exam) the second commits first with the stale state; with it, it
waits for the withdrawal and then sees it.
"""
import threading
import time

from sqlalchemy import func, select

from intranet.extensions import db as _db
from intranet.locking import lock
from intranet.models import AuditEvent, Person
from intranet.testing import make_person, run_in_parallel

from intranet_exams import online, service
from intranet_exams.models import Exam, ExamResult, Paper
from intranet_exams.service import ExamError

HOLD = 1.0  # seconds the withdrawal holds the exam's lock before committing


def while_withdrawn(app, exam_id, action):
    """Run ``action()`` in one thread while another has withdrawn ``exam_id`` but not yet committed.

    ``action`` gets the exam as loaded before the withdrawal began. Returns (what it returned
    or raised, whether it finished before the withdrawal began to commit)."""
    withdrawing = threading.Event()
    committed_at = {}

    def run(i, _):
        if i == 0:
            exam = lock(_db.session.get(Exam, exam_id))
            exam.active = False
            _db.session.flush()
            withdrawing.set()
            time.sleep(HOLD)
            # taken before the COMMIT: the other thread, waiting on the lock, may run first once
            # the COMMIT is done (a busy machine), but never before it is sent
            committed_at["withdrawal"] = time.monotonic()
            _db.session.commit()
            return None
        exam = _db.session.get(Exam, exam_id)
        assert exam.active  # loaded before the withdrawal, as a request loads it first
        assert withdrawing.wait(10)
        try:
            outcome = action(exam)
            _db.session.commit()
        except ExamError as exc:
            _db.session.rollback()
            outcome = exc
        committed_at["action"] = time.monotonic()
        return outcome

    withdrawal, outcome = run_in_parallel(app, 2, run)
    assert withdrawal is None, withdrawal
    assert not isinstance(outcome, AssertionError), outcome
    return outcome, committed_at["action"] < committed_at["withdrawal"]


def count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_paper_graded_while_the_exam_is_withdrawn_records_no_result(app, db, org, online_exam,
                                                                     register_people):
    exam = online_exam()
    person = make_person(org.town_a)
    register_people(exam, [person])
    paper = online.start(exam, person, None)
    db.session.commit()
    paper_id = paper.id

    def grade(exam):
        paper = _db.session.get(Paper, paper_id)
        assert paper.exam is exam
        return online.grade(paper)

    score, first = while_withdrawn(app, exam.id, grade)
    assert not first  # it waited for the withdrawal
    assert isinstance(score, float)  # the paper is graded (its score kept) ...
    assert count(db, ExamResult, ExamResult.exam_id == exam.id) == 0  # ... but no result for the exam
    assert count(db, AuditEvent, AuditEvent.action == "result_refused", AuditEvent.object_id == str(paper_id)) == 1
    assert db.session.get(Paper, paper_id).submitted_at is not None


def test_a_paper_started_while_the_exam_is_withdrawn_is_refused(app, db, org, online_exam, register_people):
    exam = online_exam()
    person = make_person(org.town_a)
    register_people(exam, [person])
    person_id = person.id

    refused, first = while_withdrawn(app, exam.id,
                                     lambda exam: online.start(exam, _db.session.get(Person, person_id), None))
    assert not first
    assert isinstance(refused, ExamError) and "不在开放时间" in str(refused)
    assert count(db, Paper, Paper.exam_id == exam.id) == 0


def test_a_result_entered_while_the_exam_is_withdrawn_is_refused(app, db, org, make_exam, register_people):
    exam = make_exam()
    person = make_person(org.town_a)
    register_people(exam, [person])
    person_id = person.id

    refused, first = while_withdrawn(app, exam.id, lambda exam: service.record_result(
        exam, _db.session.get(Person, person_id), "参考", 80, None))
    assert not first
    assert isinstance(refused, ExamError) and "已撤销" in str(refused)
    assert count(db, ExamResult, ExamResult.exam_id == exam.id) == 0


def test_a_results_import_while_the_exam_is_withdrawn_records_nothing(app, db, org, make_exam, register_people):
    import io

    from intranet.imports.framework import get_import_kind, run_import
    from intranet.testing import xlsx_bytes
    exam = make_exam()
    person = make_person(org.town_a)
    register_people(exam, [person])
    kind = get_import_kind("exam-results")
    data = xlsx_bytes(kind.column_names, [[exam.code, person.id_number, None, "参考", 75]])

    result, first = while_withdrawn(app, exam.id, lambda exam: run_import(kind, io.BytesIO(data)))
    assert not first
    assert not result.ok and "已撤销" in " ".join(e.message for e in result.errors)
    assert count(db, ExamResult, ExamResult.exam_id == exam.id) == 0


def test_results_of_one_exam_do_not_wait_for_each_other(app, db, org, make_exam, register_people):
    """The exam's lock is shared: two results for the same exam are recorded side by side."""
    exam = make_exam()
    people = [make_person(org.town_a) for _ in range(2)]
    register_people(exam, people)
    ids = [p.id for p in people]

    def record(i, _):
        result = service.record_result(_db.session.get(Exam, exam.id), _db.session.get(Person, ids[i]),
                                       "参考", 70 + i, None)
        _db.session.commit()
        return result.attempt

    assert run_in_parallel(app, 2, record) == [1, 1]
    assert count(db, ExamResult, ExamResult.exam_id == exam.id) == 2
