"""法律顾问: the hook implementations (the entry point in pyproject.toml names this module)."""
from __future__ import annotations

from pathlib import Path

from intranet.roles import BUREAU_ROLES, MANAGE_ROLES
from intranet.hookspecs import AuditLabels, NavItem, Permission, ScheduledJob, hookimpl

from . import hookspecs  # noqa: F401  (the core adds a plugin's ``hookspecs``: adviser_lecture_sessions)

NAME = "legal_advisers"
DESCRIPTION = "法律顾问：顾问人才库、聘用合同、服务台账与评价、年度考核、覆盖情况"
LIST_ROLES = ("admin", "bureau", "dept_admin", "inspector")


@hookimpl
def register_models():
    from .models import MODELS
    return list(MODELS)


@hookimpl
def migration_dirs():
    return [str(Path(__file__).resolve().parent / "migrations" / "versions")]


@hookimpl
def register_blueprints(app):
    from .views import bp
    from . import drilldown  # noqa: F401  (the report's drill-down pages, on bp)
    app.register_blueprint(bp)


@hookimpl
def register_permissions():
    return [
        Permission(NAME, "legal_advisers.view", "查看法律顾问合同、服务台账、覆盖情况与提醒", LIST_ROLES),
        Permission(NAME, "legal_advisers.pool", "查看法律顾问人才库", ("admin", "bureau", "dept_admin", "staff", "inspector")),
        Permission(NAME, "legal_advisers.record", "登记本单位法律顾问合同、服务、评价与年度考核，登记顾问", MANAGE_ROLES),
        Permission(NAME, "legal_advisers.manage", "修改人才库顾问信息、为考核不称职的顾问办理聘用、修改考核设置",
                   BUREAU_ROLES),
    ]


@hookimpl
def audit_labels():
    return AuditLabels(
        NAME,
        actions={"legal_advisers.adviser_create": "登记顾问", "legal_advisers.adviser_update": "修改顾问",
                 "legal_advisers.contract_create": "登记合同", "legal_advisers.contract_update": "修改合同",
                 "legal_advisers.activate": "合同生效", "legal_advisers.terminate": "终止合同",
                 "legal_advisers.expire": "合同到期", "legal_advisers.scan": "上传合同扫描件",
                 "legal_advisers.service": "登记服务", "legal_advisers.rate": "评价服务",
                 "legal_advisers.service_withdraw": "撤销服务记录", "legal_advisers.attach": "上传服务附件",
                 "legal_advisers.assess": "年度考核", "legal_advisers.settings": "修改法律顾问设置"},
        objects={"legal_advisers_adviser": "法律顾问", "legal_advisers_contract": "法律顾问合同",
                 "legal_advisers_service": "法律顾问服务", "legal_advisers_service_file": "服务附件",
                 "legal_advisers_assessment": "法律顾问考核"},
        links={"legal_advisers_adviser": ("legal_advisers.adviser", "adviser_id"),
               "legal_advisers_contract": ("legal_advisers.contract", "contract_id")},
    )


@hookimpl
def nav_items(user):
    items = [NavItem(NAME, "法律顾问", "legal_advisers.index", order=40, roles=LIST_ROLES)]
    if user.role not in LIST_ROLES:
        items.append(NavItem(NAME, "法律顾问人才库", "legal_advisers.advisers", order=41))
    return items


@hookimpl
def dashboard_widgets(user):
    from .widgets import dashboard_widgets as widgets
    return widgets(user)


@hookimpl
def department_sections(department, viewer):
    from .widgets import department_sections as sections
    return sections(department, viewer)


@hookimpl
def report_fragments(year, department, figures_only):
    from .reports import build
    return build(year, department, figures_only=figures_only)


@hookimpl
def import_kinds():
    from .imports import import_kinds as kinds
    return kinds()


@hookimpl
def export_kinds():
    from .export import export_kinds as kinds
    return kinds()


@hookimpl
def scheduled_jobs():
    from .jobs import expire_job
    return [ScheduledJob(NAME, "expire-contracts", expire_job, "daily", "将超过结束日期的生效法律顾问合同标记为到期")]


@hookimpl
def demo_data(scale, context):
    from .demo import load
    load(scale, context)


@hookimpl
def access_samples(department):
    from .access_samples import samples
    return samples(department)
