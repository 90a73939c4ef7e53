"""Dashboard widgets: the user's scope in figures (coverage, contracts ending, ratings to give)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from sqlalchemy import func, select

from intranet.access import apply_scope, scope_filter, scope_root
from intranet.extensions import db
from intranet.hookspecs import Widget
from intranet.models import Department

from . import coverage
from .models import ACTIVE, SERVICE_ACTIVE, Contract, Service

LIST_ROLES = ("admin", "bureau", "dept_admin", "inspector")


def _count(stmt, column, user):
    return db.session.scalar(apply_scope(stmt, column, user))


def dashboard_widgets(user) -> list[Widget]:
    if user.role not in LIST_ROLES:
        return []
    today = date.today()
    cov = coverage.compute(scope_root(user), today, scope_filter(Department.id, user))
    counts = cov.counts()["合计"]
    ending = _count(select(func.count()).select_from(Contract).where(
        Contract.status == ACTIVE, Contract.end_on >= today, Contract.end_on <= today + timedelta(days=90)),
        Contract.department_id, user)
    unrated = _count(select(func.count()).select_from(Service).where(Service.status == SERVICE_ACTIVE,
                                                                     Service.rating.is_(None)),
                     Service.department_id, user)
    figures = [("法律顾问覆盖率", f"{counts['rate'] * 100:.1f}%"), ("未聘请法律顾问的单位", len(cov.without)),
               ("已聘请但近12个月未使用", len(cov.idle)), ("90天内到期的合同", ending), ("待评价的服务", unrated)]
    links = [("覆盖情况", url_for("legal_advisers.coverage_page")), ("提醒", url_for("legal_advisers.alerts")),
             ("合同", url_for("legal_advisers.index"))]
    return [Widget("legal_advisers", "法律顾问", order=40, figures=figures, links=links)]
