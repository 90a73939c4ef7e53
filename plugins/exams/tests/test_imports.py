"""The three Excel imports, their bad input, and a 30,000-row results file in bulk."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from intranet.imports.framework import run_import, template_workbook
from intranet.models import Person
from intranet.testing import make_id, make_person, xlsx_bytes
from intranet_exams.models import Exam, ExamResult, Exemption, Question, Registration
from intranet_exams.plugin import import_kinds


def kind(name):
    return {k.name: k for k in import_kinds()}[name]


def xlsx(header, rows) -> io.BytesIO:
    return io.BytesIO(xlsx_bytes(header, rows))


def run(name, rows, user=None):
    k = kind(name)
    return run_import(k, xlsx(k.column_names, rows), user=user)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_templates_have_the_issue_columns():
    assert kind("exams").column_names == ["考试编号", "考试名称", "考试类型", "考试日期", "满分", "合格分"]
    assert kind("exam-results").column_names == ["考试编号", "身份证号", "报名状态", "参考状态", "成绩"]
    assert kind("questions").column_names == ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析",
                                              "所属法律", "难度"]
    ws = load_workbook(io.BytesIO(template_workbook(kind("exam-results")))).worksheets[0]
    assert [c.value for c in ws[1]] == kind("exam-results").column_names


def test_exams_import_and_update(db, org):
    result = run("exams", [["ZG2025", "2025年度行政执法资格考试（综合）", "行政执法资格考试（综合）", date(2025, 6, 12), 100, 60],
                           ["PF2025", "2025年度普法考试", "普法考试", "2025-11-20", 100, 60]])
    assert result.ok, result.errors
    assert result.created == 2
    zg = db.session.scalar(select(Exam).where(Exam.code == "ZG2025"))
    assert (zg.kind, zg.part, zg.year, zg.exam_date) == ("行政执法资格考试", "综合", 2025, date(2025, 6, 12))
    result = run("exams", [["PF2025", "2025年度普法考试", "普法考试", "2025-11-20", 120, 72]])
    assert result.ok and result.updated == 1
    assert db.session.scalar(select(Exam.full_mark).where(Exam.code == "PF2025")) == 120


def test_exams_import_pass_mark_above_full_mark(db, org):
    result = run("exams", [["A1", "甲", "普法考试", "2025-01-01", 100, 60],
                           ["A2", "乙", "普法考试", "2025-01-01", 100, 120],
                           ["A3", "丙", "不存在的类型", "2025-01-01", 100, 60]])
    assert not result.ok
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "高于满分" in messages[(3, "合格分")]
    assert (4, "考试类型") in messages
    assert count(db, Exam) == 0  # all or nothing


def _results_setup(db, org, make_exam, register_people):
    exam = make_exam(code="PF2025")
    a, b = make_person(org.town_a), make_person(org.town_a)
    register_people(exam, [a])
    return exam, a, b


def test_results_import(db, org, make_exam, register_people):
    exam, a, b = _results_setup(db, org, make_exam, register_people)
    lawyer = make_person(org.town_a, legal_qualification=True)
    db.session.commit()
    result = run("exam-results", [["PF2025", a.id_number, None, "参考", 88.5],
                                  ["PF2025", b.id_number, "已报名", "缺考", None],
                                  ["PF2025", lawyer.id_number, "已报名", "免考", None]])
    assert result.ok, result.errors
    assert (result.created, result.updated) == (3, 0)
    rows = dict(db.session.execute(select(ExamResult.person_id, ExamResult.score)).all())
    assert rows == {a.id: 88.5, b.id: None, lawyer.id: None}
    assert db.session.scalar(select(Exemption.reason)) == "法律职业资格"
    # importing again changes nothing; a corrected score updates attempt 1
    again = run("exam-results", [["PF2025", a.id_number, None, "参考", 91]])
    assert again.ok and again.updated == 1
    assert db.session.scalar(select(ExamResult.score).where(ExamResult.person_id == a.id)) == 91
    assert count(db, ExamResult) == 3
    from intranet_exams import figures
    f = figures.exam_figures(exam.id)
    assert (f["registered"], f["exempt"], f["required"], f["sat"], f["absent"], f["passed"]) == (3, 1, 2, 1, 1, 1)


@pytest.mark.parametrize("row, column, message", [
    (["PF2025", "A", None, "参考", 101], "成绩", "超过满分"),
    (["PF2025", "A", None, "参考", -5], "成绩", "不能为负数"),
    (["PF2025", "A", None, "参考", None], "成绩", "必须填写成绩"),
    (["PF2025", "B", None, "参考", 80], "报名状态", "未报名"),
    (["PF2025", "B", "预报名", "参考", 80], "报名状态", "尚未确认报名"),
    (["NOPE", "A", None, "参考", 80], "考试编号", "不存在"),
    (["PF2025", "UNKNOWN", None, "参考", 80], "身份证号", "未找到"),
    (["PF2025", "A", None, None, 80], "参考状态", "同时填写参考状态"),
])
def test_results_import_bad_rows(db, org, make_exam, register_people, row, column, message):
    exam, a, b = _results_setup(db, org, make_exam, register_people)
    ids = {"A": a.id_number, "B": b.id_number, "UNKNOWN": make_id()}
    row = [ids.get(v, v) if i == 1 else v for i, v in enumerate(row)]
    good = ["PF2025", a.id_number, None, "参考", 70] if row[1] != a.id_number else None
    result = run("exam-results", [r for r in (good, row) if r])
    assert not result.ok
    assert any(e.column == column and message in e.message for e in result.errors), result.errors
    assert count(db, ExamResult) == 0 and count(db, Registration) == 1  # nothing changed


def test_results_import_bad_id_number_and_scope(db, org, make_exam, register_people):
    exam, a, b = _results_setup(db, org, make_exam, register_people)
    result = run("exam-results", [["PF2025", "110101199003071235", None, "参考", 80]])
    assert not result.ok and "校验位" in result.errors[0].message
    from intranet.testing import make_user
    county_bureau = make_user("bureau", org.town_b)
    db.session.commit()
    result = run("exam-results", [["PF2025", a.id_number, None, "参考", 80]], user=county_bureau)
    assert not result.ok and "管理范围" in result.errors[0].message


def test_thirty_thousand_results_in_bulk(db, org, make_exam):
    from intranet.testing import count_queries
    exam = make_exam(code="BIG")
    n = 30000
    people = []
    seen = set()
    i = 0
    while len(people) < n:
        number = make_id()
        i += 1
        if number in seen:
            continue
        seen.add(number)
        people.append(dict(name=f"考生{i}", id_number=number, department_id=org.town_a.id, staffing="行政编制",
                           status="在岗", enforcement_post=False, title=""))
    for start in range(0, n, 5000):
        db.session.execute(insert(Person), people[start:start + 5000])
    db.session.commit()
    rows = [["BIG", p["id_number"], "已报名", "参考" if k % 50 else "缺考", (60 + k % 40) if k % 50 else None]
            for k, p in enumerate(people)]
    with count_queries(db) as queries:
        result = run("exam-results", rows)
    assert result.ok, result.errors[:3]
    assert result.created == n
    assert len(queries) < 200  # bulk statements, not one per row
    from intranet_exams import figures
    f = figures.exam_figures(exam.id)
    assert (f["registered"], f["sat"], f["absent"]) == (n, n - n // 50, n // 50)


def test_questions_import(db, org):
    result = run("questions", [
        ["单选", "行政处罚的追责时效一般为（  ）。", "一年", "二年", "三年", "五年", "B", "第三十六条", "行政处罚法", "易"],
        ["多选", "行政强制措施包括（  ）。", "查封", "扣押", "冻结", "罚款", "A, B、C", "", "《行政强制法》", 3],
        ["判断", "行政强制措施权不得委托。", None, None, None, None, "对", "", "《行政强制法》", None],
        ["判断", "行政处罚可以由一名执法人员实施。", None, None, None, None, "错", "", "《行政处罚法》", "中"],
    ])
    assert result.ok, result.errors
    qs = {q.qtype: q for q in db.session.scalars(select(Question).where(Question.qtype != "判断"))}
    assert qs["单选"].answer == "B" and qs["单选"].law == "《行政处罚法》" and qs["单选"].difficulty == 1
    assert qs["多选"].answer == "ABC" and qs["多选"].difficulty == 3
    assert qs["多选"].origin_id == qs["多选"].id
    tf = {q.stem: q.answer for q in db.session.scalars(select(Question).where(Question.qtype == "判断"))}
    assert tf == {"行政强制措施权不得委托。": "A", "行政处罚可以由一名执法人员实施。": "B"}
    assert run("questions", [["判断", "行政强制措施权不得委托。", None, None, None, None, "对", "", "《行政强制法》", None]]).unchanged == 1


@pytest.mark.parametrize("row, column, message", [
    (["单选", "题干", "甲", "乙", None, None, "C", "", "《民法典》", None], "答案", "不在选项中"),
    (["单选", "题干", "甲", "乙", "丙", None, "AB", "", "《民法典》", None], "答案", "只能有一个答案"),
    (["多选", "题干", "甲", "乙", "丙", "丁", "E", "", "《民法典》", None], "答案", "不在选项中"),
    (["多选", "题干", "甲", "乙", "丙", "丁", "A", "", "《民法典》", None], "答案", "至少应有两个"),
    (["判断", "题干", None, None, None, None, "也许", "", "《民法典》", None], "答案", "正确"),
    (["单选", "题干", "甲", None, "丙", None, "A", "", "《民法典》", None], "选项A", "选项B为空"),
    (["单选", "题干", "甲", "乙", None, None, "A", "", "《民法典》", "极难"], "难度", "无效"),
])
def test_questions_import_bad_rows(db, org, row, column, message):
    result = run("questions", [row])
    assert not result.ok
    assert any(e.column == column and message in e.message for e in result.errors), result.errors
    assert count(db, Question) == 0
