"""The service log: logging a service on a contract, the client's rating, attachments, the list."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import audit
from intranet.access import MANAGE_ROLES, apply_scope, department_filter, departments_in_scope, roles_required, scoped_get
from intranet.extensions import db
from intranet.forms import options
from intranet.inputs import arg_int
from intranet.locking import StateChanged, lock
from intranet.pagination import paginate

from .. import files, lectures, service
from ..forms import ActionForm, FileForm, RatingForm, ServiceForm
from ..models import SERVICE_ACTIVE, SERVICE_KINDS, Contract, Service, ServiceFile
from ..service import AdviserError, ServiceValues
from . import LIST_ROLES, bp, flash_form, refuse


def _add_file(svc: Service, storage, user) -> ServiceFile:
    original, stored, mimetype, size = files.store(storage)
    record = ServiceFile(service_id=svc.id, department_id=svc.department_id, original_name=original,
                         stored_name=stored, mimetype=mimetype, size=size, active=True)
    db.session.add(record)
    db.session.flush()
    audit.record("legal_advisers.attach", "legal_advisers_service_file", record.id, summary=f"上传服务附件：{original}",
                 after={"service": svc.id, "name": original, "size": size}, department_id=svc.department_id, actor=user)
    return record


@bp.route("/contracts/<int:contract_id>/services", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def add_service(contract_id):
    contract = scoped_get(Contract, contract_id, write=True)
    form = ServiceForm()
    form.lecture_ref.choices = options([("", "（不关联）")])
    back = redirect(url_for(".contract", contract_id=contract_id))
    if not form.validate_on_submit():
        flash_form(form)
        return back
    offered = lectures.options(contract.department, form.served_on.data) if form.lecture_ref.data else {}
    values = ServiceValues(served_on=form.served_on.data, kind=form.kind.data, matter=form.matter.data or "",
                           hours=form.hours.data, outcome=form.outcome.data or "", lecture_ref=form.lecture_ref.data or "")
    try:
        svc = service.add_service(contract, values, current_user, lectures=offered)
        if form.attachment.data is not None and getattr(form.attachment.data, "filename", ""):
            _add_file(svc, form.attachment.data, current_user)
    except (AdviserError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash("服务已登记，请委托单位评价", "success")
    return back


@bp.route("/services/<int:service_id>/rate", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def rate(service_id):
    svc = scoped_get(Service, service_id, write=True)
    form = RatingForm()
    if not form.validate_on_submit():
        flash_form(form)
    else:
        try:
            service.rate(svc, form.rating.data, form.comment.data or "", current_user)
        except (AdviserError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash("评价已保存", "success")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/legal-advisers/")
                    else url_for(".contract", contract_id=svc.contract_id))


@bp.route("/services/<int:service_id>/withdraw", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def withdraw_service(service_id):
    svc = scoped_get(Service, service_id, write=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.withdraw_service(svc, current_user)
    except (AdviserError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash("服务记录已撤销", "success")
    return redirect(url_for(".contract", contract_id=svc.contract_id))


@bp.route("/services/<int:service_id>/files", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def attach(service_id):
    svc = scoped_get(Service, service_id, write=True)
    form = FileForm()
    if not form.validate_on_submit() or form.attachment.data is None or not form.attachment.data.filename:
        flash("请选择要上传的附件", "error")
    else:
        try:
            svc = lock(svc, check=False)
            if svc.status != SERVICE_ACTIVE:
                raise AdviserError("该服务记录已撤销")
            _add_file(svc, form.attachment.data, current_user)
        except (AdviserError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash("附件已上传", "success")
    return redirect(url_for(".contract", contract_id=svc.contract_id))


@bp.route("/files/<int:file_id>")
@roles_required(*LIST_ROLES)
def download(file_id):
    record = scoped_get(ServiceFile, file_id)
    path = files.path_of(record.stored_name) if record.active else None
    if path is None:
        abort(404)
    return send_file(path, mimetype=record.mimetype, as_attachment=True, download_name=record.original_name)


def filtered_services(stmt):
    args = request.args
    stmt = apply_scope(stmt, Service.department_id).where(Service.status == SERVICE_ACTIVE)
    stmt, _ = department_filter(stmt, args.get("department"), Service.department_id)
    if args.get("kind") in SERVICE_KINDS:
        stmt = stmt.where(Service.kind == args["kind"])
    year = arg_int("year", maximum=9999)
    if year:
        stmt = stmt.where(Service.served_on.between(date(year, 1, 1), date(year, 12, 31)))
    if args.get("unrated") == "1":
        stmt = stmt.where(Service.rating.is_(None))
    return stmt


@bp.route("/services")
@roles_required(*LIST_ROLES)
def services():
    stmt = filtered_services(select(Service).options(joinedload(Service.contract), joinedload(Service.department))
                             .order_by(Service.served_on.desc(), Service.id.desc()))
    return render_template("legal_advisers/services.html", page=paginate(stmt), kinds=SERVICE_KINDS,
                           departments=departments_in_scope(), filters=request.args, rating_form=RatingForm(),
                           can_write=current_user.can_write and current_user.role in MANAGE_ROLES)
