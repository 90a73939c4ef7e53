"""The exams plugin's hook implementations."""
from __future__ import annotations

from pathlib import Path

from intranet.hookspecs import AuditLabels, NavItem, Permission, ScheduledJob, hookimpl

DESCRIPTION = "考试：报名、免考、成绩、参考率与通过率、题库与在线考试"
READ_ROLES = ("admin", "bureau", "dept_admin", "inspector")


@hookimpl
def access_samples(department):
    from .access_samples import samples
    return samples(department)


@hookimpl
def configure_app(app):
    # Above this many registrations (in the viewer's scope) an exam page's figures are a stored
    # figure, refreshed by the worker each minute, instead of aggregated on every view (figures.exam_summary).
    app.config.setdefault("EXAMS_LIVE_FIGURES_UP_TO", 5000)


@hookimpl
def register_models():
    from .models import MODELS
    return MODELS


@hookimpl
def register_blueprints(app):
    from .views import bp
    from . import drilldown  # noqa: F401  (the report's drill-down pages, on bp)
    app.register_blueprint(bp)


@hookimpl
def register_permissions():
    return [
        Permission("exams", "exams.view", "查看考试与统计", READ_ROLES),
        Permission("exams", "exams.manage", "新建考试、录入成绩、审批免考、管理题库", ("admin", "bureau")),
        Permission("exams", "exams.register", "为本单位人员报名、申请免考", ("admin", "bureau", "dept_admin")),
        Permission("exams", "exams.take", "参加在线考试、个人报名", ("admin", "bureau", "dept_admin", "staff", "inspector")),
    ]


@hookimpl
def audit_labels():
    return AuditLabels(
        "exams",
        actions={"register": "报名", "confirm": "确认报名", "withdraw": "撤回", "request": "申请",
                 "record": "登记成绩", "correct": "更正成绩", "retire": "停用", "new_version": "新版本",
                 "start": "开始答题", "submit": "交卷", "result_refused": "拒绝计分"},
        objects={"exams_exam": "考试", "exams_registration": "考试报名", "exams_exemption": "免考申请",
                 "exams_result": "考试成绩", "exams_question": "试题", "exams_blueprint": "组卷规则",
                 "exams_blueprint_rule": "组卷规则条目", "exams_paper": "在线答卷"},
        links={"exams_exam": ("exams.detail", "exam_id"), "exams_question": ("exams.question", "question_id")},
    )


@hookimpl
def nav_items(user):
    items = [NavItem("exams", "考试", "exams.index", 40, READ_ROLES),
             NavItem("exams", "题库", "exams.questions", 41, ("admin", "bureau"))]
    if getattr(user, "person_id", None) is not None:
        items.append(NavItem("exams", "我的考试", "exams.mine", 42))
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
def register_cli_commands(cli):
    from .cli import exams_group
    cli.add_command(exams_group)


@hookimpl
def scheduled_jobs():
    from .cli import close_expired_job
    return [ScheduledJob("exams", "close-expired", close_expired_job, "每5分钟",
                         "对已超时的在线试卷自动交卷并评分")]


@hookimpl
def demo_data(scale, context):
    from .demo import load
    load(scale, context)


@hookimpl
def migration_dirs():
    return [str(Path(__file__).resolve().parent / "migrations" / "versions")]


@hookimpl(optionalhook=True)
def certificate_prerequisites(person):
    """The qualification exam, as the certificates plugin asks for it (see prerequisites.py)."""
    from .prerequisites import qualification
    return [qualification(person)]


@hookimpl(optionalhook=True)
def exam_passes(person, year):
    """Exams passed, as the law_study plugin asks to credit study hours (see prerequisites.py)."""
    from .prerequisites import exam_passes as passes
    return passes(person, year)
