"""My study (学法档案 of the logged-in civil servant, self-study claims) and the approvals list."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.access import MANAGE_ROLES, READ_ROLES, apply_scope, roles_required, scoped_get
from intranet.extensions import db
from intranet.inputs import arg_int
from intranet.locking import StateChanged
from intranet.pagination import paginate

from .. import evidence as files
from .. import service, settings
from .. import exam_credits
from ..figures import person_summary
from ..forms import ActionForm, ClaimForm, ReturnForm
from ..models import EVIDENCE_ACTIVE, REPORTED, Evidence, HoursEntry
from ..service import StudyError
from . import bp, flash_form


@bp.route("/mine", methods=["GET", "POST"])
@roles_required(*READ_ROLES)
def mine():
    person = current_user.person
    form = ClaimForm()
    if person is None:
        if request.method == "POST":
            abort(403)
        return render_template("law_study/mine.html", person=None, form=form)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                entry, flagged = service.log_claim(person, source=form.source.data, day=form.day.data,
                                                   law=form.law.data or "", hours=float(form.hours.data),
                                                   evidence=form.evidence.data or "", user=current_user)
                if form.file.data and form.file.data.filename:
                    files.save(form.file.data, kind="培训证书" if entry.source == "外部培训" else "学习笔记",
                               department_id=entry.department_id, user=current_user, entry=entry)
            except (StudyError, StateChanged) as exc:
                db.session.rollback()
                flash(str(exc) if isinstance(exc, StudyError) else exc.message, "error")
            else:
                db.session.commit()
                flash("已登记，等待本单位管理员审核", "success")
                if flagged:
                    flash(f"{settings.normalise_law(form.law.data)}不在法律目录中，已标记待核", "warning")
                return redirect(url_for(".mine"))
        else:
            flash_form(form)
    year = arg_int("year", date.today().year, maximum=9999)
    exam_credits.sync_and_commit(year, person)
    summary = person_summary(person, year)
    stmt = (select(HoursEntry).where(HoursEntry.person_id == person.id)
            .order_by(HoursEntry.day.desc(), HoursEntry.id.desc()))
    page = paginate(stmt)
    return render_template("law_study/mine.html", person=person, form=form, summary=summary, page=page,
                           year=year, laws=settings.get("laws"), evidence=evidence_of([e.id for e in page.items]))


@bp.route("/approvals")
@roles_required(*MANAGE_ROLES)
def approvals():
    stmt = (select(HoursEntry).options(joinedload(HoursEntry.person))
            .where(HoursEntry.state == REPORTED).order_by(HoursEntry.created_at, HoursEntry.id))
    page = paginate(apply_scope(stmt, HoursEntry.department_id))
    return render_template("law_study/approvals.html", page=page, form=ActionForm(), return_form=ReturnForm(),
                           known=settings.known_laws(), evidence=evidence_of([e.id for e in page.items]))


def evidence_of(entry_ids) -> dict[int, list[Evidence]]:
    out: dict[int, list[Evidence]] = {}
    if entry_ids:
        for e in db.session.scalars(select(Evidence).where(Evidence.entry_id.in_(entry_ids),
                                                           Evidence.status == EVIDENCE_ACTIVE).order_by(Evidence.id)):
            out.setdefault(e.entry_id, []).append(e)
    return out


def _review(entry, run, done_message):
    try:
        run(entry)
    except StudyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for(".approvals", page=request.args.get("page", 1)))


@bp.route("/entries/<int:entry_id>/approve", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def approve(entry_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    entry = scoped_get(HoursEntry, entry_id, write=True)
    return _review(entry, lambda e: service.approve(e, current_user), "已审核通过")


@bp.route("/entries/<int:entry_id>/return", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def return_entry(entry_id):
    entry = scoped_get(HoursEntry, entry_id, write=True)   # before the form: another unit's entry is 403, not a form error
    form = ReturnForm()
    if not form.validate_on_submit():
        flash_form(form)
        return redirect(url_for(".approvals"))
    return _review(entry, lambda e: service.return_entry(e, form.reason.data, current_user), "已退回")
