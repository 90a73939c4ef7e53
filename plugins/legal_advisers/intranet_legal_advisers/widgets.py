"""Dashboard widgets: the user's scope in figures (coverage, contracts ending, ratings to give)."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from flask import url_for
from sqlalchemy import bindparam, func, select

from intranet import counts
from intranet.access import scope_filter, scope_root, scoped, statement_scope
from intranet.extensions import db
from intranet.hookspecs import Widget
from intranet.models import Department
from intranet.stored import computed, read, scope_key, scope_user

from . import coverage
from .models import ACTIVE, SERVICE_ACTIVE, Contract, Service

LIST_ROLES = ("admin", "bureau", "dept_admin", "inspector")


# Built once per scope, the dates bound when run (and part of the kept counts' key).
@lru_cache(maxsize=256)
def _todo_statement(scope):
    return select(
        scoped(select(func.count()).select_from(Contract).where(
            Contract.status == ACTIVE, Contract.end_on >= bindparam("today"), Contract.end_on <= bindparam("until")),
            Contract.department_id, scope).scalar_subquery(),
        scoped(select(func.count()).select_from(Service).where(Service.status == SERVICE_ACTIVE,
                                                               Service.rating.is_(None)),
               Service.department_id, scope).scalar_subquery())


def dashboard_widgets(user) -> list[Widget]:
    if user.role not in LIST_ROLES:
        return []
    stored = read(coverage_figures, scope_key(user))
    # the to-do counts, in one statement (kept while the tables are unchanged)
    todo = _todo_statement(statement_scope(user))
    today = date.today()
    dates = {"today": today, "until": today + timedelta(days=90)}
    ending, unrated = counts.remember(todo, lambda: tuple(db.session.execute(todo, dates).one()), params=dates)
    figures = []
    if stored.ready:
        cov = stored.value
        figures = [("法律顾问覆盖率", f"{cov['rate'] * 100:.1f}%"), ("未聘请法律顾问的单位", cov["without"]),
                   ("已聘请但近12个月未使用", cov["idle"])]
    figures += [("90天内到期的合同", ending), ("待评价的服务", unrated)]
    links = [("覆盖情况", url_for("legal_advisers.coverage_page")), ("提醒", url_for("legal_advisers.alerts")),
             ("合同", url_for("legal_advisers.index"))]
    return [Widget("legal_advisers", "法律顾问", order=40, figures=figures, links=links, html=stored.note())]


@computed(version=1)
def coverage_figures(scope) -> dict:
    """The scope's coverage (every unit against its contracts and service: a stored figure)."""
    user = scope_user(scope)
    cov = coverage.compute(scope_root(user), date.today(), scope_filter(Department.id, user))
    return {"rate": cov.counts()["合计"]["rate"], "without": len(cov.without), "idle": len(cov.idle)}


def department_sections(department, viewer):
    """The unit's legal adviser on its page: the contracts in force, the service of the last twelve
    months, and the way to the plugin's page of the unit."""
    from intranet.hookspecs import DepartmentSection
    from sqlalchemy.orm import selectinload
    today = date.today()
    contracts = list(db.session.scalars(
        select(Contract).options(selectinload(Contract.advisers))
        .where(Contract.department_id == department.id, Contract.status == ACTIVE)
        .order_by(Contract.end_on, Contract.id).limit(20)))
    served = db.session.scalar(select(func.count()).select_from(Service).where(
        Service.department_id == department.id, Service.status == SERVICE_ACTIVE,
        Service.served_on > today - timedelta(days=365))) or 0
    figures = [("法律顾问", "已聘请" if contracts else "未聘请"), ("近12个月服务", f"{served}件次")]
    if contracts and not served:
        figures.append(("提示", "有合同但近12个月无服务记录"))
    rows = [[c.number, c.adviser_names, c.form, c.end_on] for c in contracts]
    links = [("法律顾问详情", url_for("legal_advisers.department", dept_id=department.id))] \
        if viewer.role in LIST_ROLES else []
    return [DepartmentSection("legal_advisers", "法律顾问", order=40, figures=figures,
                              columns=["合同编号", "顾问", "形式", "期限至"] if contracts else [], rows=rows,
                              empty_text="未聘请法律顾问", links=links)]
