"""行政执法证 plugin: the hook implementations."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import url_for

from intranet.hookspecs import AuditLabels, NavItem, Permission, PersonSection, ScheduledJob, hookimpl
from intranet.roles import MANAGE_ROLES

from . import hookspecs  # noqa: F401  (the core adds a plugin's ``hookspecs`` to the manager)
from . import states
from .states import VALID

# The models, the database and the scope checks are imported in the hooks that use them:
# ``intranet --help`` imports this module and needs none of them.

NAME = "certificates"
DESCRIPTION = "行政执法证申领、核发、年审、清理与公开查验"
READ = ("admin", "bureau", "dept_admin", "inspector")


@hookimpl
def configure_app(app):
    app.config.setdefault("CERTIFICATES_VERIFY_LIMIT", "60 per minute")
    app.config.setdefault("CERTIFICATES_PUBLIC_URL", None)


@hookimpl
def register_blueprints(app):
    from .views import bp, public_bp
    from . import drilldown  # noqa: F401  (the report's drill-down pages, on bp)
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)


@hookimpl
def access_samples(department):
    from .access_samples import samples
    return samples(department)


@hookimpl
def register_models():
    from .models import MODELS
    return list(MODELS)


@hookimpl
def register_permissions():
    return [
        Permission(NAME, "certificates.apply", "为本单位人员申领行政执法证", ("admin", "bureau", "dept_admin")),
        Permission(NAME, "certificates.issue", "审核、核发行政执法证及年审、换证、暂扣、收回、注销", ("admin", "bureau")),
        Permission(NAME, "certificates.cleanup", "开展行政执法证清理并确认处理结果", ("admin", "bureau")),
        Permission(NAME, "certificates.cleanup_decide", "对本单位清理候选证件作出处理结果", ("admin", "bureau", "dept_admin")),
        Permission(NAME, "certificates.read", "查看行政执法证", READ),
        Permission(NAME, "certificates.settings", "修改行政执法证设置", ("admin", "bureau")),
    ]


@hookimpl
def audit_labels():
    actions = {f"certificates.{action}": states.label(action) for action in (*states.TRANSITIONS, *states.INITIAL)}
    actions.update({
        "certificates.apply": "申领", "certificates.application_approve": "批准申领",
        "certificates.application_reject": "退回申领",
        "certificates.application_withdraw": "撤回申领", "certificates.application_issue": "按申领核发",
        "certificates.enforcement": "登记执法活动", "certificates.photo": "更换照片",
        "certificates.notice": "发布注销公告", "certificates.subject": "维护执法主体",
        "certificates.settings": "修改执法证设置", "certificates.cleanup_open": "发起清理",
        "certificates.cleanup_decide": "清理处理决定", "certificates.cleanup_confirm": "确认清理结果",
        "certificates.cleanup_close": "结束清理",
    })
    return AuditLabels(
        NAME, actions=actions,
        objects={"certificate": "行政执法证", "certificate_application": "执法证申领",
                 "certificate_cleanup": "清理工作", "certificate_cleanup_candidate": "清理对象",
                 "certificate_notice": "注销公告", "certificate_subject": "执法主体"},
        links={"certificate": ("certificates.detail", "cert_id"),
               "certificate_application": ("certificates.application", "app_id"),
               "certificate_cleanup": ("certificates.campaign", "campaign_id"),
               "certificate_notice": ("certificates.notice", "notice_id"),
               "certificate_subject": ("certificates.subject", "subject_id")},
    )


@hookimpl
def nav_items(user):
    return [NavItem(NAME, "行政执法证", "certificates.index", order=30, roles=READ)]


@hookimpl
def public_links():
    return [NavItem(NAME, "行政执法证查验", "certificates_public.verify_form", order=30),
            NavItem(NAME, "行政执法人员公示", "certificates_public.roster", order=31)]


@hookimpl
def dashboard_widgets(user):
    from .widgets import dashboard_widgets as widgets
    return widgets(user)


@cache
def _person_statement():
    """The person's latest cards, the pending application and what refusals() asks, in one
    statement (built once; its parameters are refusal_params())."""
    from sqlalchemy import bindparam, select

    from intranet.models import Person

    from .applications import refusal_facts
    from .models import Certificate, CertificateApplication
    facts = refusal_facts()
    return (select(Certificate, CertificateApplication, *facts).select_from(Person)
            .outerjoin(Certificate, Certificate.person_id == Person.id)
            .outerjoin(CertificateApplication, CertificateApplication.id == facts[2])
            .where(Person.id == bindparam("person_id"))
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc()).limit(20))


@hookimpl
def person_sections(person, viewer):
    from intranet.extensions import db

    from .applications import refusal_params
    rows = db.session.execute(_person_statement(), refusal_params(person)).all()
    certs = [row[0] for row in rows if row[0] is not None]
    pending = rows[0][1] if rows else None
    table = [[c.number, c.category, c.region, c.effective_status, c.issued_on, c.valid_until,
              c.next_review_due or "—"] for c in certs]
    current = next((c for c in certs if c.effective_status == VALID), None)
    figures = [("持证情况", f"持有效证件（{current.number}）" if current else "未持有效证件")]
    links = []
    if pending is not None:
        figures.append(("正在办理的申领", f"第 {pending.id} 号（{pending.status}，{pending.category}）"))
        links.append((f"查看申领第 {pending.id} 号", url_for("certificates.application", app_id=pending.id)))
    elif rows and may_apply(person, viewer, facts=rows[0]):
        links.append(("申领行政执法证", url_for("certificates.new_application", department_id=person.department_id,
                                          person_id=person.id)))
    return PersonSection(NAME, "行政执法证", order=30, figures=figures,
                         columns=["证件编号", "执法类别", "执法区域", "状态", "发证日期", "有效期至", "下次年审"],
                         rows=table, empty_text="未申领行政执法证", links=links)


def may_apply(person, viewer, facts=None) -> bool:
    """Whether ``viewer`` may apply for ``person`` now (their unit's admin or the bureau, nothing refusing)."""
    from intranet.access import in_scope

    from .applications import refusals
    if viewer.role not in MANAGE_ROLES or not viewer.can_write or not in_scope(person.department_id, user=viewer):
        return False
    return not refusals(person, facts=facts)


@hookimpl
def report_fragments(year, department, figures_only):
    from .reports import fragment
    return fragment(year, department, figures_only=figures_only)


@hookimpl
def import_kinds():
    from .imports import import_kinds as kinds
    return kinds()


@hookimpl
def export_kinds():
    from .exports import export_kinds as kinds
    return kinds()


@hookimpl
def register_cli_commands(cli):
    from .cli import certificates_cli
    cli.add_command(certificates_cli)


@hookimpl
def scheduled_jobs():
    from .cli import expire_job
    return [ScheduledJob(NAME, "expire", expire_job, "daily", "将超过有效期的行政执法证标记为过期")]


@hookimpl(trylast=True)  # after the other plugins' demo data, so applications carry their real answers
def demo_data(scale, context):
    from .demo import load
    load(scale, context)


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations" / "versions"]
