"""Documents: the 学法记录台账 download, a printable 签到表, the year-end 学法汇编."""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, send_file
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

import io

from intranet.access import READ_ROLES, in_scope, require_scope, roles_required, scoped_get
from intranet.extensions import db
from intranet.inputs import arg_int
from intranet.models import Department, Person

from .. import service
from ..export import ledger_rows, ledger_workbook
from ..figures import plan_counts
from ..models import HELD, PLAN_ACTIVE, PlanItem, StudySession
from . import LIST_ROLES, bp
from .sessions import filtered_sessions

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/export.xlsx")
@roles_required(*LIST_ROLES)
def export():
    stmt = filtered_sessions().order_by(StudySession.held_on, StudySession.id)
    return send_file(io.BytesIO(ledger_workbook(stmt)), mimetype=XLSX, as_attachment=True,
                     download_name=f"学法记录台账{date.today():%Y%m%d}.xlsx")


@bp.route("/sessions/<int:session_id>/sign-in")
@roles_required(*LIST_ROLES)
def sign_in(session_id):
    session = scoped_get(StudySession, session_id)
    people = list(db.session.scalars(select(Person).options(joinedload(Person.department))
                                     .where(service.attendee_filter(session), Person.status == "在岗")
                                     .order_by(Person.department_id, Person.name_key, Person.name, Person.id)))
    return render_template("law_study/sign_in.html", session=session, people=people)


@bp.route("/compilation")
@roles_required(*LIST_ROLES)
def compilation():
    department = db.session.get(Department, arg_int("department", 0))
    if department is None or not in_scope(department.id):
        abort(404)
    year = arg_int("year", date.today().year, maximum=9999)
    stmt = (select(StudySession).where(StudySession.year == year, StudySession.status == HELD,
                                       department.subtree_filter(StudySession.department_id))
            .order_by(StudySession.held_on, StudySession.id))
    rows = list(ledger_rows(stmt))
    planned, held = plan_counts(year, department.subtree_filter)
    items = list(db.session.scalars(select(PlanItem).options(joinedload(PlanItem.department)).where(
        PlanItem.year == year, PlanItem.status == PLAN_ACTIVE, department.subtree_filter(PlanItem.department_id))
        .order_by(PlanItem.department_id, PlanItem.month, PlanItem.id)))
    done = set(db.session.scalars(select(StudySession.plan_item_id).where(
        StudySession.plan_item_id.in_([i.id for i in items]), StudySession.status == HELD))) if items else set()
    return render_template("law_study/compilation.html", department=department, year=year, rows=rows,
                           planned=planned, held=held, items=items, done=done, today=date.today())


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/people/<int:person_id>/archive.docx")
@roles_required(*READ_ROLES)
def archive(person_id):
    """A person's 学法档案 as Word (for the 年度述职): the person themself, or who may see their unit."""
    from ..archive import archive_docx
    person = db.session.get(Person, person_id) or abort(404)
    if current_user.person_id != person.id:
        if current_user.role not in LIST_ROLES:
            abort(403)
        require_scope(person.department_id)
    year = arg_int("year", date.today().year, minimum=2000, maximum=date.today().year)
    return send_file(io.BytesIO(archive_docx(person, year)), mimetype=DOCX, as_attachment=True,
                     download_name=f"{person.name}{year}年度学法档案.docx")
