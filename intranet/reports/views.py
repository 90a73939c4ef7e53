"""Report pages: assemble for a year and a department in scope, download; the early snapshots.

Submitting (报送) and review live in ``submissions``; ``ReportSnapshot`` rows made before it existed
stay readable here (read-only: nothing of record is lost)."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError

from ..access import apply_scope, departments_in_scope, require_scope, roles_required, scoped_get
from ..extensions import db
from ..models import Department, ReportSnapshot, User
from ..pagination import Page, paginate, requested_page
from ..forms import IntegerField, db_id, form_errors
from ..inputs import arg_int

from . import formatting, pieces
from .drilldown import VIEW_ROLES, report_scope
from .assemble import (FIRST_YEAR, MIMETYPES, ReportError, assemble, file_name, refuse_incomplete,
                       render, render_json)

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(formatting.report_figure_rows, "report_figure_rows")
bp.add_app_template_global(formatting.report_fragment_charts, "report_fragment_charts")
bp.add_app_template_global(formatting.is_empty, "report_is_empty")


@bp.app_template_global("chart_svg")
def chart_svg(chart: dict) -> Markup:
    """Inline SVG of one chart (drawn on the server: see intranet/reports/charts.py)."""
    from .charts import svg
    return Markup(svg(chart))

bp.add_app_template_global(pieces.chart_url, "report_chart_url")

DOWNLOADS = ("json", "html", "docx", "xlsx")


class YearField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("年度应为四位数字年份") from None


def _department_id(value) -> int | None:
    """Coerce the department choice; garbage becomes -1 (reported by the form), not a 500."""
    if value in (None, ""):
        return None
    try:
        return db_id(value)
    except (TypeError, ValueError):
        return -1


class ReportQueryForm(FlaskForm):
    """The GET form choosing year and department (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    year = YearField("年度", validators=[InputRequired("请输入年度（四位数字年份）")])
    department = SelectField("单位（含下级单位）", coerce=_department_id, validate_choice=False)

    def validate_year(self, field):
        if field.data is None:
            return  # not a number: already reported
        if field.data < FIRST_YEAR:
            raise ValidationError(f"年度应在 {FIRST_YEAR} 年及以后")
        if field.data > date.today().year:
            raise ValidationError(f"年度不能晚于 {date.today().year} 年")

    def validate_department(self, field):
        if field.data == -1:
            raise ValidationError("单位参数无效，请从列表中选择单位")


def _department_choices(departments, current_id=None) -> list[tuple[int, str]]:
    """The units with units below them, and the chosen unit with its own units: a province's 2,500
    units would make the page's HTML mostly this list."""
    if not departments:
        return []
    top = min(d.depth for d in departments)
    parents = {d.parent_id for d in departments}
    by_id = {d.id: d for d in departments}
    current = by_id.get(current_id)
    shown = {d.id for d in departments if d.id in parents or d.depth == top}
    if current is not None:
        shown |= {current.id} | {d.id for d in departments if d.parent_id == current.parent_id}
        shown |= {d.id for d in departments if d.parent_id == current.id}
    return [(d.id, "　" * (d.depth - top) + d.name) for d in departments if d.id in shown]


def _default_department(departments) -> Department | None:
    if current_user.department_id:
        return current_user.department
    return departments[0] if departments else None


def _download(report: dict, fmt: str) -> Response:
    if fmt in ("docx", "xlsx"):   # a file to hand in is never silently partial
        try:
            refuse_incomplete(report)
        except ReportError as exc:
            return Response(str(exc), status=409, content_type="text/plain; charset=utf-8")
    response = Response(render(report, fmt), content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name(report, fmt))}"
    return response


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    departments = departments_in_scope()
    default = _default_department(departments)
    form = ReportQueryForm(request.args if request.args else None,
                           data={"year": date.today().year, "department": default.id if default else None})
    form.department.choices = _department_choices(departments, form.department.data)
    wants_json = request.args.get("format") == "json"
    if request.args and not form.validate():
        if wants_json:
            message = form_errors(form)
            return jsonify({"error": message, "status": 400}), 400
        return render_template("reports/index.html", form=form, report=None, department=None), 400
    if form.department.data is None and default is not None:
        form.department.data = default.id
    if form.department.data is None:
        if wants_json:
            return jsonify({"error": "您的权限范围内没有单位", "status": 400}), 400
        return render_template("reports/index.html", form=form, report=None, department=None)
    department = db.session.get(Department, form.department.data)
    if department is None:
        message = "所选单位不存在（可能已被合并或编号有误），请从列表中重新选择"
        if wants_json:
            return jsonify({"error": message, "status": 404}), 404
        form.department.errors = [message]
        return render_template("reports/index.html", form=form, report=None, department=None), 404
    require_scope(department.id)
    download = request.args.get("download")
    from ..jobs import api as jobs
    if download in DOWNLOADS and not wants_json and jobs.should_queue_report(department):
        # A large subtree: the file is built by the worker; the page offers to start that job.
        return render_template("jobs/report_offer.html", department=department, year=form.year.data, fmt=download)
    report = assemble(form.year.data, department, with_labels=True, with_previous=not wants_json)
    if wants_json:
        return Response(render_json(report), content_type=MIMETYPES["json"])
    if download in DOWNLOADS:
        return _download(report, download)
    return render_template("reports/index.html", form=form, report=report, department=department,
                           pieces=pieces.page_pieces(report, department.id))


def _piece(key: str, kind: str, year: int, department: Department):
    """The chart or table named by ``key`` and ``?ref=&n=`` in the report of ``year`` and
    ``department``; 404 when the report has no such piece (any more)."""
    data = pieces.recall(key, department.id, year)
    if data is None:      # not kept (pruned, another machine): find it again in the report
        n = arg_int("n", -1, minimum=0, maximum=999)
        report = assemble(year, department, with_labels=True)
        data = pieces.find_in_report(report, request.args.get("ref", ""), n, kind)
        if data is None or pieces.remember(department.id, year, data) != key:
            abort(404, description="该图表或表格已不在报告中，请重新生成报告")
    return data


@bp.route("/chart/<key>.<fmt>")
@roles_required(*VIEW_ROLES)
def chart(key, fmt):
    """A chart of the report page as SVG or PNG; its key is the hash of its figures, so it never
    changes: cached by the browser (ETag, immutable)."""
    if fmt not in ("svg", "png"):
        abort(404)
    year, department = report_scope()      # 400 bad arguments, 403 out of scope
    if request.if_none_match.contains(key):
        response = Response(status=304)
    else:
        data = _piece(key, "chart", year, department)
        response = Response(pieces.drawn(key, data, fmt),
                            content_type="image/svg+xml" if fmt == "svg" else "image/png")
    response.set_etag(key)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.route("/table/<key>")
@roles_required(*VIEW_ROLES)
def table(key):
    """All the rows of a long table of the report page, paged."""
    year, department = report_scope()
    data = _piece(key, "table", year, department)
    rows = data["rows"]
    per_page = current_app.config["PER_PAGE"] * 2
    page = min(requested_page(), max(1, -(-len(rows) // per_page)))
    page = Page(rows[(page - 1) * per_page:page * per_page], page, per_page, len(rows))
    back = url_for("reports.index", year=year, department=department.id)
    return render_template("reports/table.html", table=data, page=page, year=year, department=department,
                           back=back)


@bp.route("/snapshots")
@roles_required(*VIEW_ROLES)
def snapshots():
    stmt = (select(ReportSnapshot, Department, User)
            .join(Department, ReportSnapshot.department_id == Department.id)
            .outerjoin(User, ReportSnapshot.submitted_by_id == User.id)
            .order_by(ReportSnapshot.submitted_at.desc(), ReportSnapshot.id.desc()))
    year = arg_int("year", maximum=9999)
    if year:
        stmt = stmt.where(ReportSnapshot.year == year)
    page = paginate(apply_scope(stmt, ReportSnapshot.department_id), scalars=False)
    return render_template("reports/snapshots.html", page=page, year=year)


@bp.route("/snapshots/<int:snapshot_id>")
@roles_required(*VIEW_ROLES)
def snapshot(snapshot_id):
    snap = scoped_get(ReportSnapshot, snapshot_id)
    if request.args.get("format") == "json":
        return Response(render_json(snap.data), content_type=MIMETYPES["json"])
    download = request.args.get("download")
    if download in DOWNLOADS:
        return _download(snap.data, download)
    submitter = db.session.get(User, snap.submitted_by_id) if snap.submitted_by_id else None
    return render_template("reports/snapshot.html", snap=snap, report=snap.data, submitter=submitter)
