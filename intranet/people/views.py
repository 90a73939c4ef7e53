"""Staff records: list, create, edit, change of status, and the one-page 学法档案."""
from __future__ import annotations

from functools import cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from wtforms.fields.choices import SelectChoice

from .. import audit, idnumber
from ..access import MANAGE_ROLES, READ_ROLES, apply_scope, department_filter, departments_in_scope, in_scope, \
    require_scope, roles_required, scoped_get
from ..extensions import db
from ..idnumber import check_id_number
from ..inputs import arg_int, bounded_int
from ..models import Department, Person
from ..pagination import group_counts, paginate_grouped
from ..hookspecs import PersonSection
from ..plugins import call_safely
from . import bp
from .forms import PeopleFilterForm, PersonForm, StatusForm

VIEW_ROLES = ("admin", "bureau", "dept_admin", "inspector")
ELSEWHERE = "该身份证号的人员档案已在其他单位，请联系司法局办理调动"


def sees_full_id() -> bool:
    return idnumber.sees_full_id(current_user)


def _search_condition(q: str):
    """Name, or the ID number as far as the viewer may search it (see idnumber)."""
    cond = Person.name.icontains(q.strip(), autoescape=True)
    by_number = idnumber.id_number_search_condition(Person.id_number, q, current_user)
    return cond if by_number is None else cond | by_number


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    form = PeopleFilterForm(request.args)
    # Conditions on person columns only (units by id subquery), so the pager's per-unit counts read
    # ix_person_list alone; the units are joined for the page's rows only.
    stmt, within = department_filter(apply_scope(select(Person), Person.department_id),
                                     request.args.get("department_id"), Person.department_id)
    if (form.q.data or "").strip():
        stmt = stmt.where(_search_condition(form.q.data))
    unit = (form.unit.data or "").strip()
    if unit:
        stmt = stmt.where(Person.department_id.in_(select(Department.id).where(
            Department.name.icontains(unit, autoescape=True) | (Department.code == unit))))
    if form.status.data:
        stmt = stmt.where(Person.status == form.status.data)
    if form.staffing.data:
        stmt = stmt.where(Person.staffing == form.staffing.data)
    if form.enforcement.data in ("0", "1"):
        stmt = stmt.where(Person.enforcement_post.is_(form.enforcement.data == "1"))
    listed = stmt.join(Person.department).order_by(Department.path, Person.name_key, Person.name, Person.id)
    page = paginate_grouped(listed, Person.department_id, counts=group_counts(stmt, Person.department_id),
                            options=[contains_eager(Person.department)])
    return render_template("people/list.html", form=form, page=page, within=within, full_id=sees_full_id(),
                           id_hint=idnumber.id_search_hint(form.q.data, current_user))


def _department_choices(current: Department | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(str(d.id), f"{d.tree_label}（{d.code}）") for d in departments_in_scope()]
    if current is not None and str(current.id) not in {c.value for c in choices}:
        choices.insert(0, SelectChoice(str(current.id), f"{current.name}（{current.code}，已停用）"))
    return choices


def _posted_department(form: PersonForm, current_id: int | None = None) -> Department | None:
    """The chosen unit: 403 outside the user's scope; a form error when missing or deactivated."""
    raw = (form.department_id.data or "").strip()
    if not raw:
        form.department_id.errors.append("请选择所在单位")
        return None
    dept_id = bounded_int(raw)
    if dept_id is None:
        abort(400)
    dept = db.session.get(Department, dept_id)
    if dept is None:
        abort(404)
    require_scope(dept.id, write=True)
    if not dept.active and dept.id != current_id:
        form.department_id.errors.append("该单位已停用，不能添加人员")
        return None
    return dept


def _check_new_id_number(form: PersonForm, value: str, exclude_id: int | None = None):
    """Validate and look up an ID number; returns the IdCheck or None (with a form error)."""
    check = check_id_number(value)
    if check.error:
        form.id_number.errors.append(check.error)
        return None
    stmt = select(Person).options(joinedload(Person.department)).where(Person.id_number == check.number)
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    existing = db.session.scalar(stmt)
    if existing is not None:
        if in_scope(existing.department_id):
            form.id_number.errors.append(
                f"该身份证号已存在：{existing.department.name} 的 {existing.name}（请勿重复添加）")
        else:  # never name a person or unit outside the viewer's scope
            form.id_number.errors.append(ELSEWHERE)
        return None
    return check


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def create():
    form = PersonForm()
    del form.reason
    form.department_id.choices = _department_choices()
    if request.method == "GET":
        wanted = arg_int("department_id") or current_user.department_id
        if wanted:
            require_scope(wanted, write=True)
            form.department_id.data = str(wanted)
    if form.validate_on_submit():
        dept = _posted_department(form)
        check = _check_new_id_number(form, form.id_number.data)
        if dept is not None and check is not None:
            person = Person(name=form.name.data.strip(), id_number=check.number, department_id=dept.id,
                            title=(form.title.data or "").strip(), staffing=form.staffing.data,
                            enforcement_post=form.enforcement_post.data,
                            legal_qualification=form.legal_qualification.data,
                            phone=(form.phone.data or "").strip(), status="在岗")
            db.session.add(person)
            try:
                db.session.flush()
            except IntegrityError:  # added by someone else a moment ago
                db.session.rollback()
                form.id_number.errors.append("该身份证号已存在")
            else:
                audit.record("create", "person", person.id, summary=f"新增人员 {person.name}（{dept.name}）",
                             after=person.audit_state(), department_id=dept.id)
                db.session.commit()
                if check.warning:
                    flash(f"已保存，但请核对：{check.warning}", "warning")
                flash(f"已添加人员 {person.name}", "success")
                return redirect(url_for("people.record", person_id=person.id))
    return render_template("people/form.html", form=form, person=None, full_id=sees_full_id())


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit(person_id):
    person = scoped_get(Person, person_id, write=True)
    form = PersonForm(obj=person)
    form.department_id.choices = _department_choices(person.department)
    if not sees_full_id():
        form.id_number.description = f"当前：{person.masked_id_number}。如需更正请输入完整的新号码，留空表示不修改"
    if request.method == "GET":
        form.department_id.data = str(person.department_id)
        if not sees_full_id():
            form.id_number.data = ""
    if form.validate_on_submit():
        dept = _posted_department(form, current_id=person.department_id)
        new_number = (form.id_number.data or "").strip().upper()
        check = None
        if new_number and new_number != person.id_number:
            check = _check_new_id_number(form, new_number, exclude_id=person.id)
        elif not new_number and sees_full_id():
            form.id_number.errors.append("身份证号不能为空")
        if dept is not None and not form.id_number.errors:
            before = person.audit_state()
            old_number = person.id_number
            if check is not None:
                person.id_number = check.number
            person.name = form.name.data.strip()
            person.department_id = dept.id
            person.title = (form.title.data or "").strip()
            person.staffing = form.staffing.data
            person.enforcement_post = form.enforcement_post.data
            person.legal_qualification = form.legal_qualification.data
            person.phone = (form.phone.data or "").strip()
            old, new = audit.diff(before, person.audit_state())
            if person.id_number != old_number:
                old["id_number"], new["id_number"] = before["id_number"], person.masked_id_number + "（已更正）"
            if not new:
                flash("没有需要保存的修改", "info")
                return redirect(url_for("people.record", person_id=person.id))
            try:
                db.session.flush()
            except IntegrityError:
                db.session.rollback()
                flash("该身份证号已存在，未保存", "error")
                return redirect(url_for("people.edit", person_id=person_id))
            audit.record("update", "person", person.id, summary=f"修改人员 {person.name}",
                         reason=form.reason.data or "", before=old, after=new, department_id=dept.id)
            db.session.commit()
            if check is not None and check.warning:
                flash(f"已保存，但请核对：{check.warning}", "warning")
            flash("人员信息已保存", "success")
            return redirect(url_for("people.record", person_id=person.id))
    return render_template("people/form.html", form=form, person=person, full_id=sees_full_id())


@bp.route("/<int:person_id>/status", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def status(person_id):
    person = scoped_get(Person, person_id, write=True)
    form = StatusForm()
    if request.method == "GET":
        form.status.data = person.status
    if form.validate_on_submit():
        if form.status.data == person.status:
            form.status.errors.append(f"人员状态已是“{person.status}”，未发生变化")
        else:
            before = {"status": person.status,
                      "status_changed_on": person.status_changed_on.isoformat() if person.status_changed_on else None}
            person.status = form.status.data
            person.status_changed_on = form.changed_on.data
            audit.record("status", "person", person.id,
                         summary=f"人员 {person.name} 状态由“{before['status']}”变更为“{person.status}”",
                         reason=form.reason.data.strip(), before=before,
                         after={"status": person.status, "status_changed_on": person.status_changed_on.isoformat()},
                         department_id=person.department_id)
            db.session.commit()
            flash(f"已将 {person.name} 的状态变更为“{person.status}”", "success")
            return redirect(url_for("people.record", person_id=person.id))
    return render_template("people/status.html", form=form, person=person)


@cache
def _record_stmt():
    # Built once, the id bound per view (building it costs more than running it).
    return select(Person).options(joinedload(Person.department)).where(Person.id == bindparam("person_id"))


@bp.route("/<int:person_id>")
@roles_required(*READ_ROLES)
def record(person_id):
    person = db.session.scalar(_record_stmt(), {"person_id": person_id})
    if person is None:
        abort(404)
    if current_user.person_id != person.id:
        if current_user.role not in VIEW_ROLES:
            abort(403)
        require_scope(person.department_id)
    sections, failures = call_safely("person_sections", expect=PersonSection, person=person,
                                       viewer=current_user)
    sections = sorted(sections, key=lambda s: (s.order, s.title))
    may_manage = current_user.can_write and in_scope(person.department_id)
    return render_template("people/record.html", person=person, sections=sections, failures=failures,
                           full_id=sees_full_id(), may_manage=may_manage)
