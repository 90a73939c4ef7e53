"""Import pages: the kinds a user may use, template downloads, uploads and row-error reports."""
from __future__ import annotations

import io
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from ..access import MANAGE_ROLES, roles_required
from .framework import ImportResult, all_import_kinds, error_workbook, run_import, template_workbook

bp = Blueprint("imports", __name__, url_prefix="/imports")

ERRORS_SHOWN = 500
ERROR_FILES_KEPT_SECONDS = 7 * 24 * 3600
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(FlaskForm):
    file = FileField("Excel 文件（.xlsx）", validators=[FileRequired("请选择要上传的 .xlsx 文件")])
    dry_run = BooleanField("试运行（只校验，不写入）")


def _kinds_for_user() -> dict:
    return {name: k for name, k in all_import_kinds().items() if current_user.role in k.roles}


def _kind_or_abort(name: str):
    kind = all_import_kinds().get(name)
    if kind is None:
        abort(404)
    if current_user.role not in kind.roles:
        abort(403)
    return kind


def _error_dir() -> Path:
    """Error reports live under the instance uploads folder, one folder per user."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / "import-errors" / str(current_user.id)


def _store_error_report(data: bytes) -> str:
    folder = _error_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - ERROR_FILES_KEPT_SECONDS
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def _max_upload_mb() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return f"{limit / 1024 / 1024:.0f} MB" if limit else ""


@bp.errorhandler(413)
def too_large(_exc):
    limit = _max_upload_mb()
    message = f"上传的文件过大（不能超过 {limit}），数据未作任何更改。请拆分文件后分批导入。" if limit else "上传的文件过大"
    return render_template("error.html", code=413, message=message), 413


@bp.route("/")
@roles_required(*MANAGE_ROLES)
def index():
    kinds = sorted(_kinds_for_user().values(), key=lambda k: (k.plugin != "core", k.plugin, k.name))
    return render_template("imports/index.html", kinds=kinds, forms={k.name: UploadForm(prefix=k.name) for k in kinds})


@bp.route("/<kind_name>/template.xlsx")
@roles_required(*MANAGE_ROLES)
def template(kind_name):
    kind = _kind_or_abort(kind_name)
    return send_file(io.BytesIO(template_workbook(kind)), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"{kind.label}导入模板.xlsx")


@bp.route("/<kind_name>", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def upload(kind_name):
    kind = _kind_or_abort(kind_name)
    form = UploadForm(prefix=kind.name)
    if not form.validate_on_submit():
        problems = [e for errs in form.errors.values() for e in errs]
        return _file_problem(kind, form, "；".join(problems) or "请求无效")
    upload_file = form.file.data
    filename = upload_file.filename or ""
    if not filename.lower().endswith(".xlsx"):
        return _file_problem(kind, form, f"文件类型不支持：{filename}。请上传 Excel 2007 及以上版本的 .xlsx 文件"
                                         "（.xls、.csv 等请先在 Excel 中另存为 .xlsx）")
    data = upload_file.read()
    if not data.startswith(b"PK\x03\x04"):
        return _file_problem(kind, form, f"文件 {filename} 不是有效的 .xlsx 文件（可能只是改了扩展名），请在 Excel 中另存为 .xlsx 后重新上传")
    from ..jobs import api as jobs
    if rows := jobs.should_queue_import(data):   # a large file: the worker imports it, the page shows progress
        job, created = jobs.start_import(kind, data, filename, current_user._get_current_object(),
                                         dry_run=form.dry_run.data, rows=rows)
        flash("文件较大，已转入后台导入，本页显示进度" if created else "同一文件已在导入中，请查看其进度",
              "success" if created else "warning")
        return redirect(url_for("jobs.detail", job_id=job.id))
    result: ImportResult = run_import(kind, io.BytesIO(data), user=current_user._get_current_object(),
                                      dry_run=form.dry_run.data)
    token = _store_error_report(error_workbook(result)) if result.errors else None
    shown = result.errors[:ERRORS_SHOWN]
    return render_template("imports/result.html", kind=kind, result=result, filename=filename, token=token,
                           shown=shown, hidden=len(result.errors) - len(shown),
                           file_errors=[e for e in result.errors if e.row == 0],
                           warnings=result.warnings[:ERRORS_SHOWN])


def _file_problem(kind, form, message: str):
    return render_template("imports/index.html", kinds=[kind], forms={kind.name: form}, problem=message,
                           single=True), 400


@bp.route("/errors/<token>.xlsx")
@roles_required(*MANAGE_ROLES)
def errors(token):
    """The uploaded rows with a 错误信息 column; only the user who uploaded them can fetch them."""
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        abort(404)
    path = _error_dir() / f"{token}.xlsx"
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=XLSX_MIME, as_attachment=True, download_name="导入错误报告.xlsx")
