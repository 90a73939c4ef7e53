"""Registration by department administrators (预报名, 报名, 取消) and exemptions (免考)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.access import apply_scope, roles_required, scoped_get
from intranet.extensions import db
from intranet.locking import StateChanged
from intranet.models import Person
from intranet.pagination import paginate, paginate_grouped

from .. import service
from ..forms import ConfirmForm, DecisionForm, ExemptionForm, RegisterForm
from ..models import Exemption, Registration
from ..service import ExamError, can_manage
from . import READ_ROLES, REGISTER_ROLES, bp, get_exam


def _candidates_stmt(exam):
    """In-post people in the viewer's scope who must sit and are not (or no longer) registered."""
    taken = select(Registration.person_id).where(Registration.exam_id == exam.id, Registration.status != "已取消")
    stmt = (select(Person).where(service.audience_filter(exam), Person.id.not_in(taken))
            .order_by(Person.department_id, Person.name_key, Person.name, Person.id))
    return apply_scope(stmt, Person.department_id)


@bp.route("/<int:exam_id>/register", methods=["GET", "POST"])
@roles_required(*REGISTER_ROLES)
def register(exam_id):
    exam = get_exam(exam_id)
    form = RegisterForm()
    if form.validate_on_submit():
        ids = set(form.people.data or [])
        people = list(db.session.scalars(_candidates_stmt(exam).options(joinedload(Person.department))
                                             .where(Person.id.in_(ids)))) if ids else []
        try:
            if len(people) != len(ids):
                raise ExamError("所选人员中有不在您管理范围内、不属于应考范围或已报名的人员，请刷新后重试")
            count = service.register(exam, people, form.status.data, current_user)
        except (ExamError, StateChanged) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if count:
                flash(f"已为 {count} 人{'预报名' if form.status.data == '预报名' else '报名'}", "success")
            else:
                flash("所选人员均已报名（可能是重复提交），未作更改", "info")
            return redirect(url_for("exams.register", exam_id=exam.id, q=request.args.get("q", "")))
    elif request.method == "POST":
        flash("提交的数据无效，请刷新后重试", "error")
    stmt = _candidates_stmt(exam)
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(Person.name.like(f"%{q}%"))
    page = paginate_grouped(stmt, Person.department_id, [], options=[joinedload(Person.department)])
    return render_template("exams/register.html", exam=exam, form=form, page=page, q=q)


@bp.route("/<int:exam_id>/confirm", methods=["POST"])
@roles_required(*REGISTER_ROLES)
def confirm(exam_id):
    exam = get_exam(exam_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    stmt = select(Registration).where(Registration.exam_id == exam.id)
    if request.form.get("all"):
        stmt = stmt.where(Registration.status == "预报名")
    else:
        stmt = stmt.where(Registration.id.in_(form.registrations.data or [-1]))
    regs = list(db.session.scalars(apply_scope(stmt, Registration.department_id)))
    try:
        if not request.form.get("all") and len(regs) != len(set(form.registrations.data or [])):
            raise ExamError("所选报名中有不在您管理范围内的记录")
        count = service.confirm(exam, regs, current_user)
    except (ExamError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已确认报名 {count} 人", "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@roles_required(*REGISTER_ROLES)
def cancel(registration_id):
    reg = scoped_get(Registration, registration_id, write=True)
    try:
        service.cancel(reg, current_user)
    except (ExamError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已取消 {reg.person.name} 的报名", "success")
    return redirect(url_for("exams.detail", exam_id=reg.exam_id))


@bp.route("/registrations/<int:registration_id>/exemption", methods=["GET", "POST"])
@roles_required(*REGISTER_ROLES)
def request_exemption(registration_id):
    reg = scoped_get(Registration, registration_id, write=True)
    form = ExemptionForm()
    if form.validate_on_submit():
        try:
            service.request_exemption(reg.exam, reg.person, form.reason.data, form.note.data or "", current_user)
        except (ExamError, StateChanged) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"已提交 {reg.person.name} 的免考申请，等待审批", "success")
            return redirect(url_for("exams.detail", exam_id=reg.exam_id))
    return render_template("exams/exemption_form.html", form=form, reg=reg)


@bp.route("/<int:exam_id>/exemptions")
@roles_required(*READ_ROLES)
def exemptions(exam_id):
    exam = get_exam(exam_id)
    status = request.args.get("status", "待审批")
    stmt = (select(Exemption).options(joinedload(Exemption.person).joinedload(Person.department))
            .where(Exemption.exam_id == exam.id).order_by(Exemption.id.desc()))
    if status:
        stmt = stmt.where(Exemption.status == status)
    page = paginate(apply_scope(stmt, Exemption.department_id))
    return render_template("exams/exemptions.html", exam=exam, page=page, status=status,
                           manage=can_manage(exam, current_user), decision_form=DecisionForm())


@bp.route("/exemptions/<int:exemption_id>/decide", methods=["POST"])
@roles_required(*REGISTER_ROLES)
def decide(exemption_id):
    exemption = db.session.get(Exemption, exemption_id)
    if exemption is None:
        abort(404)
    if not can_manage(exemption.exam, current_user):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.decide_exemption(exemption, bool(form.approve.data), form.note.data or "", current_user)
    except (ExamError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{exemption.person.name} 的免考申请{exemption.status}", "success")
    return redirect(url_for("exams.exemptions", exam_id=exemption.exam_id))

