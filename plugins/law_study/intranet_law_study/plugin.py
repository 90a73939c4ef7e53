"""学法: the hook implementations (the entry point in pyproject.toml names this module)."""
from __future__ import annotations

from pathlib import Path

from intranet.roles import BUREAU_ROLES, MANAGE_ROLES
from intranet.hookspecs import AuditLabels, NavItem, Permission, ScheduledJob, hookimpl

from . import hookspecs  # noqa: F401  (the core adds a plugin's ``hookspecs`` to the manager: study_hours, exam_passes)

NAME = "law_study"
DESCRIPTION = "学法：会前学法、法治讲座、出勤与个人学时台账"
LIST_ROLES = ("admin", "bureau", "dept_admin", "inspector")


@hookimpl
def access_samples(department):
    from .access_samples import samples
    return samples(department)


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
        Permission(NAME, "law_study.view", "查看学法活动与学时统计", LIST_ROLES),
        Permission(NAME, "law_study.record", "登记本单位学法活动与出勤、审核自学学时", MANAGE_ROLES),
        Permission(NAME, "law_study.claim", "登记本人自学学时", ("admin", "bureau", "dept_admin", "staff", "inspector")),
        Permission(NAME, "law_study.close", "年度锁定学时台账、修改学法设置", BUREAU_ROLES),
    ]


@hookimpl
def audit_labels():
    return AuditLabels(
        NAME,
        actions={"law_study.held": "登记已举行", "law_study.cancel": "撤销活动", "law_study.attendance": "登记出勤",
                 "law_study.claim": "登记学时", "law_study.approve": "审核通过", "law_study.return": "退回",
                 "law_study.close_year": "年度锁定", "law_study.settings": "修改学法设置",
                 "law_study.submit": "报送选题", "law_study.review": "审核选题", "law_study.leader_approve": "领导批准",
                 "law_study.upload": "上传材料", "law_study.withdraw": "撤销"},
        objects={"law_study_session": "学法活动", "law_study_hours": "学时记录", "law_study_year_closing": "学时年度锁定",
                 "law_study_plan_item": "学法计划事项", "law_study_evidence": "学法佐证材料"},
        links={"law_study_session": ("law_study.detail", "session_id")},
    )


@hookimpl
def nav_items(user):
    items = [NavItem(NAME, "学法", "law_study.index", order=30, roles=LIST_ROLES)]
    if getattr(user, "person_id", None) is not None:
        items.append(NavItem(NAME, "我的学法", "law_study.mine", order=31))
    return items


@hookimpl
def dashboard_widgets(user):
    from .widgets import dashboard_widgets as widgets
    return widgets(user)


@hookimpl
def person_sections(person, viewer):
    from .widgets import person_sections as sections
    return sections(person, viewer)


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
    from .exam_credits import nightly_job
    return [ScheduledJob(NAME, "exam-credits", nightly_job, "每天",
                         "按考试插件的合格记录计入考试合格学时（本年度及未锁定的上一年度）")]


@hookimpl
def demo_data(scale, context):
    from .demo import load
    load(scale, context)


@hookimpl(optionalhook=True)
def certificate_prerequisites(person):
    """Training hours in the last N months, as the certificates plugin asks (see prerequisites.py)."""
    from .prerequisites import training_hours
    answer = training_hours(person)
    return [answer] if answer else []


@hookimpl(optionalhook=True)
def adviser_lecture_sessions(department, day):
    """The department's 法治专题讲座 near ``day``, as the legal_advisers plugin asks (see lectures.py)."""
    from .lectures import near
    return near(department, day)


@hookimpl
def study_hours(person, year):
    from .prerequisites import study_hours as answer
    return answer(person, year)
