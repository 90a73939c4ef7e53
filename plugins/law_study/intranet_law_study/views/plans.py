"""The 年度学法计划: items per department and year, planned vs held, late plans."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from intranet.access import (MANAGE_ROLES, apply_scope, departments_in_scope, require_scope, roles_required,
                             scope_filter, scoped_get)
from intranet.extensions import db
from intranet.inputs import arg_int
from intranet.locking import StateChanged
from intranet.models import Department
from intranet.pagination import paginate

from .. import service, settings
from ..figures import plan_counts
from ..forms import ActionForm, PlanItemForm
from ..models import HELD, PLAN_ACTIVE, PlanItem, StudySession
from ..service import StudyError
from . import LIST_ROLES, bp, flash_form


def due_date(year: int) -> date:
    month = int(settings.get("plan_due_month"))
    return date(year + (month == 12), month % 12 + 1, 1)   # the day after the last day of the due month


def late_departments(year: int, today: date | None = None) -> list[tuple[Department, str]]:
    """Departments in the user's scope whose plan is missing after the due date, or came late."""
    today = today or date.today()
    due = due_date(year)
    if today < due:
        return []
    first = dict(db.session.execute(apply_scope(
        select(PlanItem.department_id, func.min(PlanItem.created_at)).where(PlanItem.year == year,
                                                                            PlanItem.status == PLAN_ACTIVE)
        .group_by(PlanItem.department_id), PlanItem.department_id)).all())
    out = []
    for d in departments_in_scope():
        made = first.get(d.id)
        if made is None:
            out.append((d, "未制定"))
        elif made >= datetime.combine(due, datetime.min.time()):
            out.append((d, f"逾期制定（{made:%Y-%m-%d}）"))
    return out


def _form(year: int) -> PlanItemForm:
    form = PlanItemForm(year=year, month=date.today().month)
    form.department_id.choices = [(d.id, d.tree_label) for d in departments_in_scope()]
    return form


@bp.route("/plans")
@roles_required(*LIST_ROLES)
def plans():
    year = arg_int("year", date.today().year, maximum=9999)
    held = (select(func.count()).select_from(StudySession)
            .where(StudySession.plan_item_id == PlanItem.id, StudySession.status == HELD)
            .correlate(PlanItem).scalar_subquery())
    stmt = (select(PlanItem, held.label("held")).options(joinedload(PlanItem.department))
            .where(PlanItem.year == year).order_by(PlanItem.department_id, PlanItem.month, PlanItem.id))
    page = paginate(apply_scope(stmt, PlanItem.department_id), scalars=False)
    counts = plan_counts(year, lambda column: scope_filter(column), by_department=True)
    names = {d.id: d for d in departments_in_scope()}
    summary = sorted(((names[did], planned, done) for did, (planned, done) in counts.items() if did in names),
                     key=lambda r: r[0].path)
    return render_template("law_study/plans.html", year=year, form=_form(year), page=page, summary=summary,
                           late=late_departments(year), due=due_date(year), action=ActionForm(),
                           can_write=current_user.can_write)


@bp.route("/plans/new", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def add_plan():
    form = _form(date.today().year)
    if not form.validate_on_submit():
        flash_form(form)
        return redirect(url_for(".plans"))
    require_scope(form.department_id.data, write=True)
    try:
        service.add_plan_item(department_id=form.department_id.data, year=form.year.data, month=form.month.data,
                              topic=form.topic.data, laws=form.laws.data or "", kind=form.kind.data, user=current_user)
    except StudyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("计划事项已添加", "success")
    return redirect(url_for(".plans", year=form.year.data))


@bp.route("/plans/<int:item_id>/withdraw", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def withdraw_plan(item_id):
    item = scoped_get(PlanItem, item_id, write=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.withdraw_plan_item(item, current_user)
    except (StudyError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, StudyError) else exc.message, "error")
    else:
        db.session.commit()
        flash("计划事项已撤销", "success")
    return redirect(url_for(".plans", year=item.year))
