"""样例笔记 (sample notes): one implementation of every core hook.

Enable it with ``PLUGIN_SOURCES={"sample_notes": "sample_notes.plugin"}`` (tests/plugins on
``sys.path``) or, once packaged, with an entry point in the group ``intranet.plugins``.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import url_for
from flask.cli import with_appcontext
from sqlalchemy import func, insert, select, update

from intranet import audit
from intranet.access import apply_scope
from intranet.extensions import db
from intranet.hookspecs import (AccessSamples, AuditLabels, DepartmentSection, ExportKind, NavItem, Permission, PersonSection,
                                ReportFragment, ReportTable, ScheduledJob, Widget, hookimpl)
from intranet.imports import Column, ImportKind
from intranet.models import Department

from . import hookspecs  # noqa: F401  (the core adds a plugin's ``hookspecs`` to the manager)
from .models import Note

NAME = "sample_notes"
DESCRIPTION = "样例笔记（测试插件）"
ARCHIVE_AFTER_YEARS = 5


@hookimpl
def configure_app(app):
    app.config.setdefault("SAMPLE_NOTES_TITLE", "样例笔记")


@hookimpl
def register_blueprints(app):
    from .views import bp
    app.register_blueprint(bp)


@hookimpl
def register_models():
    return [Note]


@hookimpl
def register_permissions():
    return [Permission(NAME, "sample_notes.write", "新建和归档样例笔记", ("admin", "bureau", "dept_admin"))]


@hookimpl
def audit_labels():
    return AuditLabels(NAME, actions={"archive": "归档"}, objects={"sample_notes_note": "样例笔记"})


@hookimpl
def nav_items(user):
    return [NavItem(NAME, "样例笔记", "sample_notes.index", order=50)]


@hookimpl
def public_links():
    return [NavItem(NAME, "样例笔记说明", "sample_notes.about")]


@hookimpl
def dashboard_widgets(user):
    stmt = apply_scope(select(func.count()).select_from(Note).where(Note.active.is_(True)), Note.department_id, user)
    return Widget(NAME, "样例笔记", order=50, figures=[("有效笔记", db.session.scalar(stmt))],
                  links=[("查看全部笔记", url_for("sample_notes.index"))])


@hookimpl
def person_sections(person, viewer):
    notes = db.session.scalars(select(Note).where(Note.person_id == person.id).order_by(Note.noted_on.desc()).limit(20))
    links = [("查看样例笔记", url_for("sample_notes.index"))] if viewer.role != "staff" else []
    return PersonSection(NAME, "样例笔记", order=90, columns=["日期", "标题"],
                         rows=[[n.noted_on, n.title] for n in notes], empty_text="暂无样例笔记", links=links)


@hookimpl
def department_sections(department, viewer):
    notes = db.session.scalars(select(Note).where(Note.department_id == department.id)
                               .order_by(Note.noted_on.desc()).limit(20))
    links = [("查看样例笔记", url_for("sample_notes.index"))] if viewer.can_write else []
    return DepartmentSection(NAME, "样例笔记", order=90, columns=["日期", "标题"],
                             rows=[[n.noted_on, n.title] for n in notes], empty_text="暂无样例笔记", links=links)


@hookimpl
def report_fragments(year, department):
    in_year = Note.noted_on.between(date(year, 1, 1), date(year, 12, 31))
    subtree = department.subtree_filter(Note.department_id)
    rows = db.session.execute(
        select(Department.name, func.count(Note.id))
        .join(Note, Note.department_id == Department.id)
        .where(in_year, subtree)
        .group_by(Department.id, Department.name)
        .order_by(func.count(Note.id).desc(), Department.name)
    ).all()
    total = sum(count for _name, count in rows)
    paragraphs = [f"{year}年，{department.name}共记录样例笔记{total}条，涉及{len(rows)}个单位。"]
    from flask import current_app
    from intranet.plugins import flatten, get_pm
    caller = getattr(get_pm(current_app).hook, "sample_notes_remarks")
    paragraphs += flatten(caller(year=year, department=department))
    return ReportFragment(
        NAME, "notes", "样例笔记", order=900,
        figures={"notes": total, "departments": len(rows)},
        paragraphs=paragraphs,
        tables=[ReportTable("各单位样例笔记", ["单位", "笔记数"], [[name, count] for name, count in rows])],
    )


def _apply_import(rows, ctx):
    codes = {r.values["单位编码"] for r in rows}
    departments = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(codes)))}
    values = []
    for r in rows:
        dept = departments.get(r.values["单位编码"])
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {r.values['单位编码']} 不存在")
            continue
        if not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权为单位 {dept.name} 导入笔记")
            continue
        values.append({"department_id": dept.id, "title": r.values["标题"], "noted_on": r.values["日期"],
                       "body": r.values["内容"] or "", "active": True})
    if values and not ctx.result.errors:
        db.session.execute(insert(Note), values)
    ctx.result.created = len(values)


@hookimpl
def import_kinds():
    return [ImportKind(NAME, "sample_notes", "样例笔记", [
        Column("单位编码", max_length=32),
        Column("标题", max_length=200),
        Column("日期", "date"),
        Column("内容", required=False),
    ], _apply_import, roles=("admin", "bureau", "dept_admin"))]


def _write_export(path, department):
    from openpyxl import Workbook
    stmt = (select(Department.name, Note.noted_on, Note.title).join(Note.department)
            .where(Note.active.is_(True)).order_by(Note.noted_on))
    if department is not None:
        stmt = stmt.where(department.subtree_filter(Note.department_id))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("样例笔记")
    ws.append(["单位", "日期", "标题"])
    for row in db.session.execute(stmt):
        ws.append(list(row))
    wb.save(path)


@hookimpl
def export_kinds():
    return [ExportKind(NAME, "sample_notes", "样例笔记", _write_export)]


@click.group("sample-notes", help="样例笔记")
def sample_notes_cli():
    pass


@sample_notes_cli.command("count", help="统计有效笔记数")
@with_appcontext
def count_command():
    n = db.session.scalar(select(func.count()).select_from(Note).where(Note.active.is_(True)))
    click.echo(f"有效笔记 {n} 条")


@hookimpl
def register_cli_commands(cli):
    cli.add_command(sample_notes_cli)


def archive_old_notes() -> str:
    """Archive notes older than ARCHIVE_AFTER_YEARS (one UPDATE, one audit event)."""
    today = date.today()
    cutoff = today.replace(year=today.year - ARCHIVE_AFTER_YEARS)
    result = db.session.execute(update(Note).where(Note.active.is_(True), Note.noted_on < cutoff).values(active=False))
    if result.rowcount:
        audit.record("archive", "sample_notes_note", None, summary=f"定时任务归档{result.rowcount}条旧笔记",
                     after={"archived": result.rowcount, "before": cutoff.isoformat()})
    db.session.commit()
    return f"归档 {result.rowcount} 条"


@hookimpl
def scheduled_jobs():
    return [ScheduledJob(NAME, "archive", archive_old_notes, "daily", "归档五年前的样例笔记")]


@hookimpl
def demo_data(scale, context):
    rows = []
    for dept in context.departments:
        for i in range(context.rng.randint(0, 2)):
            rows.append({"department_id": dept["id"], "title": f"{dept['name']}工作笔记{i + 1}",
                         "noted_on": date(context.year, context.rng.randint(1, 12), context.rng.randint(1, 28)),
                         "body": "", "active": True})
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(Note), rows[start:start + 1000])


@hookimpl
def access_samples(department):
    """Test support: one note of ``department`` (the only id this plugin's routes take)."""
    note = Note(department_id=department.id, title="样例", noted_on=date.today(), body="", active=True)
    db.session.add(note)
    db.session.flush()
    return AccessSamples(NAME, ids={"note_id": note.id})


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations" / "versions"]
