"""Excel imports: exams, exam results (30,000 rows in a few bulk statements) and questions."""
from __future__ import annotations

from sqlalchemy import and_, select, update

from intranet.access import apply_scope
from intranet.extensions import db
from intranet.imports import Column, ImportKind
from intranet.imports.framework import bulk_insert, bulk_update, chunks
from intranet.locking import share_rows
from intranet.models import Department, Person

from . import bank, settings
from .models import KINDS, PARTS, QUESTION_TYPES, Exam, ExamResult, Exemption, Question, Registration
from .service import now, score_error

KIND_NAMES = ("exams", "exam-results", "questions")
QUALIFICATION_PARTS = {f"行政执法资格考试（{p}）": ("行政执法资格考试", p) for p in PARTS}


# --- exams ---------------------------------------------------------------------------------------

def apply_exams(rows, ctx) -> None:
    codes = [r.values["考试编号"] for r in rows]
    existing = {e.code: e for e in db.session.scalars(select(Exam).where(Exam.code.in_(codes)))} if codes else {}
    top_scores = dict(db.session.execute(
        select(ExamResult.exam_id, db.func.max(ExamResult.score)).where(
            ExamResult.exam_id.in_([e.id for e in existing.values()])).group_by(ExamResult.exam_id)).all())
    seen, new_rows, changes = set(), [], []
    for row in rows:
        v = row.values
        code, full, pass_mark = v["考试编号"], v["满分"], v["合格分"]
        if code in seen:
            ctx.error(row.row, "考试编号", f"考试编号 {code} 在文件中重复")
            continue
        seen.add(code)
        if full <= 0:
            ctx.error(row.row, "满分", "满分应大于0")
            continue
        if pass_mark < 0:
            ctx.error(row.row, "合格分", "合格分不能为负数")
            continue
        if pass_mark > full:
            ctx.error(row.row, "合格分", f"合格分 {pass_mark:g} 高于满分 {full:g}")
            continue
        kind, part = QUALIFICATION_PARTS.get(v["考试类型"], (v["考试类型"], ""))
        values = {"name": v["考试名称"], "kind": kind, "part": part, "exam_date": v["考试日期"],
                  "year": v["考试日期"].year, "full_mark": float(full), "pass_mark": float(pass_mark)}
        exam = existing.get(code)
        if exam is None:
            new_rows.append({**values, "code": code, "online": False, "audience": "list",
                             "max_attempts": settings.get("max_attempts"), "self_registration": False,
                             "active": True, "note": "",
                             "organiser_id": ctx.user.department_id if ctx.user is not None else None})
            continue
        top = top_scores.get(exam.id)
        if top is not None and full < top:
            ctx.error(row.row, "满分", f"该考试已有成绩 {top:g} 分，满分不能低于该成绩")
            continue
        if any(getattr(exam, k) != val for k, val in values.items()):
            changes.append((exam, values))
        else:
            ctx.result.unchanged += 1
    if ctx.result.errors:
        return
    bulk_insert(Exam, new_rows)
    for exam, values in changes:
        repass = exam.pass_mark != values["pass_mark"]
        for k, val in values.items():
            setattr(exam, k, val)
        if repass:
            db.session.flush()
            db.session.execute(update(ExamResult).where(ExamResult.exam_id == exam.id).values(
                passed=and_(ExamResult.status == "参考", ExamResult.score >= exam.pass_mark)))
    ctx.result.created, ctx.result.updated = len(new_rows), len(changes)


# --- results -------------------------------------------------------------------------------------

def _allowed_departments(ctx):
    """Department ids the importing user may write (None: all)."""
    user = ctx.user
    if user is None or user.sees_everything:
        return None
    return set(db.session.scalars(apply_scope(select(Department.id), Department.id, user)))


def _people(id_numbers):
    found = {}
    for batch in chunks(sorted(set(id_numbers))):
        for row in db.session.execute(select(Person.id, Person.id_number, Person.department_id,
                                             Person.legal_qualification).where(Person.id_number.in_(batch))):
            found[row.id_number] = row
    return found


def _label_warnings(ctx) -> None:
    """An ID whose area code did not exist in the birth year is a labelled remark, not an error."""
    raw = dict(ctx.result.raw_rows)
    header = ctx.result.raw_header
    for w in ctx.result.warnings:
        if w.column == "身份证号" and "地区码" in w.message and w.row in raw:
            number = str(raw[w.row][header.index("身份证号")] or "").strip().upper()
            w.message = f"地区码{number[:6]}在出生年份（{number[6:10]}年）不存在或已撤销，请核对（仅提示）"


def apply_results(rows, ctx) -> None:
    _label_warnings(ctx)   # every row arrives (every_row): each row's errors are reported at once
    codes = {r.values["考试编号"] for r in rows if r.values["考试编号"]}
    # share-locked, as for a result entered by hand: a withdrawal waits for the import, or it sees it
    exams = {e.code: e for e in db.session.scalars(share_rows(
        select(Exam).where(Exam.code.in_(codes)).order_by(Exam.id)))} if codes else {}
    people = _people(r.values["身份证号"] for r in rows if r.values["身份证号"])
    exam_ids = [e.id for e in exams.values()]
    regs = {(r.exam_id, r.person_id): r for r in db.session.execute(
        select(Registration.id, Registration.exam_id, Registration.person_id, Registration.status,
               Registration.department_id).where(Registration.exam_id.in_(exam_ids)))}
    results: dict[tuple, list] = {}
    for r in db.session.execute(select(ExamResult.id, ExamResult.exam_id, ExamResult.person_id, ExamResult.attempt,
                                       ExamResult.status, ExamResult.score, ExamResult.source)
                                .where(ExamResult.exam_id.in_(exam_ids)).order_by(ExamResult.attempt)):
        results.setdefault((r.exam_id, r.person_id), []).append(r)
    exempted = set(db.session.execute(select(Exemption.exam_id, Exemption.person_id).where(
        Exemption.exam_id.in_(exam_ids), Exemption.status == "已批准")).all())
    allowed = _allowed_departments(ctx)
    stamp, user_id = now(), getattr(ctx.user, "id", None)
    seen = set()
    new_regs, reg_updates, new_results, result_updates, new_exemptions = [], [], [], [], []
    for row in rows:
        v, bad = row.values, row.bad
        errors: list[tuple[str, str]] = []
        exam = person = None
        if "考试编号" not in bad:
            exam = exams.get(v["考试编号"])
            if exam is None:
                errors.append(("考试编号", f"考试编号 {v['考试编号']} 不存在"))
            elif not exam.active:
                errors.append(("考试编号", f"考试 {exam.code} 已撤销"))
                exam = None
        if "身份证号" not in bad:
            person = people.get(v["身份证号"])
            if person is None:
                errors.append(("身份证号", "未找到该身份证号对应的人员，请先导入人员信息"))
            elif allowed is not None and person.department_id not in allowed:
                errors.append(("身份证号", "该人员不在您的管理范围内"))
                person = None
        reg_status, status, score = v["报名状态"], v["参考状态"], v["成绩"]
        if score is not None and status is None and "参考状态" not in bad:
            errors.append(("参考状态", "填写成绩时请同时填写参考状态"))
        if exam is not None and status is not None and "成绩" not in bad:
            error = score_error(exam, status, score)
            if error:
                errors.append(("成绩", error))
        key = (exam.id, person.id) if exam is not None and person is not None else None
        reg = regs.get(key) if key else None
        if key is not None:
            if key in seen:
                errors.append(("身份证号", "同一考试的同一人员在文件中重复"))
            seen.add(key)
            current = reg.status if reg is not None and reg.status != "已取消" else None
            if reg_status == "预报名" and current == "已报名":
                ctx.warning(row.row, "报名状态", "该人员已确认报名，保持“已报名”")
                reg_status = "已报名"
            effective = reg_status or current
            if effective is None and "报名状态" not in bad:
                errors.append(("报名状态", "该人员未报名此考试，不能录入成绩（请填写报名状态）"))
            elif status is not None and effective != "已报名" and "报名状态" not in bad:
                errors.append(("报名状态", "预报名人员尚未确认报名，不能录入参考状态和成绩"))
            if status == "参考" and key in exempted:
                errors.append(("参考状态", "该人员已批准免考，不能录入参考成绩"))
            first = (results.get(key) or [None])[0]
            if status is not None and first is not None and first.source == "在线":
                errors.append(("参考状态", "在线考试成绩由系统评分，不能通过导入修改"))
        for column, message in errors:
            ctx.error(row.row, column, message)
        if errors or bad or key is None:
            continue
        created = updated = False
        department_id = reg.department_id if reg is not None else person.department_id
        if reg is None:
            new_regs.append({"exam_id": exam.id, "person_id": person.id, "department_id": person.department_id,
                             "status": effective, "registered_by_id": user_id, "self_registered": False,
                             "preregistered_at": stamp if effective == "预报名" else None,
                             "registered_at": stamp if effective == "已报名" else None})
            created = True
        elif reg.status != effective:
            reg_updates.append({"id": reg.id, "status": effective, "department_id": person.department_id,
                                "registered_at": stamp if effective == "已报名" else None})
            department_id, updated = person.department_id, True
        if status is not None:
            score = round(float(score), 1) if score is not None else None
            passed = status == "参考" and score >= exam.pass_mark
            first = (results.get(key) or [None])[0]
            if first is None:
                new_results.append({"exam_id": exam.id, "person_id": person.id, "department_id": department_id,
                                    "attempt": 1, "status": status, "score": score, "passed": passed,
                                    "source": "导入", "recorded_by_id": user_id, "recorded_at": stamp})
                created = True
            elif (first.status, first.score) != (status, score):
                result_updates.append({"id": first.id, "status": status, "score": score, "passed": passed,
                                       "source": "导入", "recorded_by_id": user_id, "recorded_at": stamp})
                updated = True
            if status == "免考" and key not in exempted:
                new_exemptions.append({"exam_id": exam.id, "person_id": person.id, "department_id": department_id,
                                       "reason": "法律职业资格" if person.legal_qualification else "其他",
                                       "note": "导入成绩时标记免考", "status": "已批准", "requested_by_id": user_id,
                                       "requested_at": stamp, "decided_by_id": user_id, "decided_at": stamp,
                                       "decision_note": ""})
                exempted.add(key)
        if created:
            ctx.result.created += 1
        elif updated:
            ctx.result.updated += 1
        else:
            ctx.result.unchanged += 1
        if ctx.progress and row.row % 1000 == 0:
            ctx.progress(row.row, len(rows) + 1)
    if ctx.result.errors:
        return
    for model, batch_rows in ((Registration, new_regs), (ExamResult, new_results), (Exemption, new_exemptions)):
        bulk_insert(model, batch_rows)
    for model, batch_rows in ((Registration, reg_updates), (ExamResult, result_updates)):
        bulk_update(model, batch_rows)


# --- questions -----------------------------------------------------------------------------------

def apply_questions(rows, ctx) -> None:
    from .similarity import facts
    existing = set(db.session.execute(select(Question.qtype, Question.law, Question.stem)
                                      .where(Question.retired.is_(False))).all())
    index = bank.fact_index()
    in_file: dict = {}
    user_id = getattr(ctx.user, "id", None)
    new_rows = []
    for row in rows:
        v = row.values
        values, errors = bank.check(v["题型"], v["题干"], [v["选项A"], v["选项B"], v["选项C"], v["选项D"]],
                                    v["答案"], v["所属法律"])
        difficulty, diff_error = bank.parse_difficulty(v["难度"])
        if diff_error:
            errors.append(("difficulty", diff_error))
        columns = {"qtype": "题型", "stem": "题干", "options": "选项A", "answer": "答案", "law": "所属法律",
                   "difficulty": "难度"}
        for field, message in errors:
            ctx.error(row.row, columns[field], message)
        if errors:
            continue
        key = (values["qtype"], values["law"], values["stem"])
        if key in existing:
            ctx.result.unchanged += 1
            continue
        existing.add(key)
        twin = bank.duplicate_of(values, index)
        if twin is not None:
            ctx.warning(row.row, "题干", f"与题库中已有的第{twin}号题目是同一知识点（表述或题型不同），"
                                         "组卷时不会同时抽到，请核对是否重复（仅提示）")
        else:
            for fact in facts(values["law"], values["qtype"], values["stem"], values["options"], values["answer"]):
                if fact in in_file:
                    ctx.warning(row.row, "题干", f"与本文件第{in_file[fact]}行是同一知识点（表述或题型不同），"
                                                 "组卷时不会同时抽到，请核对是否重复（仅提示）")
                    break
        for fact in facts(values["law"], values["qtype"], values["stem"], values["options"], values["answer"]):
            in_file.setdefault(fact, row.row)
        new_rows.append({**values, "chapter": "", "explanation": v["解析"] or "", "difficulty": difficulty,
                         "version": 1, "retired": False, "created_by_id": user_id})
    if ctx.result.errors:
        return
    bulk_insert(Question, new_rows)
    db.session.execute(update(Question).where(Question.origin_id.is_(None)).values(origin_id=Question.id))
    ctx.result.created = len(new_rows)


def import_kinds() -> list[ImportKind]:
    return [
        ImportKind("exams", "exams", "考试", [
            Column("考试编号", max_length=40), Column("考试名称", max_length=200),
            Column("考试类型", "choice", choices=KINDS + list(QUALIFICATION_PARTS)),
            Column("考试日期", "date"), Column("满分", "number"), Column("合格分", "number"),
        ], apply_exams, description="按考试编号新增或更新考试；合格分不能高于满分"),
        ImportKind("exams", "exam-results", "考试成绩", [
            Column("考试编号", max_length=40), Column("身份证号", "id_number"),
            Column("报名状态", "choice", required=False, choices=["预报名", "已报名"],
                   help="已报名的人员可留空"),
            Column("参考状态", "choice", required=False, choices=["参考", "缺考", "免考"]),
            Column("成绩", "number", required=False, help="参考时必填，不能为负数或超过满分"),
        ], apply_results, description="报名与第一次考试成绩；补考成绩请在考试页面录入", every_row=True),
        ImportKind("exams", "questions", "题库", [
            Column("题型", "choice", choices=QUESTION_TYPES), Column("题干", max_length=2000),
            Column("选项A", required=False, max_length=500), Column("选项B", required=False, max_length=500),
            Column("选项C", required=False, max_length=500), Column("选项D", required=False, max_length=500),
            Column("答案", max_length=20, help="单选如 B；多选如 ACD；判断填 正确/错误（或 对/错）"),
            Column("解析", required=False, max_length=2000), Column("所属法律", max_length=100),
            Column("难度", required=False, help="易、中、难（或1、2、3），默认中"),
        ], apply_questions, description="判断题可不填选项；答案必须在选项中"),
    ]
