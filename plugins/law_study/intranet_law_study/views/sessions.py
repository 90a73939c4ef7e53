"""Sessions: the list by department and month, the form, one session, its attendance."""
from __future__ import annotations

import re
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet.access import (BUREAU_ROLES, MANAGE_ROLES, apply_scope, department_filter, departments_in_scope, in_scope,
                             require_scope, roles_required, scoped_get)
from intranet.extensions import db
from intranet.inputs import EARLIEST_DATE, arg_int, bounded_int, latest_date
from intranet.locking import StateChanged
from intranet.models import Person
from intranet.pagination import paginate

from .. import service, settings
from ..forms import ActionForm, EvidenceForm, SessionForm
from ..models import (ATTENDANCE_STATUSES, EVIDENCE_ACTIVE, HELD, PLANNED, KINDS, PLAN_ACTIVE, PRESENT, SESSION_STATUSES, Attendance, Evidence,
                      PlanItem, StudySession)
from ..service import SessionValues, StudyError
from . import LIST_ROLES, bp, flash_form

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _month_range(text: str):
    match = MONTH.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not EARLIEST_DATE.year <= year <= latest_date().year:
        return None
    end = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, 1), end


def filtered_sessions(columns=()):
    """The sessions in the user's scope selected by the list's filters (department, month, kind, status)."""
    args = request.args
    stmt = apply_scope(select(StudySession, *columns), StudySession.department_id)
    stmt, _ = department_filter(stmt, args.get("department"), StudySession.department_id)
    span = _month_range(args.get("month", "").strip())
    if span:
        stmt = stmt.where(StudySession.held_on >= span[0], StudySession.held_on < span[1])
    if args.get("kind") in KINDS:
        stmt = stmt.where(StudySession.kind == args["kind"])
    if args.get("status") in SESSION_STATUSES:
        stmt = stmt.where(StudySession.status == args["status"])
    return stmt


@bp.route("/")
@roles_required(*LIST_ROLES)
def index():
    args = request.args
    present = (select(func.count()).select_from(Attendance)
               .where(Attendance.session_id == StudySession.id, Attendance.status == PRESENT)
               .correlate(StudySession).scalar_subquery())
    stmt = (filtered_sessions([present.label("present")])
            .options(joinedload(StudySession.department), selectinload(StudySession.laws))
            .order_by(StudySession.held_on.desc(), StudySession.id.desc()))
    month = args.get("month", "").strip()
    if month and _month_range(month) is None:
        flash("月份格式应为 2025-03", "error")
    page = paginate(stmt, scalars=False)
    return render_template("law_study/sessions.html", page=page, departments=departments_in_scope(),
                           kinds=KINDS, statuses=SESSION_STATUSES, filters=args, month=month,
                           can_write=current_user.can_write, known=settings.known_laws())


def _values(form: SessionForm) -> SessionValues:
    laws = list(dict.fromkeys([settings.normalise_law(n) for n in form.laws.data or []]
                              + settings.split_laws(form.other_laws.data)))
    return SessionValues(department_id=form.department_id.data, kind=form.kind.data, held_on=form.held_on.data,
                         start_time=form.start_time.data, duration_minutes=form.duration_minutes.data,
                         topic=form.topic.data or "", laws=[n for n in laws if n], speaker=form.speaker.data or "",
                         speaker_type=form.speaker_type.data or "", notes=form.notes.data or "",
                         status=form.status.data, plan_item_id=form.plan_item_id.data or None,
                         speaker_minutes=form.speaker_minutes.data)


def _plan_items():
    """Active plan items of the user's departments, this year and the years either side."""
    this = date.today().year
    stmt = (select(PlanItem).options(joinedload(PlanItem.department))
            .where(PlanItem.status == PLAN_ACTIVE, PlanItem.year.between(this - 1, this + 1))
            .order_by(PlanItem.year.desc(), PlanItem.department_id, PlanItem.month, PlanItem.id).limit(500))
    return list(db.session.scalars(apply_scope(stmt, PlanItem.department_id)))


def _save(form: SessionForm, session: StudySession | None):
    if not form.validate_on_submit():
        flash_form(form)
        return None
    require_scope(form.department_id.data, write=True)
    values = _values(form)
    try:
        saved = service.save_session(session, values, current_user)
    except (StudyError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, StudyError) else exc.message, "error")
        return None
    db.session.commit()
    flagged = service.unlisted(values.laws)
    flash("学法活动已保存", "success")
    if service.speaker_warning(values.speaker_minutes):
        flash(service.speaker_warning(values.speaker_minutes), "warning")
    if service.needs_approval(saved.kind) and saved.status == PLANNED and not saved.approval:
        flash("已开启会前学法选题报审：请在活动前报送选题，经司法局审核、领导批准后方可举行", "warning")
    if flagged:
        flash(f"以下法律不在法律目录中，已标记待核：{''.join(flagged)}", "warning")
    return redirect(url_for(".detail", session_id=saved.id))


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def new():
    form = SessionForm(plan_item_id=arg_int("plan_item", 0))
    form.fill_choices(departments_in_scope(), _plan_items())
    if request.method == "POST":
        done = _save(form, None)
        if done is not None:
            return done
    return render_template("law_study/session_form.html", form=form, session=None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit(session_id):
    session = scoped_get(StudySession, session_id, write=True)
    if request.method == "GET":
        listed = settings.known_laws()
        names = [law.name for law in session.laws]
        form = SessionForm(obj=session, laws=[n for n in names if n in listed],
                           other_laws="、".join(n for n in names if n not in listed))
    else:
        form = SessionForm()
    form.fill_choices(departments_in_scope(), _plan_items())
    if request.method == "POST":
        done = _save(form, session)
        if done is not None:
            return done
    return render_template("law_study/session_form.html", form=form, session=session)


@bp.route("/sessions/<int:session_id>")
@roles_required(*LIST_ROLES)
def detail(session_id):
    session = scoped_get(StudySession, session_id)
    counts = dict(db.session.execute(select(Attendance.status, func.count()).where(Attendance.session_id == session.id)
                                     .group_by(Attendance.status)).all())
    rows = list(db.session.scalars(select(Attendance).options(joinedload(Attendance.person))
                                   .where(Attendance.session_id == session.id)
                                   .order_by(Attendance.status, Attendance.id).limit(500)))
    evidence = list(db.session.scalars(select(Evidence).where(Evidence.session_id == session.id,
                                                              Evidence.status == EVIDENCE_ACTIVE).order_by(Evidence.id)))
    return render_template("law_study/session.html", session=session, counts=counts, rows=rows, evidence=evidence,
                           upload_form=EvidenceForm(),
                           statuses=ATTENDANCE_STATUSES, form=ActionForm(), known=settings.known_laws(),
                           can_write=current_user.can_write and in_scope(session.department_id),
                           flow=service.needs_approval(session.kind))


def _action(session_id, run, done_message):
    session = scoped_get(StudySession, session_id, write=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        run(session)
    except StudyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for(".detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/held", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def mark_held(session_id):
    return _action(session_id, lambda s: service.mark_held(s, current_user), "已登记为已举行，请登记出勤")


@bp.route("/sessions/<int:session_id>/submit", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def submit_topic(session_id):
    return _action(session_id, lambda s: service.submit_topic(s, current_user), "选题已报送司法局审核")


@bp.route("/sessions/<int:session_id>/review", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def review_topic(session_id):
    agree = request.form.get("decision") == "agree"
    return _action(session_id, lambda s: service.review_topic(s, current_user, agree, request.form.get("note", "")),
                   "选题已审核通过，待领导批准" if agree else "选题已退回")


@bp.route("/sessions/<int:session_id>/approve", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def approve_topic(session_id):
    return _action(session_id, lambda s: service.approve_topic(s, current_user), "已登记领导批准")


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def cancel(session_id):
    return _action(session_id, lambda s: service.cancel_session(s, current_user), "学法活动已撤销")


def _people_stmt(session: StudySession):
    """The people who may attend (in post) and anyone already recorded, by department and name."""
    recorded = select(Attendance.person_id).where(Attendance.session_id == session.id)
    return (select(Person).options(joinedload(Person.department))
            .where(service.attendee_filter(session), (Person.status == "在岗") | Person.id.in_(recorded))
            .order_by(Person.department_id, Person.name_key, Person.name, Person.id))


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def attendance(session_id):
    session = scoped_get(StudySession, session_id, write=True)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        marks = {}
        for key, status in request.form.items():
            if key.startswith("status-") and key[7:].isdigit():
                marks[bounded_int(key[7:])] = (status, request.form.get(f"reason-{key[7:]}", ""))
        try:
            changed = service.record_attendance(session, marks, current_user)
        except (StudyError, StateChanged) as exc:
            db.session.rollback()
            flash(str(exc) if isinstance(exc, StudyError) else exc.message, "error")
        else:
            db.session.commit()
            flash(f"已保存出勤情况（变更 {changed} 人）", "success")
            return redirect(url_for(".attendance", session_id=session.id, page=request.args.get("page", 1)))
    page = paginate(_people_stmt(session), per_page=100)
    ids = [p.id for p in page.items]
    marks = {a.person_id: a for a in db.session.scalars(select(Attendance).where(
        Attendance.session_id == session.id, Attendance.person_id.in_(ids)))} if ids else {}
    return render_template("law_study/attendance.html", session=session, page=page, marks=marks, form=form,
                           statuses=ATTENDANCE_STATUSES, held=session.status == HELD)
