"""Contracts: the list, the form, one contract (its advisers, services, assessments, renewals), the
state changes (生效, 终止, 续签) and the signed scan."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from intranet import audit
from intranet.access import (MANAGE_ROLES, apply_scope, department_filter, departments_in_scope, require_scope,
                             roles_required, scoped_get)
from intranet.extensions import db
from intranet.forms import options as choices
from intranet.inputs import arg_int
from intranet.locking import StateChanged, lock
from intranet.pagination import paginate

from .. import files, lectures, service, settings
from ..forms import ActionForm, AssessmentForm, ContractForm, RatingForm, ScanForm, ServiceForm, TerminateForm
from ..models import (DRAFT, FORMS, SERVICE_ACTIVE, STATUSES, Adviser, Assessment, Contract, ContractAdviser,
                      Service, ServiceFile)
from ..service import AdviserError, AssessmentValues, ContractValues
from . import LIST_ROLES, bp, flash_form, refuse


def filtered_contracts(stmt):
    args = request.args
    stmt = apply_scope(stmt, Contract.department_id)
    stmt, _ = department_filter(stmt, args.get("department"), Contract.department_id)
    if args.get("status") in STATUSES:
        stmt = stmt.where(Contract.status == args["status"])
    if args.get("form") in FORMS:
        stmt = stmt.where(Contract.form == args["form"])
    q = args.get("q", "").strip()[:50]
    if q:
        named = select(ContractAdviser.contract_id).join(Adviser, Adviser.id == ContractAdviser.adviser_id) \
            .where(Adviser.name.contains(q, autoescape=True))
        stmt = stmt.where(or_(Contract.number.contains(q, autoescape=True), Contract.id.in_(named)))
    return stmt


@bp.route("/")
@roles_required(*LIST_ROLES)
def index():
    stmt = filtered_contracts(select(Contract).options(joinedload(Contract.department), selectinload(Contract.advisers))
                              .order_by(Contract.end_on.desc(), Contract.id.desc()))
    return render_template("legal_advisers/contracts.html", page=paginate(stmt), departments=departments_in_scope(),
                           statuses=STATUSES, forms=FORMS, filters=request.args, can_write=current_user.can_write)


def _advisers():
    return list(db.session.scalars(select(Adviser).options(joinedload(Adviser.firm), joinedload(Adviser.department))
                                   .where(Adviser.active.is_(True)).order_by(Adviser.kind, Adviser.name).limit(3000)))


def _values(form: ContractForm) -> ContractValues:
    return ContractValues(number=form.number.data or "", department_id=form.department_id.data, form=form.form.data,
                          start_on=form.start_on.data, end_on=form.end_on.data, fee=form.fee.data,
                          adviser_ids=form.adviser_ids.data or [], scope=form.scope.data or "",
                          confidentiality=form.confidentiality.data, conflict_free=form.conflict_free.data,
                          signed_on=form.signed_on.data, filed_on=form.filed_on.data,
                          override_reason=form.override_reason.data or "")


def _attach_scan(contract: Contract, storage, user) -> None:
    original, stored, mimetype, size = files.store(storage)
    before = {"scan": contract.scan_name}
    contract.scan_name, contract.scan_stored, contract.scan_mimetype, contract.scan_size = original, stored, mimetype, size
    audit.record("legal_advisers.scan", "legal_advisers_contract", contract.id,
                 summary=f"上传合同扫描件：{original}", before=before, after={"scan": original, "size": size},
                 department_id=contract.department_id, actor=user)


def _has_file(storage) -> bool:
    return storage is not None and bool(getattr(storage, "filename", ""))


def _save(form: ContractForm, contract: Contract | None, renewal_of: Contract | None = None):
    if not form.validate_on_submit():
        flash_form(form)
        return None
    require_scope(form.department_id.data, write=True)
    values = _values(form)
    try:
        if renewal_of is not None:
            saved = service.renew(renewal_of, values, current_user)
        else:
            saved = service.save_contract(contract, values, current_user)
        if _has_file(form.scan.data):
            _attach_scan(saved, form.scan.data, current_user)
    except (AdviserError, StateChanged) as exc:
        refuse(exc)
        return None
    db.session.commit()
    flash("合同已保存（草拟）；确认条款并填写签订日期后可登记生效", "success")
    for warning in values.warnings:
        flash(warning, "warning")
    return redirect(url_for(".contract", contract_id=saved.id))


@bp.route("/contracts/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def new_contract():
    form = ContractForm()
    form.fill_choices(departments_in_scope(), _advisers())
    if request.method == "POST":
        done = _save(form, None)
        if done is not None:
            return done
    return render_template("legal_advisers/contract_form.html", form=form, contract=None, renewal_of=None)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_contract(contract_id):
    contract = scoped_get(Contract, contract_id, write=True)
    if contract.status != DRAFT:
        flash(f"合同当前状态为“{contract.status}”，只有草拟中的合同可以修改", "error")
        return redirect(url_for(".contract", contract_id=contract.id))
    form = ContractForm(obj=contract) if request.method == "GET" else ContractForm()
    form.fill_choices(departments_in_scope(), _advisers())
    if request.method == "GET":
        form.adviser_ids.data = [a.id for a in contract.advisers]
        form.fee.data = f"{contract.fee:f}"
    else:
        done = _save(form, contract)
        if done is not None:
            return done
    return render_template("legal_advisers/contract_form.html", form=form, contract=contract, renewal_of=None)


@bp.route("/contracts/<int:contract_id>/renew", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def renew(contract_id):
    old = scoped_get(Contract, contract_id, write=True)
    if request.method == "GET":
        v = service.renewal_values(old)
        form = ContractForm(department_id=v.department_id, form=v.form, start_on=v.start_on, end_on=v.end_on,
                            fee=f"{v.fee:f}", scope=v.scope, adviser_ids=v.adviser_ids)
    else:
        form = ContractForm()
    form.fill_choices([old.department], _advisers())
    if request.method == "POST":
        done = _save(form, None, renewal_of=old)
        if done is not None:
            return done
    return render_template("legal_advisers/contract_form.html", form=form, contract=None, renewal_of=old)


@bp.route("/contracts/<int:contract_id>")
@roles_required(*LIST_ROLES)
def contract(contract_id):
    contract = scoped_get(Contract, contract_id)
    services = paginate(select(Service).where(Service.contract_id == contract.id)
                        .order_by(Service.served_on.desc(), Service.id.desc()))
    attachments = {}
    ids = [s.id for s in services.items]
    if ids:
        for f in db.session.scalars(select(ServiceFile).where(ServiceFile.service_id.in_(ids), ServiceFile.active.is_(True))
                                    .order_by(ServiceFile.id)):
            attachments.setdefault(f.service_id, []).append(f)
    assessments = list(db.session.scalars(select(Assessment).where(Assessment.contract_id == contract.id)
                                          .order_by(Assessment.year.desc())))
    renewals = list(db.session.scalars(select(Contract).where(Contract.renewal_of_id == contract.id)))
    service_form = ServiceForm()
    options = lectures.options(contract.department, date.today())
    service_form.lecture_ref.choices = choices([("", "（不关联）")] + list(options.items()))
    can_write = current_user.can_write and current_user.role in MANAGE_ROLES
    counts = dict(db.session.execute(select(Service.kind, func.count()).where(
        Service.contract_id == contract.id, Service.status == SERVICE_ACTIVE).group_by(Service.kind)).all())
    return render_template("legal_advisers/contract.html", contract=contract, services=services,
                           attachments=attachments, assessments=assessments, renewals=renewals,
                           service_form=service_form, rating_form=RatingForm(), terminate_form=TerminateForm(),
                           scan_form=ScanForm(), action=ActionForm(), can_write=can_write, counts=counts,
                           term_warning=service.term_warning(contract.start_on, contract.end_on),
                           filing_warning=service.filing_warning(contract.signed_on, contract.filed_on),
                           window=service.service_window(contract), lecture_options=options)


@bp.route("/contracts/<int:contract_id>/activate", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def activate(contract_id):
    contract = scoped_get(Contract, contract_id, write=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        contract = service.activate(contract, current_user)
    except (AdviserError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash(f"合同已{contract.status}", "success")
    return redirect(url_for(".contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/terminate", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def terminate(contract_id):
    contract = scoped_get(Contract, contract_id, write=True)
    form = TerminateForm()
    if not form.validate_on_submit():
        flash_form(form)
        return redirect(url_for(".contract", contract_id=contract_id))
    try:
        service.terminate(contract, form.reason.data, current_user, form.ended_on.data)
    except (AdviserError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash("合同已终止", "success")
    return redirect(url_for(".contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/scan/upload", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def upload_scan(contract_id):
    contract = scoped_get(Contract, contract_id, write=True)
    form = ScanForm()
    if not form.validate_on_submit() or not _has_file(form.scan.data):
        flash("请选择要上传的扫描件", "error")
        return redirect(url_for(".contract", contract_id=contract_id))
    try:
        contract = lock(contract, check=False)
        _attach_scan(contract, form.scan.data, current_user)
    except (AdviserError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash("扫描件已上传", "success")
    return redirect(url_for(".contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/scan")
@roles_required(*LIST_ROLES)
def scan(contract_id):
    contract = scoped_get(Contract, contract_id)
    path = files.path_of(contract.scan_stored)
    if path is None:
        abort(404)
    return send_file(path, mimetype=contract.scan_mimetype, as_attachment=True,
                     download_name=contract.scan_name or contract.scan_stored)


@bp.route("/contracts/<int:contract_id>/assess", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def assess(contract_id):
    contract = scoped_get(Contract, contract_id, write=True)
    today = date.today()
    default_year = min(today.year - 1 if today.month < 12 else today.year, contract.end_on.year)
    asked = arg_int("year", minimum=2000, maximum=2100)
    form = AssessmentForm(year=asked or max(default_year, contract.start_on.year))
    dimensions = settings.dimensions()
    year = form.year.data or default_year
    summary = service.year_summary(contract, year)
    suggested = service.suggested_scores(summary)
    if request.method == "POST":
        if form.validate_on_submit():
            client = {d["name"]: request.form.get(f"client_{i}", "") for i, d in enumerate(dimensions)}
            own = {d["name"]: request.form.get(f"self_{i}", "") for i, d in enumerate(dimensions)}
            values = AssessmentValues(year=form.year.data, client=client, self_report=own, decision=form.decision.data,
                                      veto=form.veto.data, veto_reason=form.veto_reason.data or "", note=form.note.data or "")
            try:
                done = service.assess(contract, values, current_user)
            except (AdviserError, StateChanged) as exc:
                refuse(exc)
            else:
                db.session.commit()
                flash(f"{done.year}年度考核已保存：总分{done.total}，{done.grade}，{done.decision}", "success")
                return redirect(url_for(".contract", contract_id=contract_id))
        else:
            flash_form(form)
    return render_template("legal_advisers/assess.html", contract=contract, form=form, dimensions=dimensions,
                           summary=summary, suggested=suggested, year=year, posted=request.form)
