"""Department pages: the tree (list), a department's page, create, edit, deactivate/reactivate."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..access import MANAGE_ROLES, apply_scope, departments_in_scope, in_scope, roles_required, scope_root, scoped_get
from ..extensions import db
from ..hookspecs import DepartmentSection
from ..inputs import bounded_int
from ..locking import StateChanged
from ..models import Department, Person
from ..pagination import paginate
from ..plugins import call_safely
from ..forms import form_errors
from . import bp
from .forms import DepartmentFilterForm, DepartmentForm, ReasonForm
from .service import OrgError, create_department, set_department_active, update_department

VIEW_ROLES = ("admin", "bureau", "dept_admin", "inspector")
TOP_LEVEL = SelectChoice("", "（无，作为顶级单位）")


def _is_own_root(dept: Department) -> bool:
    """The department at the top of a scoped user's subtree: its parent is not theirs to change."""
    return not current_user.sees_everything and dept.id == current_user.department_id


@bp.route("/")
@roles_required(*VIEW_ROLES)
def departments():
    form = DepartmentFilterForm(request.args)
    on_duty = (select(func.count()).select_from(Person)
               .where(Person.department_id == Department.id, Person.status == "在岗")
               .correlate(Department).scalar_subquery())
    stmt = apply_scope(select(Department, on_duty).options(joinedload(Department.parent)).order_by(Department.path),
                       Department.id)
    q = (form.q.data or "").strip()
    if q:
        stmt = stmt.where(Department.code.icontains(q, autoescape=True) | Department.name.icontains(q, autoescape=True))
    if form.kind.data:
        stmt = stmt.where(Department.kind == form.kind.data)
    state = form.state.data or "active"
    if state == "active":
        stmt = stmt.where(Department.active.is_(True))
    elif state == "inactive":
        stmt = stmt.where(Department.active.is_(False))
    page = paginate(stmt, scalars=False)
    root = scope_root()
    base_depth = root.depth if root is not None else 0
    return render_template("org/list.html", form=form, page=page, base_depth=base_depth, filtered=bool(q or form.kind.data))


@bp.route("/<int:dept_id>")
@roles_required(*VIEW_ROLES)
def detail(dept_id):
    dept = scoped_get(Department, dept_id, department_attr="id")
    children = paginate(select(Department).where(Department.parent_id == dept.id)
                        .order_by(Department.active.desc(), Department.code))
    people_count = db.session.scalar(select(func.count()).select_from(Person)
                                     .where(Person.department_id == dept.id, Person.status == "在岗"))
    sections, failures = call_safely("department_sections", expect=DepartmentSection, department=dept,
                                     viewer=current_user)
    return render_template("org/detail.html", dept=dept, children=children, people_count=people_count,
                           ancestors=dept.ancestors(), may_manage=current_user.can_write,
                           own_root=_is_own_root(dept), reason_form=ReasonForm(),
                           sections=sorted(sections, key=lambda s: (s.order, s.title)), failures=failures)


def _parent_choices(exclude: Department | None = None) -> list[SelectChoice]:
    choices = [TOP_LEVEL] if current_user.sees_everything else []
    for d in departments_in_scope():
        if exclude is not None and d.path.startswith(exclude.path):
            continue
        choices.append(SelectChoice(str(d.id), f"{d.tree_label}（{d.code}）"))
    return choices


def _posted_parent(form: DepartmentForm) -> Department | None:
    """The chosen parent; 403 when it lies outside the user's scope (a tampered request)."""
    raw = (form.parent_id.data or "").strip()
    if not raw:
        if not current_user.sees_everything:
            abort(403)
        return None
    parent_id = bounded_int(raw)
    if parent_id is None:
        abort(400)
    parent = db.session.get(Department, parent_id)
    if parent is None:
        abort(404)
    if not in_scope(parent.id):
        abort(403)
    return parent


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def create():
    form = DepartmentForm()
    del form.reason
    form.parent_id.choices = _parent_choices()
    if request.method == "GET":
        wanted = request.args.get("parent_id") or (str(current_user.department_id) if current_user.department_id else "")
        form.parent_id.data = wanted if wanted in {c.value for c in form.parent_id.choices} else None
    if form.validate_on_submit():
        parent = _posted_parent(form)
        if parent is not None and not parent.active:
            form.parent_id.errors.append("上级单位已停用，不能在其下新建单位")
        else:
            try:
                dept = create_department(form.code.data, form.name.data, form.kind.data, parent)
            except OrgError as exc:
                db.session.rollback()
                form.code.errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"已新建单位 {dept.name}", "success")
                return redirect(url_for("org.detail", dept_id=dept.id))
    return render_template("org/form.html", form=form, dept=None)


@bp.route("/<int:dept_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit(dept_id):
    dept = scoped_get(Department, dept_id, department_attr="id", write=True)
    own_root = _is_own_root(dept)
    form = DepartmentForm(obj=dept)
    if own_root:
        if request.method == "POST" and request.form.get("parent_id", str(dept.parent_id or "")) != str(dept.parent_id or ""):
            abort(403)
        del form.parent_id
    else:
        form.parent_id.choices = _parent_choices(exclude=dept)
        current = str(dept.parent_id or "")
        if current and current not in {c.value for c in form.parent_id.choices}:
            form.parent_id.choices.insert(0, SelectChoice(current, f"{dept.parent.name}（{dept.parent.code}）"))
        if request.method == "GET":
            form.parent_id.data = str(dept.parent_id or "")
    if form.validate_on_submit():
        parent = dept.parent if own_root else _posted_parent(form)
        try:
            changed = update_department(dept, code=form.code.data, name=form.name.data, kind=form.kind.data,
                                        parent=parent, reason=form.reason.data or "")
        except OrgError as exc:
            db.session.rollback()
            target = form.code if "编码" in str(exc) else (form.parent_id if form.parent_id else form.code)
            target.errors.append(str(exc))
        else:
            db.session.commit()
            flash("单位信息已保存" if changed else "没有需要保存的修改", "success" if changed else "info")
            return redirect(url_for("org.detail", dept_id=dept_id))
    return render_template("org/form.html", form=form, dept=dept, own_root=own_root)


def _set_active(dept_id: int, active: bool):
    dept = scoped_get(Department, dept_id, department_attr="id", write=True)
    if _is_own_root(dept):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(form_errors(form) or "请求无效", "error")
        return redirect(url_for("org.detail", dept_id=dept_id))
    try:
        set_department_active(dept, active, reason=form.reason.data or "")
    except (OrgError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"已{'启用' if active else '停用'}单位 {dept.name}", "success")
    return redirect(url_for("org.detail", dept_id=dept_id))


@bp.route("/<int:dept_id>/deactivate", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def deactivate(dept_id):
    return _set_active(dept_id, False)


@bp.route("/<int:dept_id>/reactivate", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def reactivate(dept_id):
    return _set_active(dept_id, True)
