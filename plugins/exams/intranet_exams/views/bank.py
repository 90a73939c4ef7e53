"""题库 pages (list, new, new version, retire) and each online exam's paper blueprint."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from intranet import audit
from intranet.access import roles_required
from intranet.extensions import db
from intranet.pagination import paginate

from .. import bank
from ..forms import BlueprintForm, QuestionFilterForm, QuestionForm, RuleForm, options
from ..models import BlueprintRule, PaperBlueprint, Question
from ..service import ExamError
from . import BUREAU_ROLES, bp, get_exam, require_manage


@bp.route("/questions")
@roles_required(*BUREAU_ROLES)
def questions():
    form = QuestionFilterForm(request.args)
    form.law.choices = options([("", "全部法律")] + [(law, law) for law in bank.laws()])
    stmt = select(Question).order_by(Question.law, Question.qtype, Question.id)
    if form.state.data == "retired":
        stmt = stmt.where(Question.retired.is_(True))
    elif form.state.data != "all":
        stmt = stmt.where(Question.retired.is_(False))
    if form.law.data:
        stmt = stmt.where(Question.law == form.law.data)
    if form.qtype.data:
        stmt = stmt.where(Question.qtype == form.qtype.data)
    if form.q.data:
        stmt = stmt.where(Question.stem.like(f"%{form.q.data.strip()}%"))
    page = paginate(stmt)
    return render_template("exams/questions.html", page=page, form=form)


def _values(form: QuestionForm):
    values, errors = bank.check(form.qtype.data, form.stem.data, form.option_values(), form.answer.data, form.law.data)
    fields = {"qtype": form.qtype, "stem": form.stem, "options": form.option_a, "answer": form.answer, "law": form.law}
    for name, message in errors:
        fields[name].errors.append(message)
    if errors:
        return None
    values.update(chapter=(form.chapter.data or "").strip(), explanation=(form.explanation.data or "").strip(),
                  difficulty=form.difficulty.data)
    return values


@bp.route("/questions/new", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def new_question():
    form = QuestionForm()
    if form.validate_on_submit():
        values = _values(form)
        if values is not None:
            twin = bank.duplicate_of(values, bank.fact_index())
            q = bank.create(values, current_user)
            db.session.commit()
            flash("题目已加入题库", "success")
            if twin is not None:
                flash(f"该题与题库中第{twin}号题目是同一知识点，组卷时不会同时抽到，请核对是否重复", "warning")
            return redirect(url_for("exams.question", question_id=q.id))
    return render_template("exams/question_form.html", form=form, question=None)


def _get_question(question_id: int) -> Question:
    q = db.session.get(Question, question_id)
    if q is None:
        abort(404, "题目不存在")
    return q


@bp.route("/questions/<int:question_id>")
@roles_required(*BUREAU_ROLES)
def question(question_id):
    q = _get_question(question_id)
    versions = list(db.session.scalars(select(Question).where(Question.origin_id == q.origin_id)
                                       .order_by(Question.version.desc()).limit(50)))
    return render_template("exams/question.html", q=q, versions=versions, used=bank.times_used(q.id))


@bp.route("/questions/<int:question_id>/new-version", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def question_version(question_id):
    old = _get_question(question_id)
    if old.retired:
        flash("该题目已停用，只能从在用的最新版本修改", "error")
        return redirect(url_for("exams.question", question_id=old.id))
    form = QuestionForm()
    if request.method == "GET":
        form.process(data=dict(qtype=old.qtype, law=old.law, chapter=old.chapter, stem=old.stem,
                               answer=old.answer_text, explanation=old.explanation, difficulty=old.difficulty,
                               **{f"option_{c}": t for c, t in zip("abcd", old.options if old.qtype != "判断" else [])}))
    if form.validate_on_submit():
        values = _values(form)
        if values is not None:
            try:
                q = bank.new_version(old, values, current_user)
            except ExamError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                db.session.commit()
                flash(f"已保存为第 {q.version} 版，原题已停用（已组卷的试卷不受影响）", "success")
                return redirect(url_for("exams.question", question_id=q.id))
    return render_template("exams/question_form.html", form=form, question=old)


@bp.route("/questions/<int:question_id>/retire", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def retire_question(question_id):
    q = _get_question(question_id)
    try:
        bank.retire(q, current_user)
    except ExamError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("题目已停用", "success")
    return redirect(url_for("exams.question", question_id=q.id))


# --- blueprint ---------------------------------------------------------------------------------

def _blueprint(exam) -> PaperBlueprint:
    bp_ = db.session.scalar(select(PaperBlueprint).where(PaperBlueprint.exam_id == exam.id))
    if bp_ is None:
        bp_ = PaperBlueprint(exam_id=exam.id, time_limit_minutes=90)
        db.session.add(bp_)
        db.session.flush()
    return bp_


@bp.route("/<int:exam_id>/blueprint", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def blueprint(exam_id):
    exam = get_exam(exam_id)
    require_manage(exam)
    if not exam.online:
        flash("线下考试不需要组卷规则", "error")
        return redirect(url_for("exams.detail", exam_id=exam.id))
    current = db.session.scalar(select(PaperBlueprint).where(PaperBlueprint.exam_id == exam.id))
    time_form = BlueprintForm(prefix="t", obj=current)
    rule_form = RuleForm(prefix="r")
    rule_form.law.choices = options([("", "不限法律")] + [(law, law) for law in bank.laws()])
    if request.method == "POST" and "t-submit" in request.form and time_form.validate():
        bp_ = _blueprint(exam)
        before = bp_.time_limit_minutes
        bp_.time_limit_minutes = time_form.time_limit_minutes.data
        audit.record("update", "exams_blueprint", bp_.id, summary=f"{exam.code} 考试时长 {bp_.time_limit_minutes} 分钟",
                     department_id=exam.organiser_id, before={"minutes": before},
                     after={"minutes": bp_.time_limit_minutes})
        db.session.commit()
        flash("考试时长已保存", "success")
        return redirect(url_for("exams.blueprint", exam_id=exam.id))
    if request.method == "POST" and "r-submit" in request.form and rule_form.validate():
        available = _available().get((rule_form.qtype.data, rule_form.law.data), 0)
        if rule_form.count.data > available:
            rule_form.count.errors.append(f"题库中可用的{rule_form.law.data}{rule_form.qtype.data}题（去除重复题后）只有 {available} 道")
        else:
            bp_ = _blueprint(exam)
            rule = BlueprintRule(blueprint_id=bp_.id, qtype=rule_form.qtype.data, law=rule_form.law.data,
                                 count=rule_form.count.data, points=rule_form.points.data)
            db.session.add(rule)
            db.session.flush()
            audit.record("create", "exams_blueprint_rule", rule.id, department_id=exam.organiser_id,
                         summary=f"{exam.code} 组卷规则：{rule.law or '不限法律'}{rule.qtype} {rule.count} 题，每题 {rule.points:g} 分",
                         after={"qtype": rule.qtype, "law": rule.law, "count": rule.count, "points": rule.points})
            db.session.commit()
            flash("组卷规则已添加", "success")
            return redirect(url_for("exams.blueprint", exam_id=exam.id))
    rules = current.rules if current is not None else []
    return render_template("exams/blueprint.html", exam=exam, blueprint=current, rules=rules, time_form=time_form,
                           rule_form=rule_form, available=_available(),
                           total_points=sum(r.count * r.points for r in rules),
                           total_count=sum(r.count for r in rules))


def _available() -> dict:
    """(qtype, law) → distinct active questions (near-duplicates count once); (qtype, "") → all laws."""
    from ..similarity import facts_of
    counts: dict = {}
    taken: dict = {}
    for q in db.session.scalars(select(Question).where(Question.retired.is_(False)).order_by(Question.id)):
        fs = facts_of(q)
        for key in ((q.qtype, q.law), (q.qtype, "")):
            seen = taken.setdefault(key, set())
            if not (fs & seen):
                counts[key] = counts.get(key, 0) + 1
                seen |= fs
    return counts


@bp.route("/blueprint-rules/<int:rule_id>/remove", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def remove_rule(rule_id):
    rule = db.session.get(BlueprintRule, rule_id)
    if rule is None or not rule.active:
        abort(404)
    exam = rule.blueprint.exam
    require_manage(exam)
    rule.active = False
    audit.record("deactivate", "exams_blueprint_rule", rule.id, department_id=exam.organiser_id,
                 summary=f"{exam.code} 停用组卷规则", before={"active": True}, after={"active": False})
    db.session.commit()
    flash("组卷规则已停用（已组卷的试卷不受影响）", "success")
    return redirect(url_for("exams.blueprint", exam_id=exam.id))

