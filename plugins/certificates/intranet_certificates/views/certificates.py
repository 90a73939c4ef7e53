"""Cards: list, detail, lifecycle actions, photo, printable card, reviews due, the roster (登记造册)."""
from __future__ import annotations

import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from intranet import audit
from intranet.access import (BUREAU_ROLES, MANAGE_ROLES, apply_scope, roles_required, scope_root, scoped,
                             scoped_get, statement_scope)
from intranet.extensions import db
from intranet.locking import StateChanged
from intranet.models import Department, Person
from intranet.pagination import group_counts, paginate, paginate_grouped

from .. import lifecycle, pdf, photos, settings, states
from ..dates import add_months
from ..forms import ActionForm, EnforcementForm, PhotoForm, RenewForm, RosterSearchForm, SearchForm
from ..models import Certificate, CertificateEvent
from ..photos import PhotoError
from ..states import TransitionError, VALID
from . import bp
from .helpers import category_choices, flash_errors, refuse

READ = ("admin", "bureau", "dept_admin", "inspector")


def certificate_query():
    return (select(Certificate).join(Person, Person.id == Certificate.person_id)
            .options(joinedload(Certificate.person), joinedload(Certificate.department)))


@bp.route("/")
@roles_required(*READ)
def index():
    form = SearchForm(request.args)
    form.category.choices = category_choices("全部类别")
    stmt = certificate_query().order_by(Certificate.id.desc())
    if form.validate():
        if form.q.data:
            q = form.q.data.strip()
            stmt = stmt.where(or_(Certificate.number.startswith(q, autoescape=True),
                                  Person.name.contains(q, autoescape=True)))
        if form.status.data:
            stmt = stmt.where(Certificate.status == form.status.data)
        if form.category.data:
            stmt = stmt.where(Certificate.category == form.category.data)
    page = paginate(apply_scope(stmt, Certificate.department_id))
    return render_template("certificates/index.html", page=page, form=form)


@bp.route("/<int:cert_id>")
@roles_required(*READ)
def detail(cert_id):
    cert = scoped_get(Certificate, cert_id)
    events = db.session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == cert.id)
                                .order_by(CertificateEvent.happened_on, CertificateEvent.id).limit(200)).all()
    successors = db.session.scalars(select(Certificate).where(Certificate.replaces_id == cert.id)).all()
    actions = states.actions_from(cert.status) if current_user.role in BUREAU_ROLES else []
    return render_template("certificates/detail.html", cert=cert, events=events, successors=successors,
                           actions=actions, labels={a: states.label(a) for a in states.TRANSITIONS},
                           photo_form=PhotoForm(), enforcement_form=EnforcementForm(
                               last_enforcement_on=cert.last_enforcement_on),
                           label=states.label)


@bp.route("/<int:cert_id>/action/<action>", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def action(cert_id, action):
    if action not in lifecycle.ACTIONS:
        abort(404)
    cert = scoped_get(Certificate, cert_id, write=True)
    form = RenewForm() if action == "renew" else ActionForm()
    if request.method == "GET" and action == "renew":
        form.valid_until.data = lifecycle.default_valid_until(max(date.today(), cert.valid_until))
    if request.method == "GET" and action == "review":
        form.reason.data = "年审合格"
    if form.validate_on_submit():
        kwargs = {"reason": form.reason.data, "on": form.happened_on.data, "actor": current_user}
        if action == "renew":
            kwargs["valid_until"] = form.valid_until.data
        try:
            result = lifecycle.ACTIONS[action](cert, **kwargs)
        except (lifecycle.CertificateError, TransitionError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            target = result if isinstance(result, Certificate) else cert
            if target.id != cert.id:
                flash(f"已{states.label(action)}，新证件编号 {target.number}", "success")
            else:
                flash(f"已{states.label(action)}：证件 {cert.number} 当前状态为“{cert.status}”", "success")
            return redirect(url_for(".detail", cert_id=target.id))
    else:
        flash_errors(form)
    allowed = states.allowed(action, cert.status)
    return render_template("certificates/action.html", cert=cert, form=form, action=action,
                           action_label=states.label(action), allowed=allowed,
                           sources=states.TRANSITIONS[action][1],
                           renew_new_number=settings.get("renew_new_number"))


@bp.route("/<int:cert_id>/photo", methods=["GET"])
@roles_required(*READ)
def photo(cert_id):
    cert = scoped_get(Certificate, cert_id)
    path = photos.photo_path(cert.photo_file)
    if path is None:
        abort(404, "该证件没有照片")
    return send_file(path, mimetype=photos.mimetype(cert.photo_file), max_age=0)


@bp.route("/<int:cert_id>/photo", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def upload_photo(cert_id):
    cert = scoped_get(Certificate, cert_id, write=True)
    form = PhotoForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".detail", cert_id=cert.id))
    try:
        name, original = photos.save_photo(form.photo.data)
    except PhotoError as exc:
        refuse(exc)
        return redirect(url_for(".detail", cert_id=cert.id))
    before = {"photo": cert.photo_name}
    cert.photo_file, cert.photo_name = name, original
    audit.record("certificates.photo", "certificate", cert.id, summary=f"更新证件 {cert.number} 的照片",
                 before=before, after={"photo": original}, department_id=cert.department_id)
    db.session.commit()
    flash("照片已更新", "success")
    return redirect(url_for(".detail", cert_id=cert.id))


@bp.route("/<int:cert_id>/enforcement", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def enforcement(cert_id):
    cert = scoped_get(Certificate, cert_id, write=True)
    form = EnforcementForm()
    if not form.validate_on_submit():
        flash_errors(form)
    elif form.last_enforcement_on.data > date.today():
        flash("最近执法日期不能晚于今天", "error")
    else:
        before = {"last_enforcement_on": cert.last_enforcement_on.isoformat() if cert.last_enforcement_on else None}
        cert.last_enforcement_on = form.last_enforcement_on.data
        audit.record("certificates.enforcement", "certificate", cert.id, before=before,
                     after={"last_enforcement_on": cert.last_enforcement_on.isoformat()},
                     summary=f"登记证件 {cert.number} 的最近执法日期", department_id=cert.department_id)
        db.session.commit()
        flash("最近执法日期已登记", "success")
    return redirect(url_for(".detail", cert_id=cert.id))


def _print_refusal(cert: Certificate) -> str | None:
    """A card that is not valid is never printed as if it were."""
    status = cert.effective_status
    if status == VALID:
        return None
    return (f"证件 {cert.number} 当前状态为“{status}”，不能打印。只有有效的证件可以打印；"
            f"公众扫码查验将显示“{status}”。")


@bp.route("/<int:cert_id>/card")
@roles_required(*READ)
def card(cert_id):
    cert = scoped_get(Certificate, cert_id)
    refusal = _print_refusal(cert)
    url = pdf.verification_url(cert.number)
    return render_template("certificates/card.html", cert=cert, url=url, qr=pdf.qr_data_uri(url) if not refusal else None,
                           refusal=refusal, address_warning=pdf.address_warning(url)), 409 if refusal else 200


@bp.route("/<int:cert_id>/card.pdf")
@roles_required(*READ)
def card_pdf(cert_id):
    cert = scoped_get(Certificate, cert_id)
    refusal = _print_refusal(cert)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for(".card", cert_id=cert.id))
    # Printed with a QR the public cannot open only after the print page has said so.
    if pdf.address_warning(pdf.verification_url(cert.number)) and request.args.get("acknowledged") != "1":
        return redirect(url_for(".card", cert_id=cert.id))
    body = pdf.to_pdf(pdf.card_html(cert))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=certificate-{cert.number}.pdf"})


@bp.route("/reviews")
@roles_required(*READ)
def reviews():
    """Cards due for 年审 within the warning period, and those overdue."""
    overdue = request.args.get("overdue") == "1"
    today = date.today()
    horizon = add_months(today, int(settings.get("review_warn_months")))
    stmt = certificate_query().where(Certificate.status == VALID, Certificate.next_review_due.is_not(None))
    if overdue:
        stmt = stmt.where(Certificate.next_review_due < today)
    else:
        stmt = stmt.where(Certificate.next_review_due.between(today, horizon))
    stmt = stmt.order_by(Certificate.next_review_due, Certificate.id)
    page = paginate(apply_scope(stmt, Certificate.department_id))
    return render_template("certificates/reviews.html", page=page, overdue=overdue, today=today, horizon=horizon)


def roster_cards():
    """The cards on the roster: valid, and not run out."""
    return _roster_cards(date.today())


# Built once a day. The date is written into the statements rather than bound: the pager's
# counts (counts.remember) are keyed by the statement's values, and it runs them as they are.
@lru_cache(maxsize=2)
def _roster_cards(today: date):
    return select(Certificate).where(Certificate.status == VALID, Certificate.valid_until >= today)


@lru_cache(maxsize=2)
def _roster_rows(today: date):
    return (_roster_cards(today).with_only_columns(Certificate.number, Person.name,
                                                   Department.name.label("department"), Certificate.category,
                                                   Certificate.region, Certificate.valid_until, Department.path)
            .join(Person, Person.id == Certificate.person_id)
            .join(Department, Department.id == Certificate.department_id)
            .order_by(Department.path, Person.name_key, Person.name, Certificate.number))


def roster_query(q: str | None = None):
    """Valid cards with their holders and units, ordered by unit (the published 登记造册)."""
    stmt = _roster_rows(date.today())
    if q:
        q = q.strip()
        stmt = stmt.where(or_(Person.name.contains(q, autoescape=True), Department.name.contains(q, autoescape=True),
                              Certificate.number.startswith(q, autoescape=True)))
    return stmt


@lru_cache(maxsize=256)
def _scoped_roster(today: date, scope):
    return (scoped(_roster_cards(today), Certificate.department_id, scope),
            scoped(_roster_rows(today), Certificate.department_id, scope))


def roster_page(q: str | None = None, user=None):
    """A page of the roster; with ``user``, of their units only (else the whole published roster).
    Without a search the per-unit counts read the roster index alone (no holders or units joined)."""
    if user is None:
        cards, rows = roster_cards(), roster_query(q)
    elif q:
        cards, rows = None, apply_scope(roster_query(q), Certificate.department_id, user)
    else:   # the same statements on every view: their counts are found kept without building any
        cards, rows = _scoped_roster(date.today(), statement_scope(user))
    counts = None if q else group_counts(cards, Certificate.department_id)
    return paginate_grouped(rows, Certificate.department_id, [Department.path], counts=counts, scalars=False)


@bp.route("/roster")
@roles_required(*READ)
def roster():
    form = RosterSearchForm(request.args)
    q = form.q.data if form.validate() else None
    page = roster_page(q, current_user)
    return render_template("certificates/roster_admin.html", page=page, form=form)


@bp.route("/roster.xlsx")
@roles_required(*READ)
def roster_download():
    from ..exports import write_roster
    root = scope_root()
    if root is None and not current_user.sees_everything:
        abort(403)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        write_roster(path, root)
        data = path.read_bytes()
    name = f"行政执法人员登记造册-{date.today():%Y%m%d}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=roster.xlsx; filename*=UTF-8''{quote(name)}"})

