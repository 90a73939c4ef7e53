"""Regression tests for defects found in review: double submit, autosave garbage, 成绩册 scope."""
import io

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from intranet.testing import login, make_person, make_user
from intranet_exams import online, service
from intranet_exams.models import ExamResult, Paper, PaperAnswer


def _candidate(db, org, exam, register_people):
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    register_people(exam, [person])
    db.session.commit()
    return person, user


def _start(client, exam, db):
    assert client.post(f"/exams/{exam.id}/start").status_code == 302
    return db.session.scalar(select(Paper).where(Paper.exam_id == exam.id).order_by(Paper.id.desc()))


def test_double_submit_records_one_result(db, org, client, online_exam, register_people):
    """The second of two quick 交卷 posts read the paper before the first committed: refused."""
    exam = online_exam()  # max_attempts 2: without the lock the second post became attempt 2
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam, db)
    assert client.post(f"/exams/papers/{paper.id}", data={"submit": "1"}).status_code == 302
    first_submitted = paper.submitted_at
    assert first_submitted is not None
    # what the second request saw when it loaded the paper: still open
    set_committed_value(paper, "submitted_at", None)
    r = client.post(f"/exams/papers/{paper.id}", data={"submit": "1"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/exams/papers/{paper.id}/result")
    db.session.expire_all()
    results = db.session.scalars(select(ExamResult).where(ExamResult.exam_id == exam.id)).all()
    assert [(x.attempt, x.paper_id) for x in results] == [(1, paper.id)]
    assert db.session.get(Paper, paper.id).submitted_at == first_submitted


def test_autosave_after_submit_in_other_request_refused(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam, db)
    online.grade(paper, user=user)
    db.session.commit()
    set_committed_value(paper, "submitted_at", None)  # loaded before the submit committed
    qid = paper.question_ids[0]
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": qid, "answer": "A", "revision": 0})
    assert r.status_code == 409 and r.json["closed"]
    assert db.session.scalar(select(func.count()).select_from(PaperAnswer).where(PaperAnswer.revision > 0)) == 0
    assert db.session.scalar(select(func.count()).select_from(ExamResult)) == 1


def test_close_expired_skips_paper_submitted_meanwhile(db, org, client, online_exam, register_people):
    from datetime import datetime, timedelta
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam, db)
    online.grade(paper, user=user)
    db.session.commit()
    set_committed_value(paper, "submitted_at", None)
    assert not online.close_if_expired(paper, datetime.now() + timedelta(days=3))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ExamResult)) == 1


def test_autosave_garbage_json_is_400_not_500(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam, db)
    qid = paper.question_ids[0]
    for body in ("[1, 2]", '"A"', "42", "null", "not json",
                 '{"question_id": Infinity, "answer": "A"}',
                 '{"question_id": %d, "answer": "A", "revision": -Infinity}' % qid):
        r = client.post(f"/exams/papers/{paper.id}/answer", data=body, content_type="application/json")
        assert r.status_code == 400, body
        assert r.json["ok"] is False and r.json["error"] == "请求数据无效"
    assert db.session.scalar(select(func.count()).select_from(PaperAnswer).where(PaperAnswer.revision > 0)) == 0


def test_organiser_exports_whole_roll_others_only_their_scope(db, client, org, make_exam, register_people):
    exam = make_exam(code="ORG1", organiser_id=org.town_a.id)
    a, b = make_person(org.town_a, "甲二"), make_person(org.town_b, "乙二")
    register_people(exam, [a, b])
    service.record_result(exam, b, "参考", 75, None)
    db.session.commit()

    def names(user):
        login(client, user)
        r = client.get(f"/exams/{exam.id}/results.xlsx")
        assert r.status_code == 200
        return sorted(row[4].value for row in load_workbook(io.BytesIO(r.data)).worksheets[0].iter_rows(min_row=2))

    assert names(org.users["dept_admin_a"]) == ["乙二", "甲二"]  # the organiser
    assert names(org.users["dept_admin_b"]) == ["乙二"]          # not the organiser: own subtree only
    assert names(org.users["bureau"]) == ["乙二", "甲二"]
