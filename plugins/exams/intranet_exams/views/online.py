"""The candidate's side: my exams, self-registration, taking an online paper, the score."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet.access import is_read_only, json_view, roles_required
from intranet.extensions import db
from intranet.pagination import paginate

from .. import online, service
from ..models import Exam, ExamResult, Paper, Registration
from ..online import PaperClosed
from ..service import ExamError, now
from . import ALL_ROLES, CANDIDATE_ROLES, bp, get_exam


class PaperForm(FlaskForm):
    """CSRF for the paper; the answers are read per question and checked by ``online.normalise``."""


def _person():
    person = current_user.person
    if person is None:
        abort(403, "您的账户未关联人员档案，不能参加考试")
    return person


def _own_paper(paper_id: int) -> Paper:
    """The candidate's own paper: 404 when it does not exist, 403 when it is somebody else's."""
    paper = db.session.get(Paper, paper_id)
    if paper is None:
        abort(404, "试卷不存在")
    if current_user.person_id is None or paper.person_id != current_user.person_id:
        abort(403, "这不是您的试卷")
    return paper


@bp.route("/mine")
@roles_required(*ALL_ROLES)
def mine():
    person = current_user.person
    if person is None:
        return render_template("exams/mine.html", person=None, page=None, offers=[], papers={})
    at = now()
    expired = db.session.scalars(select(Paper).where(Paper.person_id == person.id, Paper.submitted_at.is_(None),
                                                     Paper.deadline <= at)).all()
    for paper in expired:
        online.close_if_expired(paper, at)
    if expired:
        db.session.commit()
    best = service.best_results_stmt().where(ExamResult.person_id == person.id).subquery()
    stmt = (select(Registration, best.c.best_score, best.c.passed, best.c.attempts, best.c.sat, best.c.exempt)
            .options(joinedload(Registration.exam))
            .join(Exam, Exam.id == Registration.exam_id)
            .outerjoin(best, best.c.exam_id == Registration.exam_id)
            .where(Registration.person_id == person.id, Registration.status != "已取消")
            .order_by(Exam.year.desc(), Exam.id.desc()))
    page = paginate(stmt, scalars=False)
    papers = {p.exam_id: p for p in db.session.scalars(select(Paper).where(
        Paper.person_id == person.id, Paper.submitted_at.is_(None)))}
    taken = select(Registration.exam_id).where(Registration.person_id == person.id, Registration.status != "已取消")
    offers = [] if is_read_only() else service.audience_exams(db.session.scalars(
        service.open_exams_stmt(at).options(joinedload(Exam.audience_department))
        .where(Exam.self_registration.is_(True), Exam.id.not_in(taken)).order_by(Exam.id).limit(20)), person)
    return render_template("exams/mine.html", person=person, page=page, offers=offers, papers=papers, now=at,
                           form=PaperForm(), outcome=service.outcome)


@bp.route("/<int:exam_id>/self-register", methods=["POST"])
@roles_required(*CANDIDATE_ROLES)
def self_register(exam_id):
    exam = get_exam(exam_id)
    person = _person()
    if not PaperForm().validate_on_submit():
        abort(400)
    try:
        if not exam.self_registration:
            raise ExamError("该考试不允许个人报名，请联系本单位管理员")
        if not service.in_audience(exam, person):
            raise ExamError("您不在该考试的应考范围内")
        count = service.register(exam, [person], "已报名", current_user, self_registered=True)
    except ExamError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        if count:
            flash(f"已报名：{exam.title}", "success")
        else:
            flash(f"您已报名“{exam.title}”（可能是重复提交），未作更改", "info")
    return redirect(url_for("exams.mine"))


@bp.route("/<int:exam_id>/start", methods=["POST"])
@roles_required(*CANDIDATE_ROLES)
def start(exam_id):
    exam = get_exam(exam_id)
    person = _person()
    if not PaperForm().validate_on_submit():
        abort(400)
    try:
        paper = online.start(exam, person, current_user)
        db.session.commit()
    except ExamError as exc:
        db.session.commit()  # a paper closed on the way stays closed
        flash(str(exc), "error")
        return redirect(url_for("exams.mine"))
    except IntegrityError:  # a double click drew the same attempt twice: keep the first paper
        db.session.rollback()
        paper = online.open_paper(exam, person.id)
        if paper is None:
            flash("试卷生成冲突，请重试", "error")
            return redirect(url_for("exams.mine"))
    return redirect(url_for("exams.paper", paper_id=paper.id))


@bp.route("/papers/<int:paper_id>", methods=["GET", "POST"])
@roles_required(*CANDIDATE_ROLES)
def paper(paper_id):
    paper = _own_paper(paper_id)
    if online.close_if_expired(paper):
        db.session.commit()
        flash("考试时间已到，试卷已自动交卷", "warning")
    if paper.submitted_at is not None:
        return redirect(url_for("exams.paper_result", paper_id=paper.id))
    form = PaperForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        return _post_answers(paper, submit="submit" in request.form)
    return render_template("exams/paper.html", paper=paper, exam=paper.exam, form=form,
                           questions=online.questions_of(paper), answers=online.answers_of(paper), now=now())


def _post_answers(paper: Paper, submit: bool):
    """The form without JavaScript: save what changed on this page, then maybe submit."""
    posted = {}
    for qid in paper.question_ids:
        raw = "".join(request.form.getlist(f"q{qid}"))
        seen = request.form.get(f"seen{qid}", "")
        revision = request.form.get(f"rev{qid}", type=int)
        posted[qid] = (raw, seen, revision)
    try:
        saved = online.save_many(paper, posted)
        if submit:
            online.grade(paper, user=current_user)
    except PaperClosed as exc:
        db.session.commit()  # the time-out grading stays
        flash(str(exc), "error")
        return redirect(url_for("exams.paper_result", paper_id=paper.id))
    except ExamError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("exams.paper", paper_id=paper.id))
    db.session.commit()
    conflicts = [s["number"] for s in saved if s["conflict"]]
    if conflicts:
        flash(f"第{'、'.join(map(str, conflicts))}题在另一个窗口中也作答过，已按本次提交保存", "warning")
    if submit:
        flash(f"已交卷，得分 {paper.score:g}", "success")
        return redirect(url_for("exams.paper_result", paper_id=paper.id))
    flash(f"已保存 {len(saved)} 题的答案", "success")
    return redirect(url_for("exams.paper", paper_id=paper.id))


@bp.route("/papers/<int:paper_id>/answer", methods=["POST"])
@json_view
@roles_required(*CANDIDATE_ROLES)
def save_answer(paper_id):
    """JSON: {"question_id", "answer", "revision"} → the saved state of every answer (no keys)."""
    paper = _own_paper(paper_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"ok": False, "error": "请求数据无效"}), 400
    try:
        question_id = int(data.get("question_id"))
        revision = data.get("revision")
        revision = int(revision) if revision is not None else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON Infinity
        return jsonify({"ok": False, "error": "请求数据无效"}), 400
    try:
        saved = online.save(paper, question_id, data.get("answer", ""), revision)
    except PaperClosed as exc:
        db.session.commit()
        return jsonify({"ok": False, "closed": True, "error": str(exc),
                        "result_url": url_for("exams.paper_result", paper_id=paper.id)}), 409
    except ExamError as exc:
        db.session.rollback()
        return jsonify({"ok": False, "error": str(exc)}), 400
    db.session.commit()
    message = ""
    if saved["conflict"]:
        message = f"第{saved['number']}题已在另一个窗口中改过，现已按本次作答保存"
    return jsonify({"ok": True, "saved": saved, "message": message,
                    "answers": {str(a.question_id): {"answer": a.answer, "revision": a.revision}
                                for a in online.answers_of(paper).values()}})


@bp.route("/papers/<int:paper_id>/result")
@roles_required(*ALL_ROLES)
def paper_result(paper_id):
    paper = _own_paper(paper_id)
    if paper.submitted_at is None and not online.close_if_expired(paper):
        return redirect(url_for("exams.paper", paper_id=paper.id))
    db.session.commit()
    result = db.session.scalar(select(ExamResult).where(and_(ExamResult.paper_id == paper.id)))
    questions, answers = online.questions_of(paper), online.answers_of(paper)
    wrong = [n for n, q in enumerate(questions, 1) if not (answers.get(q.id) and answers[q.id].correct)]
    return render_template("exams/paper_result.html", paper=paper, exam=paper.exam, result=result,
                           questions=questions, answers=answers, wrong=wrong,
                           reveal=online.reveal_answers(paper), resit=online.may_sit_again(paper))
