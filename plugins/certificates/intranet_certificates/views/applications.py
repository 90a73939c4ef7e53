"""申领 (department admins) and 审核/核发 (司法局)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet.access import (BUREAU_ROLES, MANAGE_ROLES, apply_scope, in_scope, require_scope, roles_required,
                             scoped_get)
from intranet.extensions import db
from intranet.inputs import arg_int
from intranet.locking import StateChanged
from intranet.models import Department, Person
from intranet.pagination import paginate
from intranet.forms import options

from .. import applications as service
from .. import photos, settings
from ..forms import ApplicationForm, ApproveForm, DepartmentPickForm, IssueForm, RejectForm, WithdrawForm
from ..models import APPLICATION_STATUSES, CertificateApplication, EnforcementSubject
from ..photos import PhotoError
from . import bp
from .helpers import category_choices, department_choices, flash_errors, refuse

READ = ("admin", "bureau", "dept_admin", "inspector")


@bp.route("/applications/")
@roles_required(*READ)
def applications():
    status = request.args.get("status", "")
    stmt = (select(CertificateApplication)
            .options(joinedload(CertificateApplication.person), joinedload(CertificateApplication.department),
                     joinedload(CertificateApplication.certificate))
            .order_by(CertificateApplication.id.desc()))
    if status in APPLICATION_STATUSES:
        stmt = stmt.where(CertificateApplication.status == status)
    page = paginate(apply_scope(stmt, CertificateApplication.department_id))
    return render_template("certificates/applications/index.html", page=page, status=status,
                           statuses=APPLICATION_STATUSES)


def _subject_department_ids() -> set[int]:
    return set(db.session.scalars(select(EnforcementSubject.department_id).where(EnforcementSubject.active.is_(True))))


@bp.route("/applications/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def new_application():
    choices = department_choices(_subject_department_ids())
    department_id = arg_int("department_id")
    if department_id is None and len(choices) == 1:
        department_id = choices[0].value
    department = None
    form = None
    if department_id is not None:
        require_scope(department_id, write=True)
        department = db.session.get(Department, department_id) or abort(404)
        form = ApplicationForm()
        people = db.session.scalars(select(Person).where(Person.department_id == department.id)
                                    .order_by(Person.name_key, Person.name).limit(1000)).all()
        form.person_id.choices = options([(p.id, f"{p.name}（{p.staffing}，{p.status}{'，执法岗位' if p.enforcement_post else ''}）")
                                          for p in people])
        form.category.choices = category_choices()
        if request.method == "GET":
            form.region.data = settings.default_region()
            chosen = arg_int("person_id")  # from the person's page
            if chosen is not None and any(p.id == chosen for p in people):
                form.person_id.data = chosen
        if form.validate_on_submit():
            person = db.session.get(Person, form.person_id.data)
            require_scope(person.department_id, write=True)
            problems = service.refusals(person)
            if problems:
                for p in problems:
                    flash(p, "error")
            else:
                try:
                    photo = photos.prepare_photo(form.photo.data) if form.photo.data else None
                    application = service.submit(person, category=form.category.data, region=form.region.data,
                                                 note=form.note.data, photo_file=photo.name if photo else "",
                                                 photo_name=photo.original if photo else "", actor=current_user)
                except (service.ApplicationError, PhotoError, StateChanged) as exc:
                    refuse(exc)
                else:
                    if photo:  # written only once every check has passed
                        photo.store()
                    db.session.commit()
                    flash(f"已提交{person.name}的行政执法证申领，等待司法局审核", "success")
                    return redirect(url_for(".application", app_id=application.id))
        else:
            flash_errors(form)
    picker = DepartmentPickForm(formdata=None, department_id=department_id)
    picker.department_id.choices = choices
    return render_template("certificates/applications/new.html", form=form, department=department,
                           choices=choices, picker=picker)


@bp.route("/applications/<int:app_id>")
@roles_required(*READ)
def application(app_id):
    item = scoped_get(CertificateApplication, app_id)
    issue_form = IssueForm(authority=settings.issuing_authority(), version=settings.get("default_version"))
    issue_form.version.choices = options((v, v) for v in settings.get("versions"))
    now = service.decided_checks(item)
    return render_template("certificates/applications/detail.html", item=item, check_rows=service.check_rows(item, now),
                           now_label="当前" if item.status == "待审核" else "审核时",
                           manual=service.needs_manual_check(now), unmet=service.unmet(now),
                           approve_form=ApproveForm(), reject_form=RejectForm(), issue_form=issue_form,
                           withdraw_form=WithdrawForm(), can_review=current_user.role in BUREAU_ROLES,
                           can_withdraw=item.status in service.PENDING and current_user.role in MANAGE_ROLES and current_user.can_write
                           and in_scope(item.department_id))


@bp.route("/applications/<int:app_id>/photo")
@roles_required(*READ)
def application_photo(app_id):
    item = scoped_get(CertificateApplication, app_id)
    path = photos.photo_path(item.photo_file)
    if path is None:
        abort(404, "该申领没有照片")
    return send_file(path, mimetype=photos.mimetype(item.photo_file), max_age=0)


@bp.route("/applications/<int:app_id>/approve", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def approve_application(app_id):
    item = scoped_get(CertificateApplication, app_id, write=True)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash_errors(form)
    else:
        try:
            service.approve(item, note=form.note.data, manual_check=form.manual_check.data,
                            manual_note=form.manual_note.data, actor=current_user)
        except (service.ApplicationError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash("申领已批准，可以发证", "success")
    return redirect(url_for(".application", app_id=app_id))


@bp.route("/applications/<int:app_id>/reject", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def reject_application(app_id):
    item = scoped_get(CertificateApplication, app_id, write=True)
    form = RejectForm()
    if not form.validate_on_submit():
        flash_errors(form)
    else:
        try:
            service.reject(item, reason=form.reason.data, actor=current_user)
        except (service.ApplicationError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash("申领已退回", "success")
    return redirect(url_for(".application", app_id=app_id))


@bp.route("/applications/<int:app_id>/withdraw", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def withdraw_application(app_id):
    item = scoped_get(CertificateApplication, app_id, write=True)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash_errors(form)
    else:
        try:
            service.withdraw(item, actor=current_user)
        except (service.ApplicationError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash("申领已撤回", "success")
    return redirect(url_for(".application", app_id=app_id))


@bp.route("/applications/<int:app_id>/issue", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def issue_application(app_id):
    item = scoped_get(CertificateApplication, app_id, write=True)
    form = IssueForm()
    form.version.choices = options((v, v) for v in settings.get("versions"))
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".application", app_id=app_id))
    try:
        cert = service.issue(item, issued_on=form.issued_on.data, valid_until=form.valid_until.data,
                             number=form.number.data or None, version=form.version.data,
                             authority=form.authority.data, actor=current_user)
    except (service.CertificateError, StateChanged) as exc:
        refuse(exc)
        return redirect(url_for(".application", app_id=app_id))
    try:
        db.session.commit()
    except IntegrityError:  # the same manual number chosen at the same moment by someone else
        refuse(service.CertificateError("证件编号已被使用，编号不能重复使用，请重新发证"))
        return redirect(url_for(".application", app_id=app_id))
    flash(f"已发证，证件编号 {cert.number}", "success")
    return redirect(url_for(".detail", cert_id=cert.id))
