"""System administration: overview, plugins, and the audit log (read-only; it has no edit page)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from werkzeug.routing import BuildError
from wtforms import SelectField, StringField

from .access import apply_scope, department_filter, departments_in_scope, roles_required, scoped_get
from .extensions import db
from .inputs import date_range_error
from .hookspecs import AuditLabels
from .models import AuditEvent, Department, User
from .pagination import paginate
from .plugins import flatten, get_pm
from .users import options

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_READERS = ("admin", "bureau", "inspector")

ACTION_LABELS = {
    "create": "新建", "update": "修改", "deactivate": "停用", "activate": "启用", "delete": "删除",
    "password": "修改密码", "reset_password": "重置密码", "lock": "锁定", "unlock": "解锁",
    "login": "登录", "login_failed": "登录失败", "logout": "退出登录",
    "import": "导入", "export": "导出", "purge": "清除", "submit": "提交", "approve": "批准",
    "reject": "退回", "return": "退回", "secrecy_review": "保密审查", "publish": "发布", "issue": "核发", "suspend": "暂扣", "revoke": "收回", "cancel": "注销",
}
OBJECT_LABELS = {
    "user": "账户", "department": "单位", "person": "人员", "plugin": "插件", "setting": "设置",
    "report": "年度报告", "report_snapshot": "年度报告",
    "report_draft": "年度报告草稿", "report_version": "年度报告（报送版本）", "login": "登录尝试（未知用户名）",
}


CORE_LINKS = {"department": ("org.detail", "dept_id"), "person": ("people.record", "person_id"),
              "user": ("users.edit", "user_id"), "report_snapshot": ("reports.snapshot", "snapshot_id"),
              "report_version": ("submissions.version", "version_id")}


def vocabulary() -> AuditLabels:
    """The core's audit labels and links merged with every enabled plugin's (once per request)."""
    if "audit_vocabulary" not in g:
        merged = AuditLabels("core", dict(ACTION_LABELS), dict(OBJECT_LABELS), dict(CORE_LINKS))
        for labels in flatten(get_pm().hook.audit_labels()):
            merged.actions.update(labels.actions)
            merged.objects.update(labels.objects)
            merged.links.update(labels.links)
        g.audit_vocabulary = merged
    return g.audit_vocabulary


def action_label(action: str) -> str:
    actions = vocabulary().actions
    if action in actions:
        return actions[action]
    short = action.rsplit(".", 1)[-1]   # "exams.create" falls back to the core's "create"
    return actions.get(short, action)


def object_label(object_type: str) -> str:
    return vocabulary().objects.get(object_type, object_type)


def object_url(event: AuditEvent) -> str | None:
    """The page of the record ``event`` is about, when its plugin names one."""
    link = vocabulary().links.get(event.object_type)
    if link is None or not (event.object_id or "").isdigit():
        return None
    endpoint, argument = link
    try:
        return url_for(endpoint, **{argument: int(event.object_id)})
    except BuildError:   # the plugin that owns the page is not enabled
        return None


def changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    """(field, before, after) for every key in either side."""
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    keys = list(before) + [k for k in after if k not in before]
    return [(k, before.get(k), after.get(k)) for k in keys]


@bp.route("/")
@roles_required("admin", "bureau")
def index():
    plugins = current_app.extensions["intranet_plugins"]
    users = apply_scope(select(func.count()).select_from(User).where(User.active.is_(True)), User.department_id)
    week = apply_scope(select(func.count()).select_from(AuditEvent), AuditEvent.department_id).where(
        AuditEvent.at >= datetime.now() - timedelta(days=7))
    figures = [
        ("正常账户", db.session.scalar(users)),
        ("已启用插件", sum(1 for p in plugins if p.enabled)),
        ("已安装插件", len(plugins)),
        ("近7天操作记录", db.session.scalar(week)),
    ]
    return render_template("admin/index.html", figures=figures)


@bp.route("/plugins")
@roles_required("admin", "bureau")
def plugins():
    """Every installed plugin with its version and state (the same as ``intranet plugins list``),
    and for the enabled ones the tables they own and the permissions they check."""
    from .plugins import call_each
    tables = {name: sorted(m.__tablename__ for m in flatten([models]))
              for name, models in call_each("register_models")}
    permissions = sorted(flatten(get_pm().hook.register_permissions()), key=lambda p: (p.plugin, p.name))
    return render_template("admin/plugins.html", plugins=current_app.extensions["intranet_plugins"],
                           tables=tables, permissions=permissions)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField("操作人")
    action = SelectField("操作", validate_choice=False)
    object_type = SelectField("对象类型", validate_choice=False)
    department = SelectField("单位（含下级）", validate_choice=False)
    date_from = StringField("起始日期")
    date_to = StringField("截止日期")
    q = StringField("关键词")

    def parse_date(self, field) -> date | None:
        value = (field.data or "").strip()
        if not value:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            field.errors = [f"{field.label.text}格式应为 YYYY-MM-DD"]
            return None
        error = date_range_error(day)
        if error:
            field.errors = [error]
            return None
        return day


@bp.route("/audit")
@roles_required(*AUDIT_READERS)
def audit():
    form = AuditFilterForm(request.args)
    form.action.choices = options([("", "全部")] + [(a, action_label(a)) for a in distinct_values(AuditEvent.action)])
    form.object_type.choices = options(
        [("", "全部")] + [(t, object_label(t)) for t in distinct_values(AuditEvent.object_type)])
    form.department.choices = options([("", "全部")] + [
        (str(d.id), d.tree_label) for d in departments_in_scope()])
    stmt = apply_scope(select(AuditEvent), AuditEvent.department_id)
    actor = (form.actor.data or "").strip()
    if actor:
        stmt = stmt.where(or_(AuditEvent.actor_name.icontains(actor, autoescape=True),
                              AuditEvent.actor_id.in_(select(User.id).where(
                                  User.username.icontains(actor, autoescape=True)))))
    if form.action.data:
        stmt = stmt.where(AuditEvent.action == form.action.data)
    if form.object_type.data:
        stmt = stmt.where(AuditEvent.object_type == form.object_type.data)
    stmt, _ = department_filter(stmt, form.department.data, AuditEvent.department_id)
    start, end = form.parse_date(form.date_from), form.parse_date(form.date_to)
    if start:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(start, datetime.min.time()))
    if end:
        stmt = stmt.where(AuditEvent.at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
    if start and end and start > end:
        form.date_to.errors = ["截止日期不能早于起始日期"]
    q = (form.q.data or "").strip()
    if q:
        stmt = stmt.where(or_(AuditEvent.summary.icontains(q, autoescape=True),
                              AuditEvent.reason.icontains(q, autoescape=True),
                              AuditEvent.object_id == q))
    page = paginate(stmt.order_by(AuditEvent.id.desc()))
    return render_template("admin/audit.html", form=form, page=page, changes=changes,
                           action_label=action_label, object_label=object_label, object_url=object_url,
                           departments=department_names(page.items))


def distinct_values(column) -> list[str]:
    return list(db.session.scalars(select(column).distinct().order_by(column)))


def department_names(events) -> dict[int, str]:
    ids = {e.department_id for e in events if e.department_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())


@bp.route("/audit/<int:event_id>")
@roles_required(*AUDIT_READERS)
def audit_event(event_id):
    event = scoped_get(AuditEvent, event_id)
    dept = db.session.get(Department, event.department_id) if event.department_id else None
    return render_template("admin/audit_event.html", event=event, changes=changes(event), department=dept,
                           action_label=action_label, object_label=object_label, object_url=object_url)
