"""The report's charts on the home page (工作台), from the same figures as the report page.

Building the report of a large department takes seconds, so the charts of a (year, department)
are a stored figure (intranet.stored): computed by the worker, read by the page with the time they
were computed; the charts themselves are drawn once per content (see charts.py).
"""
from __future__ import annotations

from datetime import date
from functools import cache

from sqlalchemy import select

from .. import counts
from ..access import apply_scope
from ..extensions import db
from ..models import Department
from ..stored import Stored, computed, read

MAX_CHARTS = 4
MAX_LABELS = 10


@cache
def _top_stmt():
    # built once: the home page asks it on every view of a user without a department
    return select(Department.id, Department.name).where(Department.active.is_(True)).order_by(Department.path).limit(1)


def _department(user):
    """The user's own department, or the first of the scope (the top of the tree) as an (id,
    name) row, kept while no department is written (intranet.counts)."""
    if user.department_id:
        return user.department
    stmt = apply_scope(_top_stmt(), Department.id, user)
    return counts.remember(stmt, lambda: db.session.execute(stmt).first())


def _glance(chart: dict) -> dict:
    """A chart cut to MAX_LABELS bars for a small card."""
    if chart.get("kind") == "bar" and len(chart["labels"]) > MAX_LABELS:
        return {**chart, "title": f"{chart['title']}（前{MAX_LABELS}个）", "labels": chart["labels"][:MAX_LABELS],
                "values": chart["values"][:MAX_LABELS]}
    return chart


@computed(version=1)
def report_charts(year: int, department_id: int) -> list[dict]:
    """The first chart of each fragment of the department's report of ``year``, at most MAX_CHARTS."""
    from .assemble import assemble
    department = db.session.get(Department, department_id)
    if department is None:
        return []
    seen, picked = set(), []
    for chart in assemble(year, department, with_labels=True).get("charts") or []:
        ref = (chart["plugin"], chart["fragment"])
        if ref not in seen:
            seen.add(ref)
            picked.append(_glance(chart))
    return picked[:MAX_CHARTS]


def dashboard_charts(user) -> tuple[object, int, Stored]:
    """(department, year, stored charts) for the user's card: the department is the user's own, or
    the first of the user's scope (the key names it, so nobody reads another department's)."""
    from .drilldown import VIEW_ROLES
    if user.role not in VIEW_ROLES:
        return None, 0, Stored([])
    department = _department(user)
    if department is None:
        return None, 0, Stored([])
    year = date.today().year
    return department, year, read(report_charts, year, department.id)
