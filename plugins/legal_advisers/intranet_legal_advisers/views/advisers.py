"""The talent pool (人才库): firms, lawyers and 公职律师, searchable by speciality; one adviser's history."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from intranet.access import MANAGE_ROLES, READ_ROLES, apply_scope, departments_in_scope, require_scope, roles_required
from intranet.extensions import db
from intranet.forms import options
from intranet.locking import StateChanged
from intranet.models import Person
from intranet.pagination import paginate

from .. import service
from ..forms import AdviserForm
from ..models import ADVISER_KINDS, FIRM, PUBLIC, Adviser, Assessment, Contract, ContractAdviser
from ..service import AdviserError, AdviserValues
from . import BUREAU_ROLES, bp, flash_form, refuse


@bp.route("/advisers")
@roles_required(*READ_ROLES)
def advisers():
    args = request.args
    stmt = select(Adviser).options(joinedload(Adviser.firm)).where(Adviser.active.is_(True))
    q, speciality = args.get("q", "").strip()[:50], args.get("speciality", "").strip()[:50]
    if q:
        stmt = stmt.where(or_(Adviser.name.contains(q, autoescape=True), Adviser.code == q.upper()))
    if speciality:
        stmt = stmt.where(Adviser.specialities.contains(speciality, autoescape=True))
    if args.get("kind") in ADVISER_KINDS:
        stmt = stmt.where(Adviser.kind == args["kind"])
    page = paginate(stmt.order_by(Adviser.kind, Adviser.name, Adviser.id))
    return render_template("legal_advisers/advisers.html", page=page, kinds=ADVISER_KINDS, filters=args,
                           can_add=current_user.role in MANAGE_ROLES)


def _form(obj=None) -> AdviserForm:
    form = AdviserForm(obj=obj)
    firms = db.session.scalars(select(Adviser).where(Adviser.kind == FIRM, Adviser.active.is_(True)).order_by(Adviser.name))
    form.firm_id.choices = options([(0, "（无）")] + [(f.id, f.name) for f in firms])
    form.person_department_id.choices = options([(0, "（公职律师时选择）")] + [(d.id, d.tree_label) for d in departments_in_scope()])
    return form


def _person(form: AdviserForm) -> int | None:
    """The on-duty person of the chosen unit with that name (公职律师)."""
    if form.kind.data != PUBLIC:
        return None
    dept_id, name = form.person_department_id.data, (form.person_name.data or "").strip()
    if not dept_id or not name:
        raise AdviserError("公职律师须选择所在单位并填写姓名")
    require_scope(dept_id, write=True)
    people = list(db.session.scalars(select(Person).where(Person.department_id == dept_id, Person.name == name,
                                                          Person.status == "在岗").limit(2)))
    if not people:
        raise AdviserError(f"所选单位没有名为“{name}”的在岗人员，请先在人员档案中登记")
    if len(people) > 1:
        raise AdviserError(f"所选单位有多名“{name}”，请联系司法局在人员档案中区分后再登记")
    return people[0].id


def _values(form: AdviserForm) -> AdviserValues:
    return AdviserValues(kind=form.kind.data, name=form.name.data or "", code=form.code.data or "",
                         firm_id=form.firm_id.data or None, specialities=form.specialities.data or "",
                         phone=form.phone.data or "", person_id=_person(form))


def _get(adviser_id) -> Adviser:
    adviser = db.session.get(Adviser, adviser_id)
    if adviser is None:
        abort(404)
    return adviser


@bp.route("/advisers/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def new_adviser():
    form = _form()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                adviser = service.save_adviser(None, _values(form), current_user)
            except (AdviserError, StateChanged) as exc:
                refuse(exc)
            else:
                db.session.commit()
                flash(f"已登记{adviser.kind}：{adviser.name}", "success")
                return redirect(url_for(".adviser", adviser_id=adviser.id))
        else:
            flash_form(form)
    return render_template("legal_advisers/adviser_form.html", form=form, adviser=None)


@bp.route("/advisers/<int:adviser_id>/edit", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def edit_adviser(adviser_id):
    adviser = _get(adviser_id)
    form = _form(adviser)
    if request.method == "GET":
        form.firm_id.data = adviser.firm_id or 0
        if adviser.person is not None:
            form.person_department_id.data, form.person_name.data = adviser.person.department_id, adviser.person.name
    elif form.validate_on_submit():
        try:
            service.save_adviser(adviser, _values(form), current_user)
        except (AdviserError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash("顾问信息已保存", "success")
            return redirect(url_for(".adviser", adviser_id=adviser.id))
    else:
        flash_form(form)
    return render_template("legal_advisers/adviser_form.html", form=form, adviser=adviser)


@bp.route("/advisers/<int:adviser_id>")
@roles_required(*READ_ROLES)
def adviser(adviser_id):
    adviser = _get(adviser_id)
    contracts = list(db.session.scalars(apply_scope(
        select(Contract).join(ContractAdviser, ContractAdviser.contract_id == Contract.id)
        .options(joinedload(Contract.department)).where(ContractAdviser.adviser_id == adviser.id)
        .order_by(Contract.start_on.desc(), Contract.id.desc()), Contract.department_id)))
    assessments = list(db.session.scalars(apply_scope(
        select(Assessment).join(ContractAdviser, ContractAdviser.contract_id == Assessment.contract_id)
        .options(joinedload(Assessment.contract)).where(ContractAdviser.adviser_id == adviser.id)
        .order_by(Assessment.year.desc(), Assessment.id.desc()), Assessment.department_id)))
    lawyers = list(db.session.scalars(select(Adviser).where(Adviser.firm_id == adviser.id).order_by(Adviser.name))) \
        if adviser.kind == FIRM else []
    return render_template("legal_advisers/adviser.html", adviser=adviser, contracts=contracts,
                           assessments=assessments, lawyers=lawyers, can_edit=current_user.role in BUREAU_ROLES)
