"""学法: the hooks this plugin implements (the entry point in pyproject.toml names this module)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from intranet.access import MANAGE_ROLES
from intranet.hookspecs import NavItem, ReportFragment, ReportTable, hookimpl
from intranet.imports import Column, ImportKind
from intranet.models import Department
from intranet.extensions import db

from .models import Item

NAME = "law_study"
DESCRIPTION = "学法"


@hookimpl
def register_blueprints(app):
    from .views import bp
    app.register_blueprint(bp)


@hookimpl
def register_models():
    return [Item]


@hookimpl
def nav_items(user):
    return [NavItem(NAME, "学法", "law_study.index", order=60)]


@hookimpl
def report_fragments(year, department):
    rows = db.session.execute(
        select(Department.name, func.count(Item.id))
        .join(Item, Item.department_id == Department.id)
        .where(Item.active.is_(True), Item.held_on.between(date(year, 1, 1), date(year, 12, 31)),
               department.subtree_filter(Item.department_id))
        .group_by(Department.id, Department.name)
        .order_by(func.count(Item.id).desc(), Department.name)
    ).all()
    total = sum(count for _name, count in rows)
    paragraphs = [f"{year}年，共记录学法{total}条，涉及{len(rows)}个单位。"] if total else []
    return ReportFragment(
        NAME, "items", "学法", order=500,
        figures={"items": total, "departments": len(rows)},
        paragraphs=paragraphs,
        tables=[ReportTable("各单位学法", ["单位", "记录数"], [[n, c] for n, c in rows])] if rows else [],
    )


def _apply_import(rows, ctx):
    codes = {r.values["单位编码"] for r in rows}
    departments = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(codes)))}
    values = []
    for r in rows:
        dept = departments.get(r.values["单位编码"])
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {r.values['单位编码']} 不存在")
        elif not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权为单位 {dept.name} 导入")
        else:
            values.append({"department_id": dept.id, "title": r.values["标题"], "held_on": r.values["日期"],
                           "active": True})
    if values and not ctx.result.errors:
        db.session.execute(insert(Item), values)
    ctx.result.created = len(values)


@hookimpl
def import_kinds():
    return [ImportKind(NAME, NAME, "学法", [
        Column("单位编码", max_length=32),
        Column("标题", max_length=200),
        Column("日期", "date"),
    ], _apply_import, roles=MANAGE_ROLES)]
