"""Logins: list, create, edit, deactivate, reset password (系统管理员 and 司法局).

Who may manage whom: a 系统管理员 manages every login; a 司法局 user manages every login except
系统管理员 ones. Nobody gives a role above their own, and nobody changes their own role or
department (or deactivates themselves). A user whose department scope is limited manages only
logins inside that scope.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from . import audit
from .forms import db_id, form_errors, options
from .access import apply_scope, department_filter, departments_in_scope, in_scope, roles_required
from .auth.forms import PASSWORD_MAX, PASSWORD_MIN
from .extensions import db
from .inputs import arg_int
from .models import ROLES, Department, Person, User
from .pagination import paginate
from .passwords import password_problem

bp = Blueprint("users", __name__, url_prefix="/users")

MANAGERS = ("admin", "bureau")
# Higher outranks lower; a role may be given only by someone of that rank or above.
ROLE_RANK = {"admin": 4, "bureau": 3, "inspector": 2, "dept_admin": 2, "staff": 1}
# These roles work inside one department and need one.
DEPARTMENT_ROLES = ("dept_admin", "staff")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,50}$")


class UserError(ValueError):
    """A refused change; the message is Chinese and shown to the user."""


# --- rules ------------------------------------------------------------------------------

def assignable_roles(actor=None) -> list[str]:
    actor = actor or current_user
    rank = ROLE_RANK.get(actor.role, 0)
    return [r for r in ROLES if ROLE_RANK[r] <= rank]


def can_manage(target: User, actor=None) -> bool:
    """May ``actor`` change ``target``? (Its role rank and department scope.)"""
    actor = actor or current_user
    if actor.role not in MANAGERS or ROLE_RANK.get(target.role, 0) > ROLE_RANK[actor.role]:
        return False
    if actor.sees_everything:
        return True
    return target.department_id is not None and in_scope(target.department_id, actor)


def load_managed(user_id: int) -> User:
    target = db.session.get(User, user_id)
    if target is None:
        abort(404)
    if not can_manage(target):
        abort(403)
    return target


def find_person(ref: str) -> Person:
    """A person by 人员编号 (its id) or by 身份证号."""
    ref = (ref or "").strip().upper()
    person = None
    if ref.isdigit() and len(ref) <= 9:
        person = db.session.get(Person, int(ref))
    elif len(ref) == 18:
        person = db.session.scalar(select(Person).where(Person.id_number == ref))
    if person is None:
        raise UserError(f"未找到人员“{ref}”（请填写人员编号或18位身份证号）")
    return person


def check_assignment(*, role: str, department_id: int | None, person_ref: str,
                     target: User | None = None, actor=None) -> Person | None:
    """Validate role, department and person for ``target`` (None: a new login).

    Returns the person to link. Raises UserError; nothing is changed here.
    """
    actor = actor or current_user
    if role not in ROLES:
        raise UserError("请选择有效的角色")
    if role not in assignable_roles(actor):
        raise UserError(f"您不能授予“{ROLES[role]}”角色（不能高于您自己的角色）")
    if target is not None and target.id == actor.id:
        if role != target.role:
            raise UserError("不能修改自己的角色")
        if department_id != target.department_id:
            raise UserError("不能修改自己的单位范围")
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            raise UserError("所选单位不存在")
        if not in_scope(department_id, actor):
            raise UserError("所选单位不在您的管理范围内")
    elif role in DEPARTMENT_ROLES:
        raise UserError(f"“{ROLES[role]}”必须指定所属单位")
    elif not actor.sees_everything:
        raise UserError("您只能创建本单位范围内的账户，请选择单位")
    if not person_ref.strip():
        return None
    person = find_person(person_ref)
    if not in_scope(person.department_id, actor):
        raise UserError("该人员不在您的管理范围内")
    if department is not None and not person.department.is_within(department):
        raise UserError(f"人员 {person.name} 不属于所选单位（{department.name}）及其下级单位")
    stmt = select(User.username).where(User.person_id == person.id)
    if target is not None:
        stmt = stmt.where(User.id != target.id)
    taken_by = db.session.scalar(stmt)
    if taken_by is not None:
        raise UserError(f"人员 {person.name} 已关联账户 {taken_by}")
    return person


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise UserError("用户名只能包含字母、数字和 _ . @ -，长度3–50位")
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise UserError(f"用户名 {username} 已被使用")
    return username


def check_password(password: str, **who) -> None:
    if problem := password_problem(password, **who):
        raise UserError(problem)


# --- forms ------------------------------------------------------------------------------

def department_choices(actor=None) -> list[tuple[str, str]]:
    actor = actor or current_user
    choices = [("", "（不限单位，全部范围）")] if actor.sees_everything else []
    for dept in departments_in_scope(actor):
        choices.append((str(dept.id), dept.tree_label))
    return choices


def parse_department(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return db_id(value)
    except ValueError:
        raise UserError("所选单位不存在") from None


class AssignmentForm(FlaskForm):
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名"), Length(max=50, message="姓名不能超过50字")])
    role = SelectField("角色", validate_choice=False)
    department = SelectField("所属单位", validate_choice=False)
    person = StringField("关联人员", validators=[Optional(), Length(max=18, message="人员编号或身份证号过长")],
                         description="可留空；填写人员编号或18位身份证号，该人员须属于所选单位")

    def fill_choices(self):
        self.role.choices = options((r, ROLES[r]) for r in assignable_roles())
        self.department.choices = options(department_choices())


class CreateUserForm(AssignmentForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")],
                           description="字母、数字和 _ . @ -，3–50位；创建后不能修改")
    password = PasswordField("初始密码", validators=[
        DataRequired("请输入初始密码"),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=f"密码长度应为{PASSWORD_MIN}–{PASSWORD_MAX}位"),
    ])
    confirm = PasswordField("确认密码", validators=[EqualTo("password", message="两次输入的密码不一致")])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("新密码", validators=[
        DataRequired("请输入新密码"),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=f"密码长度应为{PASSWORD_MIN}–{PASSWORD_MAX}位"),
    ])
    confirm = PasswordField("确认新密码", validators=[EqualTo("password", message="两次输入的密码不一致")])
    reason = StringField("原因", validators=[Optional(), Length(max=200, message="原因不能超过200字")])


class ReasonForm(FlaskForm):
    reason = StringField("原因", validators=[Optional(), Length(max=200, message="原因不能超过200字")])


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("用户名/姓名")
    role = SelectField("角色", validate_choice=False)
    department = SelectField("单位（含下级）", validate_choice=False)
    status = SelectField("状态", choices=options([("", "全部"), ("active", "正常"), ("inactive", "已停用"),
                                                  ("locked", "已锁定")]), validate_choice=False)


# --- views ------------------------------------------------------------------------------

@bp.route("/")
@roles_required(*MANAGERS)
def index():
    form = UserFilterForm(request.args)
    form.role.choices = options([("", "全部")] + list(ROLES.items()))
    form.department.choices = options([("", "全部")] + [c for c in department_choices() if c[0]])
    stmt = apply_scope(select(User).options(selectinload(User.department), selectinload(User.person)),
                       User.department_id)
    q = (form.q.data or "").strip()
    if q:
        stmt = stmt.where(or_(User.username.icontains(q, autoescape=True),
                              User.display_name.icontains(q, autoescape=True)))
    if form.role.data in ROLES:
        stmt = stmt.where(User.role == form.role.data)
    stmt, _ = department_filter(stmt, form.department.data, User.department_id)
    if form.status.data == "active":
        stmt = stmt.where(User.active.is_(True))
    elif form.status.data == "inactive":
        stmt = stmt.where(User.active.is_(False))
    elif form.status.data == "locked":
        stmt = stmt.where(User.locked_until > datetime.now())
    page = paginate(stmt.order_by(User.username))
    return render_template("users/index.html", form=form, page=page, can_manage=can_manage, now=datetime.now())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    form = CreateUserForm()
    form.fill_choices()
    if request.method == "GET":
        _prefill_person(form)
    if form.validate_on_submit():
        try:
            username = check_username(form.username.data)
            department_id = parse_department(form.department.data)
            person = check_assignment(role=form.role.data, department_id=department_id,
                                      person_ref=form.person.data or "")
            check_password(form.password.data, username=username, role=form.role.data,
                           display_name=form.display_name.data.strip())
        except UserError as exc:
            flash(str(exc), "error")
        else:
            user = User(username=username, display_name=form.display_name.data.strip(), role=form.role.data,
                        department_id=department_id, person_id=person.id if person else None,
                        active=True, session_version=1, failed_logins=0, must_change_password=True)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.flush()
            audit.record("create", "user", user.id, summary=f"新建账户 {username}（{user.role_label}）",
                         after=user.audit_state(), department_id=department_id)
            db.session.commit()
            flash(f"已创建账户 {username}", "success")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/form.html", form=form)


def _prefill_person(form: CreateUserForm) -> None:
    """/users/new?person=<id> (a link from a person's page) fills in the person and department."""
    ref = arg_int("person")
    person = db.session.get(Person, ref) if ref else None
    if person is None or not in_scope(person.department_id):
        return
    form.person.data = str(person.id)
    form.display_name.data = person.name
    form.department.data = str(person.department_id)
    form.role.data = "staff"


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(user_id):
    target = load_managed(user_id)
    form = AssignmentForm(obj=None if request.method == "POST" else target)
    form.fill_choices()
    if request.method == "GET":
        form.department.data = str(target.department_id or "")
        form.person.data = str(target.person_id or "")
    if form.validate_on_submit():
        try:
            department_id = parse_department(form.department.data)
            person = check_assignment(role=form.role.data, department_id=department_id,
                                      person_ref=form.person.data or "", target=target)
        except UserError as exc:
            flash(str(exc), "error")
        else:
            before = target.audit_state()
            target.display_name = form.display_name.data.strip()
            target.role = form.role.data
            target.department_id = department_id
            target.person_id = person.id if person else None
            old, new = audit.diff(before, target.audit_state())
            if new:
                audit.record("update", "user", target.id, summary=f"修改账户 {target.username}",
                             before=old, after=new, department_id=department_id)
                db.session.commit()
                flash("已保存", "success")
            else:
                flash("没有需要保存的修改", "info")
            return redirect(url_for("users.edit", user_id=target.id))
    return render_template("users/edit.html", form=form, target=target, reason_form=ReasonForm(),
                           is_self=target.id == current_user.id, now=datetime.now())


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(*MANAGERS)
def deactivate(user_id):
    target = load_managed(user_id)
    form = ReasonForm()
    if target.id == current_user.id:
        flash("不能停用自己的账户", "error")
    elif not form.validate():
        flash(form_errors(form), "error")
    elif not target.active:
        flash("该账户已是停用状态", "info")
    else:
        target.active = False
        target.session_version += 1  # ends every session of that user at once
        audit.record("deactivate", "user", target.id, summary=f"停用账户 {target.username}",
                     reason=form.reason.data or "", before={"active": True}, after={"active": False},
                     department_id=target.department_id)
        db.session.commit()
        flash(f"已停用账户 {target.username}，其登录已全部失效", "success")
    return redirect(url_for("users.edit", user_id=target.id))


@bp.route("/<int:user_id>/activate", methods=["POST"])
@roles_required(*MANAGERS)
def activate(user_id):
    target = load_managed(user_id)
    form = ReasonForm()
    if not form.validate():
        flash(form_errors(form), "error")
    elif target.active:
        flash("该账户已是正常状态", "info")
    else:
        target.active = True
        audit.record("activate", "user", target.id, summary=f"重新启用账户 {target.username}",
                     reason=form.reason.data or "", before={"active": False}, after={"active": True},
                     department_id=target.department_id)
        db.session.commit()
        flash(f"已重新启用账户 {target.username}", "success")
    return redirect(url_for("users.edit", user_id=target.id))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@roles_required(*MANAGERS)
def unlock(user_id):
    target = load_managed(user_id)
    if not target.locked_until and not target.failed_logins:
        flash("该账户未被锁定", "info")
    else:
        before = {"locked_until": target.locked_until.isoformat(timespec="minutes") if target.locked_until else None,
                  "failed_logins": target.failed_logins}
        target.locked_until = None
        target.failed_logins = 0
        audit.record("unlock", "user", target.id, summary=f"解锁账户 {target.username}",
                     before=before, after={"locked_until": None, "failed_logins": 0},
                     department_id=target.department_id)
        db.session.commit()
        flash(f"已解锁账户 {target.username}", "success")
    return redirect(url_for("users.edit", user_id=target.id))


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def reset_password(user_id):
    target = load_managed(user_id)
    if target.id == current_user.id:
        flash("请通过“修改密码”修改自己的密码", "info")
        return redirect(url_for("auth.password"))
    form = ResetPasswordForm()
    if form.validate_on_submit() and _policy_allows(form.password, target):
        target.set_password(form.password.data)
        target.must_change_password = True
        target.session_version += 1  # the old password's sessions end now
        target.failed_logins = 0
        target.locked_until = None
        audit.record("reset_password", "user", target.id, summary=f"重置账户 {target.username} 的密码",
                     reason=form.reason.data or "", department_id=target.department_id)
        db.session.commit()
        flash(f"已重置账户 {target.username} 的密码，其原有登录已全部失效", "success")
        return redirect(url_for("users.edit", user_id=target.id))
    return render_template("users/password.html", form=form, target=target)


def _policy_allows(field, target: User) -> bool:
    problem = password_problem(field.data, username=target.username, role=target.role,
                               display_name=target.display_name)
    if problem:
        field.errors.append(problem)
    return problem is None
