"""Job pages: my jobs, one job's progress and its result, starting exports and report builds."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import counts
from ..access import READ_ROLES, json_view, require_scope, roles_required
from ..extensions import db
from ..inputs import bounded_int
from ..models import Department, Job
from ..models.job import FAILED
from ..pagination import Page, paginate, requested_page
from . import api
from .runner import MAX_ROW_ERRORS, permission_problem, row_errors

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
exports_bp = Blueprint("exports", __name__, url_prefix="/exports")

ERRORS_PER_PAGE = 50
REPORT_FORMATS = ("docx", "xlsx", "html", "json")


class PostForm(FlaskForm):
    """An empty form: only the CSRF token."""


def _visible_job(job_id: int) -> Job:
    """The job if the user may see it: 404 when there is none, 403 when it is another user's."""
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    if current_user.role != "admin" and job.owner_id != current_user.id:
        abort(403)
    return job


@bp.route("/")
@roles_required(*READ_ROLES)
def index():
    page = paginate(api.visible_jobs(current_user))
    return render_template("jobs/index.html", page=page)


@bp.route("/<int:job_id>")
@roles_required(*READ_ROLES)
def detail(job_id):
    job = _visible_job(job_id)
    if job.finished:   # its rows were written by the worker, in another process
        counts.changed_elsewhere(('job', job.id))
    kept = min(job.error_count or 0, MAX_ROW_ERRORS)
    number = min(requested_page(), max(1, -(-kept // ERRORS_PER_PAGE)))
    start = (number - 1) * ERRORS_PER_PAGE
    errors = row_errors(job.id, start, ERRORS_PER_PAGE) if kept else []
    error_page = Page(errors, number, ERRORS_PER_PAGE, kept)
    return render_template("jobs/detail.html", job=job, progress=api.progress_of(job), error_page=error_page,
                           failed=job.state == FAILED, max_row_errors=MAX_ROW_ERRORS,
                           has_result=bool(job.result_path) and Path(job.result_path).is_file())


@bp.route("/<int:job_id>.json")
@roles_required(*READ_ROLES)
@json_view
def status(job_id):
    job = _visible_job(job_id)
    data = api.progress_of(job)
    if job.finished:
        counts.changed_elsewhere(('job', job.id))
    data["result_url"] = url_for("jobs.result", job_id=job.id) if job.result_path else None
    return jsonify(data)


@bp.route("/<int:job_id>/result")
@roles_required(*READ_ROLES)
def result(job_id):
    """The result file. The owner must still hold the role and scope the job needed."""
    job = _visible_job(job_id)
    if current_user.role != "admin" and permission_problem(job, current_user):
        abort(403)
    if not job.result_path or not Path(job.result_path).is_file():
        abort(404, "结果文件不存在或已过期清除")
    return send_file(job.result_path, as_attachment=True, download_name=job.result_name or Path(job.result_path).name)


@bp.route("/report", methods=["POST"])
@roles_required(*READ_ROLES)
def start_report():
    """Build a report file for a large subtree as a job (the report page offers it)."""
    from ..reports.assemble import ReportError, check_year
    from ..reports.drilldown import VIEW_ROLES
    if current_user.role not in VIEW_ROLES:
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    department = db.session.get(Department, bounded_int(request.form.get("department")) or -1)
    if department is None:
        abort(404, "所选单位不存在")
    require_scope(department.id)
    fmt = request.form.get("format", "docx")
    if fmt not in REPORT_FORMATS:
        abort(400, "不支持的格式")
    try:
        year = check_year(request.form.get("year"))
    except ReportError as exc:
        abort(400, str(exc))
    job = api.start_report(year, department, fmt, current_user)
    flash("报告已在后台生成，完成后可在此下载", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


# --- exports ----------------------------------------------------------------------------

def _exports_for_user() -> list:
    return sorted((k for k in api.export_kinds().values() if current_user.role in k.roles),
                  key=lambda k: (k.plugin, k.name))


@exports_bp.route("/", endpoint="index")
@roles_required(*READ_ROLES)
def exports_index():
    return render_template("jobs/exports.html", kinds=_exports_for_user(), form=PostForm())


@exports_bp.route("/<name>", methods=["POST"])
@roles_required(*READ_ROLES)
def start(name):
    kind = api.export_kinds().get(name)
    if kind is None:
        abort(404)
    if current_user.role not in kind.roles:
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    job = api.start_export(kind, current_user)
    flash(f"已开始导出「{kind.label}」", "success")
    return redirect(url_for("jobs.detail", job_id=job.id))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(exports_bp)
