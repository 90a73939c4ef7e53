"""Issue #12 (exams): honest papers, exclusive figures, complete import reports, the 待考 count,
and nothing recorded on a withdrawn exam. Each test failed before the change."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from intranet.idnumber import make_id_number
from intranet.models import Setting
from intranet.testing import login, make_person, make_user
from intranet_exams import online, service
from intranet_exams.models import BlueprintRule, Paper, PaperBlueprint, Question
from intranet_exams.service import ExamError

from .test_imports import run


def _candidate(db, org, exam, register_people):
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    register_people(exam, [person])
    db.session.commit()
    return person, user


def _sit(client, db, exam, right: bool = False) -> Paper:
    r = client.post(f"/exams/{exam.id}/start")
    assert r.status_code == 302, r.get_data(as_text=True)
    paper = db.session.scalar(select(Paper).where(Paper.exam_id == exam.id).order_by(Paper.id.desc()))
    if right:
        for qid in paper.question_ids:
            client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": qid,
                                                                  "answer": db.session.get(Question, qid).answer})
    else:
        first = paper.question_ids[0]
        client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": first,
                                                              "answer": db.session.get(Question, first).answer})
    client.post(f"/exams/papers/{paper.id}", data={"submit": "1"})
    db.session.expire_all()
    return db.session.get(Paper, paper.id)


# --- a paper never reveals answers while the candidate can still sit again ---------------------

def test_failed_attempt_with_resit_left_shows_score_and_wrong_questions_not_answers(db, org, client, online_exam,
                                                                                   register_people):
    exam = online_exam(max_attempts=2)
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _sit(client, db, exam)
    html = client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)
    assert f"{paper.score:.1f}" in html and "不合格" in html
    assert "第2、3、4、5、6、7、8题" in html and "还可以补考" in html  # which were wrong
    assert "正确答案：" not in html and "解析" not in html.replace("正确答案和解析暂不显示", "")
    # after the last attempt (default setting) they are shown
    last = _sit(client, db, exam)
    html = client.get(f"/exams/papers/{last.id}/result").get_data(as_text=True)
    assert "正确答案：" in html and "解析标记" in html
    html = client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)
    assert "正确答案：" in html  # the earlier paper too: no attempt is left


def test_reveal_setting_never_and_after_the_exam_closes(db, org, client, online_exam, register_people):
    exam = online_exam(max_attempts=1)
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _sit(client, db, exam)
    Setting.put("exams.reveal_answers", "never")
    db.session.commit()
    assert "正确答案：" not in client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)
    Setting.put("exams.reveal_answers", "closed")
    db.session.commit()
    assert "解析标记" not in client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)  # still open
    exam.closes_at = datetime.now() - timedelta(minutes=1)
    db.session.commit()
    assert "解析标记" in client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)


def test_passed_candidate_sees_answers_by_default(db, org, client, online_exam, register_people):
    exam = online_exam(max_attempts=3)
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    paper = _sit(client, db, exam, right=True)
    assert "正确答案：" in client.get(f"/exams/papers/{paper.id}/result").get_data(as_text=True)


# --- resit papers and near-duplicates -----------------------------------------------------------

def test_resit_paper_shares_as_few_questions_as_the_bank_allows(db, org, client, online_exam, register_people):
    exam = online_exam(max_attempts=3)  # bank 8 单选 / 4 多选 / 6 判断; paper 3 / 2 / 3
    _, user = _candidate(db, org, exam, register_people)
    login(client, user)
    first = _sit(client, db, exam)
    second = _sit(client, db, exam)
    shared = set(first.question_ids) & set(second.question_ids)
    assert not shared  # 8 ≥ 3 + 3, 4 ≥ 2 + 2, 6 ≥ 3 + 3: no repeat needed
    third = _sit(client, db, exam)
    earlier = set(first.question_ids) | set(second.question_ids)
    # the third must repeat: 单选 2 fresh left (needs 3 → 1 repeat), 多选 0 left (2 repeats), 判断 0 left (3)
    assert len(set(third.question_ids) & earlier) == 1 + 2 + 3


def _bank_rule(db, exam, qtype, count, law=""):
    blueprint = PaperBlueprint(exam_id=exam.id, time_limit_minutes=30)
    db.session.add(blueprint)
    db.session.flush()
    db.session.add(BlueprintRule(blueprint_id=blueprint.id, qtype=qtype, law=law, count=count, points=1))
    db.session.commit()
    return blueprint


def test_paper_never_holds_the_same_fact_twice(db, org, make_exam):
    exam = make_exam(online=True)
    law = "《行政处罚法》"
    sentence = "违法行为在{}内未被发现的，不再给予行政处罚。"
    for prefix in ("根据《行政处罚法》，", "依照《行政处罚法》规定，"):
        db.session.add(Question(law=law, qtype="单选", stem=prefix + sentence.format("（  ）"),
                                options=["一年", "二年", "三年", "六个月"], answer="B"))
    db.session.add(Question(law=law, qtype="判断", stem="按照《行政处罚法》的规定，" + sentence.format("二年"),
                            options=["正确", "错误"], answer="A"))
    db.session.add(Question(law=law, qtype="判断", stem="《行政处罚法》规定，" + sentence.format("三年"),
                            options=["正确", "错误"], answer="B"))
    db.session.add(Question(law=law, qtype="判断", stem="当事人要求听证的，应当在行政机关告知后五日内提出。",
                            options=["正确", "错误"], answer="A"))
    db.session.commit()
    blueprint = PaperBlueprint(exam_id=exam.id, time_limit_minutes=30)
    db.session.add(blueprint)
    db.session.flush()
    db.session.add(BlueprintRule(blueprint_id=blueprint.id, qtype="单选", law="", count=1, points=1))
    db.session.add(BlueprintRule(blueprint_id=blueprint.id, qtype="判断", law="", count=1, points=1))
    db.session.commit()
    for _ in range(25):  # random draws: never the choice with a true/false of the same fact
        ids, _points = online.draw(blueprint)
        stems = [db.session.get(Question, i).stem for i in ids]
        assert stems[1].startswith("当事人要求听证"), stems
    rule = blueprint.rules[0]
    rule.count = 2  # two wordings of one question are one question
    db.session.commit()
    with pytest.raises(ExamError, match="去除重复题后.*只有 1 道"):
        online.draw(blueprint)


def test_seed_bank_papers_hold_no_near_duplicates(db, org, make_exam):
    import random

    from intranet_exams.questions_seed import questions
    from intranet_exams.similarity import facts_of
    exam = make_exam(online=True)
    for row in questions(400, random.Random(3)):
        db.session.add(Question(**row))
    db.session.commit()
    blueprint = PaperBlueprint(exam_id=exam.id, time_limit_minutes=30)
    db.session.add(blueprint)
    db.session.flush()
    for qtype, count in (("单选", 20), ("多选", 10), ("判断", 20)):
        db.session.add(BlueprintRule(blueprint_id=blueprint.id, qtype=qtype, law="", count=count, points=1))
    db.session.commit()
    for _ in range(5):
        ids, _points = online.draw(blueprint)
        seen = set()
        for qid in ids:
            fs = facts_of(db.session.get(Question, qid))
            assert not (fs & seen)
            seen |= fs


def test_bank_import_flags_a_near_duplicate(db, org):
    db.session.add(Question(law="《行政处罚法》", qtype="单选", stem="根据《行政处罚法》，违法行为在（  ）内未被发现的，不再给予行政处罚。",
                            options=["一年", "二年", "三年", "六个月"], answer="B"))
    db.session.commit()
    result = run("questions", [
        ["判断", "依照《行政处罚法》规定，违法行为在二年内未被发现的，不再给予行政处罚。", None, None, None, None, "对", "",
         "行政处罚法", None],
        ["判断", "行政强制措施权不得委托。", None, None, None, None, "对", "", "《行政强制法》", None],
        ["单选", "依照《行政强制法》规定，行政强制措施权（  ）委托。", "不得", "可以", None, None, "A", "", "行政强制法", None],
    ])
    assert result.ok, result.errors
    assert result.created == 3  # flagged, not refused
    flagged = {w.row: w.message for w in result.warnings}
    assert set(flagged) == {2, 4} and "同一知识点" in flagged[2] and "本文件第3行" in flagged[4]
    assert all("仅提示" in m for m in flagged.values())


# --- figures per state are exclusive; 不合格 is never 缺考; no actions where a result exists ------

def test_preregistered_counts_only_those_still_pre_registered(db, org, make_exam):
    from intranet_exams import figures
    exam = make_exam()
    a, b, c = (make_person(org.town_a) for _ in range(3))
    service.register(exam, [a, b, c], "预报名", None)
    db.session.commit()
    regs = [service.registration_of(exam, p) for p in (a, b)]
    service.confirm(exam, regs, None)
    db.session.commit()
    f = figures.exam_figures(exam.id)
    assert (f["preregistered"], f["registered"]) == (1, 2)


def test_sat_and_failed_is_not_shown_as_absent_and_actions_follow_results(db, org, client, make_exam,
                                                                         register_people):
    exam = make_exam()
    failed, absent, waiting = make_person(org.town_a, "甲不合格"), make_person(org.town_a, "乙缺考"), make_person(org.town_a, "丙待考")
    register_people(exam, [failed, absent, waiting])
    service.record_result(exam, failed, "参考", 40, None)
    service.record_result(exam, failed, "缺考", None, None, resit=True)  # failed, then missed the resit
    service.record_result(exam, absent, "缺考", None, None)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    rows = {name: html.split(name, 1)[1].split("</tr>", 1)[0] for name in ("甲不合格", "乙缺考", "丙待考")}
    assert "不合格" in rows["甲不合格"] and "缺考" not in rows["甲不合格"]
    assert "缺考" in rows["乙缺考"] and "不合格" not in rows["乙缺考"]
    for name in ("甲不合格", "乙缺考"):
        assert "申请免考" not in rows[name] and "取消报名" not in rows[name]
    assert "申请免考" in rows["丙待考"] and "取消报名" in rows["丙待考"]
    with pytest.raises(ExamError, match="已有考试成绩"):
        service.request_exemption(exam, failed, "本年度退休", "", None)


# --- imports report every error of a row, the area code is a labelled remark --------------------

def test_results_import_reports_every_error_of_a_row(db, org, make_exam, register_people):
    exam = make_exam(code="PF2025")
    a = make_person(org.town_a)
    register_people(exam, [a])
    result = run("exam-results", [["PF2025", "110101199003071235", None, "参考", 120],
                                  ["PF2025", a.id_number, None, "参考", 101]])
    assert not result.ok
    first = sorted((e.column, e.message) for e in result.errors if e.row == 2)
    assert [c for c, _ in first] == ["成绩", "身份证号"], first
    assert "校验位" in first[1][1] and "超过满分" in first[0][1]
    assert [e.column for e in result.errors if e.row == 3] == ["成绩"]


def test_area_code_unknown_in_birth_year_is_a_labelled_remark(db, org, make_exam, register_people):
    exam = make_exam(code="PF2025")
    number = make_id_number("500101", date(1985, 6, 12), 7)  # 万州区: created 1997
    person = make_person(org.town_a, id_number=number)
    register_people(exam, [person])
    result = run("exam-results", [["PF2025", number, None, "参考", 80]])
    assert result.ok, result.errors
    [warning] = result.warnings
    assert warning.message.startswith("地区码500101") and warning.message.endswith("（仅提示）")


def test_import_page_shows_remarks_apart_from_errors(db, org, client, make_exam, register_people):
    from .test_imports import kind, xlsx
    exam = make_exam(code="PF2025")
    number = make_id_number("500101", date(1985, 6, 12), 8)
    register_people(exam, [make_person(org.town_a, id_number=number)])
    login(client, org.users["bureau"])
    k = kind("exam-results")
    html = client.post("/exams/import/exam-results", data={"file": (xlsx(k.column_names, [["PF2025", number, None, "参考", 80]]), "a.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "提示（不影响导入）" in html and "地区码500101" in html and "row-errors" not in html


# --- the 待考 widget counts all ------------------------------------------------------------------

def test_pending_widget_counts_all_pending_exams(db, org, client, make_exam, register_people):
    for i in range(7):
        register_people(make_exam(name=f"待考{i}", exam_date=date.today() + timedelta(days=i + 1)), [org.staff_person])
    from intranet_exams.widgets import dashboard_widgets
    with client.application.test_request_context():
        [pending] = [w for w in dashboard_widgets(org.users["staff_a"]) if w.title == "我的待考"]
    assert pending.figures == [("待考", 7)]
    assert len(pending.links) == 5 + 1  # five listed, and 我的考试


# --- a withdrawn exam takes no results and no confirmations --------------------------------------

def test_withdrawn_exam_refuses_results_and_confirmation(db, org, make_exam, register_people):
    exam = make_exam()
    sat, pre = make_person(org.town_a), make_person(org.town_a)
    register_people(exam, [sat])
    register_people(exam, [pre], status="预报名")
    exam.active = False
    db.session.commit()
    with pytest.raises(ExamError, match="已撤销"):
        service.record_result(exam, sat, "参考", 80, None)
    with pytest.raises(ExamError, match="已撤销"):
        service.confirm(exam, [service.registration_of(exam, pre)], None)


def test_withdrawn_exam_refuses_results_and_confirmation_in_views(db, org, client, make_exam, register_people):
    from intranet_exams.models import ExamResult, Registration
    exam = make_exam()
    sat, pre = make_person(org.town_a), make_person(org.town_a)
    register_people(exam, [sat])
    [reg] = register_people(exam, [pre], status="预报名")
    exam.active = False
    db.session.commit()
    login(client, org.users["bureau"])
    html = client.post(f"/exams/{exam.id}/results/new", data={"id_number": sat.id_number, "status": "参考",
                                                             "score": "80"}).get_data(as_text=True)
    assert "该考试已撤销，不能录入成绩" in html
    client.post(f"/exams/{exam.id}/confirm", data={"registrations": [reg.id]})
    db.session.expire_all()
    assert db.session.scalar(select(ExamResult).where(ExamResult.exam_id == exam.id)) is None
    assert db.session.get(Registration, reg.id).status == "预报名"


def test_blueprint_counts_near_duplicates_once(db, org, client, make_exam):
    exam = make_exam(online=True)
    for prefix in ("根据《行政处罚法》，", "依照《行政处罚法》规定，"):
        db.session.add(Question(law="《行政处罚法》", qtype="单选", stem=prefix + "违法行为在（  ）内未被发现的，不再给予行政处罚。",
                                options=["一年", "二年", "三年", "六个月"], answer="B"))
    db.session.commit()
    login(client, org.users["bureau"])
    html = client.post(f"/exams/{exam.id}/blueprint", data={"r-qtype": "单选", "r-law": "", "r-count": "2",
                                                           "r-points": "2", "r-submit": "1"}).get_data(as_text=True)
    assert "（去除重复题后）只有 1 道" in html
