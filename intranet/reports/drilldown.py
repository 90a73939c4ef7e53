"""Drill-down: from a report figure to the records behind it, filtered exactly as it was counted.

A plugin's fragment gives ``drilldown={figure key: url}`` built with :func:`url`; the URL opens a
list view of the plugin that reads ``?year=&department=`` with :func:`report_scope` and renders
:func:`records_page` (paginated, with the total the figure must equal).
"""
from __future__ import annotations

from flask import abort, current_app, has_request_context, render_template, request, url_for

from ..access import require_scope
from ..extensions import db
from ..models import Department
from ..pagination import paginate
from .assemble import ReportError, check_year

VIEW_ROLES = ("admin", "bureau", "dept_admin", "inspector")


def url(endpoint: str, **values) -> str:
    """A URL for ``endpoint`` inside a request (the page) or outside one (the CLI, no host)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT", "/"))
    return adapter.build(endpoint, values)


def figure_url(endpoint: str, figure: str, year: int, department, **extra) -> str:
    return url(endpoint, figure=figure, year=year, department=department.id, **extra)


def report_scope() -> tuple[int, Department]:
    """``?year=&department=`` of a drill-down: 400 on a bad year, 404 on an unknown department,
    403 outside the user's scope."""
    try:
        year = check_year(request.args.get("year"))
    except ReportError as exc:
        abort(400, description=str(exc))
    raw = request.args.get("department", "")
    if not raw.isdigit():
        abort(400, description="单位参数无效")
    department = db.session.get(Department, int(raw))
    if department is None:
        abort(404, description="单位不存在")
    require_scope(department.id)
    return year, department


def records_page(*, title: str, stmt, columns: list[str], row, year: int, department: Department,
                 note: str = "", scalars: bool = True):
    """A paginated list of the records behind a figure; ``row(item)`` gives the cells (text;
    a cell may be ``(text, url)`` for a link). The page shows the total as ``data-total``."""
    page = paginate(stmt, scalars=scalars)
    rows = [[c if isinstance(c, tuple) else (c, None) for c in row(item)] for item in page.items]
    back = url_for("reports.index", year=year, department=department.id)
    return render_template("reports/records.html", title=title, page=page, columns=columns, rows=rows,
                           year=year, department=department, note=note, back=back)


def listed_total(html: str) -> int | None:
    """The total a drill-down page lists (its ``data-total``), for tests comparing it to the figure."""
    import re
    found = re.search(r'class="drill-total" data-total="(\d+)"', html)
    return int(found.group(1)) if found else None
