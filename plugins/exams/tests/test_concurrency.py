"""One action happens once: registrations, exemptions, results and online papers fired from
several threads at once (each with its own client, so its own database connection)."""
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from intranet.locking import ALREADY_DONE
from intranet.models import AuditEvent
from intranet.testing import logged_in_client, make_person, make_user, run_in_parallel

from intranet_exams import service
from intranet_exams.models import ExamResult, Exemption, Paper, Registration

N = 6


def count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(db, action, object_type):
    return count(db, AuditEvent, AuditEvent.action == action, AuditEvent.object_type == object_type)


def post_all(app, username, requests):
    """Each (url, kwargs) of ``requests`` POSTed at once from its own client; the responses."""
    results = run_in_parallel(app, len(requests),
                              lambda i, client: client.post(requests[i][0], **requests[i][1]),
                              prepare=lambda i: logged_in_client(app, username), in_app_context=False)
    for r in results:
        assert not isinstance(r, BaseException), repr(r)
    return results


def pages(responses):
    assert all(r.status_code == 200 for r in responses), [r.status_code for r in responses]
    return [r.get_data(as_text=True) for r in responses]


def test_self_registration_at_once_registers_once(app, db, org, make_exam):
    exam = make_exam(self_registration=True)
    texts = pages(post_all(app, "zhangsan", [(f"/exams/{exam.id}/self-register", {"follow_redirects": True})] * N))
    assert sum(f"已报名：{exam.title}" in t for t in texts) == 1
    assert sum("未作更改" in t for t in texts) == N - 1
    assert count(db, Registration, Registration.exam_id == exam.id) == 1
    assert audits(db, "register", "exams_exam") == 1


def test_department_registration_at_once_registers_once(app, db, org, make_exam):
    exam = make_exam()
    person = make_person(org.town_a)
    db.session.commit()
    data = {"people": [person.id], "status": "已报名"}
    texts = pages(post_all(app, "admin_a", [(f"/exams/{exam.id}/register",
                                             {"data": data, "follow_redirects": True})] * N))
    assert sum("已为 1 人报名" in t for t in texts) == 1
    assert count(db, Registration, Registration.exam_id == exam.id) == 1
    assert audits(db, "register", "exams_exam") == 1


def test_result_entry_at_once_records_one_result(app, db, org, make_exam, register_people):
    exam = make_exam()
    person = make_person(org.town_a)
    register_people(exam, [person])
    data = {"id_number": person.id_number, "status": "参考", "score": "82"}
    texts = pages(post_all(app, "sfj", [(f"/exams/{exam.id}/results/new",
                                         {"data": data, "follow_redirects": True})] * N))
    assert sum("第1次考试成绩：参考 82分" in t for t in texts) == 1
    assert sum(ALREADY_DONE in t for t in texts) == N - 1
    assert count(db, ExamResult, ExamResult.person_id == person.id) == 1
    assert audits(db, "record", "exams_result") == 1 and audits(db, "correct", "exams_result") == 0


def test_exemption_decision_at_once_decided_once(app, db, org, make_exam, register_people):
    exam = make_exam()
    person = make_person(org.town_a)
    register_people(exam, [person])
    exemption = service.request_exemption(exam, person, "其他", "长期病假", None)
    db.session.commit()
    texts = pages(post_all(app, "sfj", [(f"/exams/exemptions/{exemption.id}/decide",
                                         {"data": {"approve": "批准"}, "follow_redirects": True})] * N))
    assert sum("的免考申请已批准" in t for t in texts) == 1
    assert audits(db, "approve", "exams_exemption") == 1
    assert count(db, Exemption, Exemption.status == "已批准") == 1


def test_ten_submits_and_autosaves_after_deadline_grade_once(app, db, org, client, online_exam, register_people):
    """Past the deadline, five 交卷 and five autosaves at once: one paper, one result, one
    time-out, and the candidate keeps the resit (max_attempts 2)."""
    from intranet.testing import login
    exam = online_exam()
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    register_people(exam, [person])
    login(client, user)
    assert client.post(f"/exams/{exam.id}/start").status_code == 302
    paper = db.session.scalar(select(Paper).where(Paper.person_id == person.id))
    paper_id, question = paper.id, paper.question_ids[0]
    db.session.execute(update(Paper).where(Paper.id == paper_id)
                       .values(deadline=datetime.now().replace(microsecond=0) - timedelta(minutes=1)))
    db.session.commit()
    submit = (f"/exams/papers/{paper_id}", {"data": {"submit": "1"}})
    autosave = (f"/exams/papers/{paper_id}/answer", {"json": {"question_id": question, "answer": "A", "revision": 0}})
    responses = post_all(app, user.username, [submit, autosave] * 5)
    assert all(r.status_code in (302, 409) for r in responses), [r.status_code for r in responses]
    assert count(db, Paper, Paper.person_id == person.id) == 1
    results = db.session.scalars(select(ExamResult).where(ExamResult.person_id == person.id)).all()
    assert [(r.attempt, r.paper_id) for r in results] == [(1, paper_id)]
    assert audits(db, "submit", "exams_paper") == 1
    assert db.session.get(Paper, paper_id).auto_submitted
    # The resit is still there: the candidate may draw a second paper.
    assert client.post(f"/exams/{exam.id}/start").status_code == 302
    assert count(db, Paper, Paper.person_id == person.id, Paper.attempt == 2) == 1


def test_confirming_registrations_at_once_confirms_once(app, db, org, make_exam, register_people):
    exam = make_exam()
    regs = register_people(exam, [make_person(org.town_a), make_person(org.town_a)], status="预报名")
    data = {"registrations": [r.id for r in regs]}
    texts = pages(post_all(app, "admin_a", [(f"/exams/{exam.id}/confirm",
                                             {"data": data, "follow_redirects": True})] * N))
    assert sum("已确认报名 2 人" in t for t in texts) == 1
    assert audits(db, "confirm", "exams_exam") == 1
    assert count(db, Registration, Registration.status == "已报名") == 2


def test_exemption_requested_at_once_is_filed_once(app, db, org, make_exam, register_people):
    exam = make_exam()
    [reg] = register_people(exam, [make_person(org.town_a)])
    texts = pages(post_all(app, "admin_a", [(f"/exams/registrations/{reg.id}/exemption",
                                             {"data": {"reason": "其他", "note": "长期病假"},
                                              "follow_redirects": True})] * N))
    assert sum("的免考申请，等待审批" in t for t in texts) == 1
    assert count(db, Exemption) == 1 and audits(db, "request", "exams_exemption") == 1


def test_registration_cancelled_at_once_is_cancelled_once(app, db, org, make_exam, register_people):
    exam = make_exam()
    person = make_person(org.town_a)
    [reg] = register_people(exam, [person])
    texts = pages(post_all(app, "admin_a", [(f"/exams/registrations/{reg.id}/cancel",
                                             {"follow_redirects": True})] * N))
    assert sum(f"已取消 {person.name} 的报名" in t for t in texts) == 1
    assert audits(db, "cancel", "exams_registration") == 1


def test_exam_withdrawn_at_once_is_withdrawn_once(app, db, org, make_exam):
    exam = make_exam()
    texts = pages(post_all(app, "sfj", [(f"/exams/{exam.id}/withdraw", {"follow_redirects": True})] * N))
    assert sum("考试已撤销（记录保留）" in t for t in texts) == 1
    assert audits(db, "withdraw", "exams_exam") == 1
