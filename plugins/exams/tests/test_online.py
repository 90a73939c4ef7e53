"""Online papers: drawing, saving, time-out on the server, two tabs, ownership, grading."""
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from intranet.testing import login, make_person, make_user
from intranet_exams import online
from intranet_exams.models import ExamResult, Paper, PaperAnswer, Question


def _candidate(db, org, exam, register_people):
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    register_people(exam, [person])
    db.session.commit()
    return person, user


def _start(client, exam):
    response = client.post(f"/exams/{exam.id}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    paper = exam_paper(exam)
    assert response.headers["Location"].endswith(f"/exams/papers/{paper.id}")
    return paper


def exam_paper(exam):
    from intranet.extensions import db
    return db.session.scalar(select(Paper).where(Paper.exam_id == exam.id).order_by(Paper.id.desc()))


def _key(db, qid):
    return db.session.get(Question, qid).answer


def test_paper_drawn_by_blueprint(db, org, client, online_exam, register_people):
    exam = online_exam()
    person, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    types = [db.session.get(Question, q).qtype for q in paper.question_ids]
    assert types == ["单选"] * 3 + ["多选"] * 2 + ["判断"] * 3
    assert len(set(paper.question_ids)) == 8
    assert paper.deadline - paper.started_at == timedelta(minutes=30)
    # starting again resumes the same paper
    assert _start(client, exam).id == paper.id


def test_save_reload_submit_and_score(db, org, client, online_exam, register_people):
    exam = online_exam()
    person, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    ids = paper.question_ids
    # answer every question right except the last 判断
    for qid in ids[:-1]:
        r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": qid, "answer": _key(db, qid), "revision": 0})
        assert r.status_code == 200 and r.json["ok"] and r.json["saved"]["revision"] == 1
    wrong = "B" if _key(db, ids[-1]) == "A" else "A"
    client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": ids[-1], "answer": wrong, "revision": 0})
    html = client.get(f"/exams/papers/{paper.id}").get_data(as_text=True)  # a reload keeps every answer
    assert html.count("checked") == sum(len(_key(db, q)) for q in ids[:-1]) + 1
    r = client.post(f"/exams/papers/{paper.id}", data={"submit": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    paper = db.session.get(Paper, paper.id)
    assert paper.submitted_at is not None and not paper.auto_submitted
    # 3×2 + 2×3 + 3×2 = 18 points; one 判断 (2 points) wrong → 16/18 of 100
    assert paper.score == round(100 * 16 / 18, 1)
    result = db.session.scalar(select(ExamResult).where(ExamResult.paper_id == paper.id))
    assert result.status == "参考" and result.score == paper.score and result.passed and result.source == "在线"
    page = client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)
    assert f"{paper.score:g}" in page and "合格" in page
    # answers after submission are refused
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": ids[0], "answer": "A"})
    assert r.status_code == 409 and "已交卷" in r.json["error"]


def test_no_answer_keys_before_submission(db, org, client, online_exam, register_people):
    exam = online_exam()
    person, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    client.get(f"/exams/papers/{paper.id}")  # shows the flashed messages once
    first = client.get(f"/exams/papers/{paper.id}").get_data(as_text=True)
    assert "解析标记" not in first and "正确答案" not in first
    # the page does not depend on the keys: change every key and explanation, the page stays the same
    for q in db.session.scalars(select(Question).where(Question.id.in_(paper.question_ids))):
        q.answer = "B" if q.answer != "B" else "A"
        q.explanation = "改过的解析"
    db.session.commit()
    second = client.get(f"/exams/papers/{paper.id}").get_data(as_text=True)
    strip = lambda html: re.sub(r'value="[^"]{40,}"|data-now="[^"]*"', "", html)  # noqa: E731  csrf token, clock
    assert strip(first) == strip(second)
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": paper.question_ids[0], "answer": "A"})
    body = r.get_data(as_text=True)
    assert "解析" not in body and "correct" not in body
    assert set(r.json) == {"ok", "saved", "message", "answers"}
    assert set(r.json["saved"]) == {"question_id", "answer", "revision", "conflict", "previous", "number"}


def test_other_candidates_paper_is_refused(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, owner = _candidate(db, org, exam, register_people)
    _, other = _candidate(db, org, exam, register_people)
    login(client, owner)
    paper = _start(client, exam)
    login(client, other)
    assert client.get(f"/exams/papers/{paper.id}").status_code == 403
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": paper.question_ids[0], "answer": "A"})
    assert r.status_code == 403
    assert client.post(f"/exams/papers/{paper.id}", data={"submit": "1"}).status_code == 403
    assert client.get(f"/exams/papers/{paper.id}/result").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(PaperAnswer).where(PaperAnswer.revision > 0)) == 0
    assert client.get(f"/exams/papers/{paper.id + 1000}").status_code == 404   # no such paper


def test_answer_after_deadline_refused_and_paper_graded(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    q0 = paper.question_ids[0]
    client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": q0, "answer": _key(db, q0), "revision": 0})
    paper.deadline = datetime.now() - timedelta(seconds=1)
    db.session.commit()
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": paper.question_ids[1], "answer": "A"})
    assert r.status_code == 409 and "考试时间已到" in r.json["error"] and "未保存" in r.json["error"]
    db.session.expire_all()
    paper = db.session.get(Paper, paper.id)
    assert paper.auto_submitted and paper.submitted_at == paper.deadline
    answers = online.answers_of(paper)
    assert answers[paper.question_ids[1]].answer == ""          # the late answer was not kept
    assert answers[q0].answer == _key(db, q0)                    # the earlier one was
    assert paper.score == round(100 * 2 / 18, 1)
    assert db.session.scalar(select(ExamResult.score).where(ExamResult.paper_id == paper.id)) == paper.score


def test_plain_form_post_after_deadline_refused(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    paper.deadline = datetime.now() - timedelta(minutes=1)
    db.session.commit()
    q0 = paper.question_ids[0]
    r = client.post(f"/exams/papers/{paper.id}", data={f"q{q0}": "A", f"seen{q0}": "", f"rev{q0}": "0", "save": "1"},
                    follow_redirects=True)
    assert "考试时间已到" in r.get_data(as_text=True)
    db.session.expire_all()
    assert online.answers_of(db.session.get(Paper, paper.id))[q0].answer == ""


def test_close_expired_job(db, org, client, online_exam, register_people, app):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    paper.deadline = datetime.now() - timedelta(minutes=5)
    db.session.commit()
    runner = app.test_cli_runner()
    from intranet.cli import cli
    result = runner.invoke(cli, ["exams", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "1 份" in result.output
    db.session.expire_all()
    assert db.session.get(Paper, paper.id).auto_submitted
    assert db.session.scalar(select(func.count()).select_from(ExamResult)) == 1


def test_two_tabs_last_write_wins_and_stale_tab_is_told(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    q0, q1 = paper.question_ids[:2]
    url = f"/exams/papers/{paper.id}/answer"
    # both tabs loaded the paper at revision 0; tab 1 answers B, then tab 2 (stale) answers C
    assert not client.post(url, json={"question_id": q0, "answer": "B", "revision": 0}).json["saved"]["conflict"]
    r = client.post(url, json={"question_id": q0, "answer": "C", "revision": 0}).json
    assert r["saved"]["conflict"] and r["saved"]["previous"] == "B" and r["saved"]["revision"] == 2
    assert "另一个窗口" in r["message"]
    assert r["answers"][str(q0)] == {"answer": "C", "revision": 2}
    # the plain form from a stale tab: it changed q1 only, so q0 (saved by the other tab) is kept
    client.post(url, json={"question_id": q0, "answer": "D", "revision": 2})
    data = {f"q{q0}": "C", f"seen{q0}": "C", f"rev{q0}": "2", f"q{q1}": "A", f"seen{q1}": "", f"rev{q1}": "0", "save": "1"}
    client.post(f"/exams/papers/{paper.id}", data=data)
    answers = online.answers_of(paper)
    db.session.expire_all()
    answers = online.answers_of(db.session.get(Paper, paper.id))
    assert answers[q0].answer == "D" and answers[q1].answer == "A"


def test_answer_not_among_options_refused(db, org, client, online_exam, register_people):
    exam = online_exam()
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    single, tf = paper.question_ids[0], paper.question_ids[-1]
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": single, "answer": "AB"})
    assert r.status_code == 400 and "只能选择一个" in r.json["error"]
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": tf, "answer": "C"})
    assert r.status_code == 400 and "不在本题选项中" in r.json["error"]
    r = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": 999999, "answer": "A"})
    assert r.status_code == 400 and "不在本试卷中" in r.json["error"]


def test_best_of_attempts_and_limits(db, org, client, online_exam, register_people):
    exam = online_exam(max_attempts=2)
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    first = _start(client, exam)
    client.post(f"/exams/papers/{first.id}", data={"submit": "1"})  # nothing answered: 0 points
    second = _start(client, exam)
    assert second.id != first.id and second.attempt == 2
    for qid in second.question_ids:
        client.post(f"/exams/papers/{second.id}/answer", json={"question_id": qid, "answer": _key(db, qid)})
    client.post(f"/exams/papers/{second.id}", data={"submit": "1"})
    r = client.post(f"/exams/{exam.id}/start", follow_redirects=True)
    assert "已通过此考试" in r.get_data(as_text=True)
    scores = db.session.scalars(select(ExamResult.score).order_by(ExamResult.attempt)).all()
    assert scores == [0.0, 100.0]
    from intranet_exams import figures
    assert figures.exam_figures(exam.id)["passed"] == 1


def test_cannot_start_unregistered_or_closed(db, org, client, online_exam, register_people):
    exam = online_exam()
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    db.session.commit()
    login(client, user)
    r = client.post(f"/exams/{exam.id}/start", follow_redirects=True)
    assert "尚未报名" in r.get_data(as_text=True)
    register_people(exam, [person])
    exam.closes_at = datetime.now() - timedelta(minutes=1)
    db.session.commit()
    r = client.post(f"/exams/{exam.id}/start", follow_redirects=True)
    assert "不在开放时间" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Paper)) == 0


def test_deadline_capped_by_window(db, org, online_exam, register_people):
    exam = online_exam(minutes=90)
    exam.closes_at = datetime.now() + timedelta(minutes=10)
    db.session.commit()
    person = make_person(org.town_a)
    register_people(exam, [person])
    paper = online.start(exam, person, None)
    assert paper.deadline == exam.closes_at


def test_self_registration(db, org, client, online_exam):
    exam = online_exam(self_registration=True)
    closed = online_exam()
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    db.session.commit()
    login(client, user)
    page = client.get("/exams/mine").get_data(as_text=True)
    assert "我要报名" in page and exam.name in page
    client.post(f"/exams/{exam.id}/self-register")
    r = client.post(f"/exams/{closed.id}/self-register", follow_redirects=True)
    assert "不允许个人报名" in r.get_data(as_text=True)
    from intranet_exams.service import registration_of
    assert registration_of(exam, person).status == "已报名" and registration_of(exam, person).self_registered
    assert registration_of(closed, person) is None


def test_an_inspector_linked_to_a_person_neither_registers_nor_takes_a_paper(db, org, client, online_exam,
                                                                             register_people):
    from intranet_exams.models import Registration
    open_to_all = online_exam(self_registration=True)
    registered = online_exam()
    person = make_person(org.town_a)
    inspector = make_user("inspector", None, person)
    register_people(registered, [person])
    login(client, inspector)
    page = client.get("/exams/mine").get_data(as_text=True)
    assert "我要报名" not in page and "开始考试" not in page
    assert client.post(f"/exams/{open_to_all.id}/self-register").status_code == 403
    assert client.post(f"/exams/{registered.id}/start").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.exam_id == open_to_all.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Paper)) == 0


def test_autosave_answers_every_error_in_json(app, db, org, client, online_exam, register_people):
    from flask import g
    exam = online_exam()
    person, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _start(client, exam)
    url = f"/exams/papers/{paper.id}/answer"
    body = {"question_id": paper.question_ids[0], "answer": "A"}
    html = {"Accept": "text/html"}
    missing = client.post("/exams/papers/999999/answer", json=body, headers=html)
    assert missing.status_code == 404 and missing.is_json and "试卷不存在" in missing.get_json()["error"]
    form_post = client.post("/exams/papers/999999/answer", data={"x": "1"}, headers=html)
    assert form_post.status_code == 404 and form_post.is_json  # a json_view answers JSON even so
    other = app.test_client()
    login(other, make_user("staff", org.town_a, make_person(org.town_a)))
    g.pop("_login_user", None)  # pytest-flask shares g between clients
    foreign = other.post(url, json=body, headers=html)
    assert foreign.status_code == 403 and foreign.is_json   # another's paper: 403, as the scope walk wants
    inspector = app.test_client()
    login(inspector, org.users["inspector"])
    g.pop("_login_user", None)
    refused = inspector.post(url, json=body, headers=html)
    assert refused.status_code == 403 and refused.is_json
    g.pop("_login_user", None)
    anonymous = app.test_client().post(url, json=body, headers=html)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "请先登录"
    assert online.answers_of(paper)[body["question_id"]].revision == 0
