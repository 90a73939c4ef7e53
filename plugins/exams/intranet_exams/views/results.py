"""Offline results: entry form, and the plugin's Excel imports (exams, exam-results, questions)."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from intranet.access import roles_required
from intranet.extensions import db
from intranet.locking import StateChanged
from intranet.idnumber import check_id_number
from intranet.imports import framework
from intranet.models import Person

from .. import service
from ..forms import ImportForm, ResultForm
from ..imports import KIND_NAMES
from ..service import ExamError
from . import REGISTER_ROLES, bp, get_exam, require_manage


@bp.route("/<int:exam_id>/results/new", methods=["GET", "POST"])
@roles_required(*REGISTER_ROLES)
def enter_result(exam_id):
    exam = get_exam(exam_id)
    require_manage(exam)
    form = ResultForm()
    if form.validate_on_submit():
        check = check_id_number(form.id_number.data)
        person = None
        if check.error:
            form.id_number.errors.append(check.error)
        else:
            person = db.session.scalar(select(Person).where(Person.id_number == check.number))
            if person is None:
                form.id_number.errors.append("未找到该身份证号对应的人员")
        if person is not None:
            try:
                result = service.record_result(exam, person, form.status.data, form.score.data, current_user,
                                               resit=form.resit.data)
            except (ExamError, StateChanged) as exc:
                db.session.rollback()
                form.score.errors.append(str(exc))
            else:
                db.session.commit()
                flash(f"已保存 {person.name} 第{result.attempt}次考试成绩：{result.status}"
                      + (f" {result.score:g}分（{'合格' if result.passed else '不合格'}）" if result.score is not None else ""),
                      "success")
                return redirect(url_for("exams.enter_result", exam_id=exam.id))
    return render_template("exams/result_form.html", exam=exam, form=form)


def _kind(name: str):
    if name not in KIND_NAMES:
        abort(404)
    kind = framework.get_import_kind(name)
    if kind is None:
        abort(404)
    if current_user.role not in kind.roles:
        abort(403)
    return kind


@bp.route("/import/<kind_name>", methods=["GET", "POST"])
@roles_required(*REGISTER_ROLES)
def import_file(kind_name):
    kind = _kind(kind_name)
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        if not (upload.filename or "").lower().endswith(".xlsx"):
            form.file.errors.append("只支持 .xlsx 文件")
        else:
            result = framework.run_import(kind, io.BytesIO(upload.read()), user=current_user,
                                          dry_run=form.dry_run.data)
            flash(result.summary(), "success" if result.ok else "error")
    return render_template("exams/import.html", kind=kind, form=form, result=result)


@bp.route("/import/<kind_name>/template.xlsx")
@roles_required(*REGISTER_ROLES)
def import_template(kind_name):
    kind = _kind(kind_name)
    return send_file(io.BytesIO(framework.template_workbook(kind)), as_attachment=True,
                     download_name=f"{kind.label}导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
