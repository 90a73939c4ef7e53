"""Drill-down from the report's figures to the sessions, attendances, people, laws, plan items or
departments behind them (the statements of figures.py, so the totals equal the figures)."""
from __future__ import annotations

from flask import abort, url_for
from sqlalchemy import distinct, func, select

from intranet.access import roles_required
from intranet.models import Department, Person
from intranet.reports.drilldown import VIEW_ROLES, records_page, report_scope
from intranet.reports.formatting import short_label

from . import figures, reports
from .models import Attendance, PlanItem, SessionLaw, StudySession
from .views import bp


def _sessions(title, label, year, department, ids):
    stmt = (select(StudySession, Department.name).join(Department, Department.id == StudySession.department_id)
            .where(StudySession.id.in_(ids)).order_by(StudySession.held_on, StudySession.id))
    return records_page(title=title, stmt=stmt, columns=["日期", "单位", "形式", "主题"], year=year,
                        department=department, note=label, scalars=False,
                        row=lambda r: [r[0].held_on, r[1], r[0].kind,
                                       (r[0].topic, url_for("law_study.detail", session_id=r[0].id))])


def _people(title, label, year, department, ids):
    stmt = (select(Person, Department.name).join(Department, Department.id == Person.department_id)
            .where(Person.id.in_(ids)).order_by(Department.path, Person.name_key, Person.name, Person.id))
    return records_page(title=title, stmt=stmt, columns=["姓名", "单位", "职务"], year=year, department=department,
                        note=label, scalars=False, row=lambda r: [r[0].name, r[1], r[0].title])


@bp.route("/report/<figure>")
@roles_required(*VIEW_ROLES)
def report_records(figure):
    if figure not in reports.DRILLABLE:
        abort(404)
    year, department = report_scope()
    label = reports.LABELS[figure]
    title = f"{short_label(label)}明细"
    if figure in figures.SESSION_KINDS:
        return _sessions(title, label, year, department, figures.session_ids(figure, year, department))
    if figure == "participants":
        return _people(title, label, year, department, figures.participant_ids(year, department))
    if figure == "staff_meeting_target":
        return _people(title, label, year, department, figures.meeting_target_ids(year, department))
    if figure == "attendances":
        stmt = (select(Attendance, Person.name, StudySession).join(Person, Person.id == Attendance.person_id)
                .join(StudySession, StudySession.id == Attendance.session_id)
                .where(Attendance.id.in_(figures.attendance_ids(year, department)))
                .order_by(StudySession.held_on, StudySession.id, Person.name_key, Person.name, Attendance.id))
        return records_page(title=title, stmt=stmt, columns=["日期", "学法活动", "姓名"], year=year,
                            department=department, note=label, scalars=False,
                            row=lambda r: [r[2].held_on, (r[2].topic, url_for("law_study.detail", session_id=r[2].id)),
                                           r[1]])
    if figure == "laws_studied_count":
        names = figures.law_names(year, department).subquery()
        counts = (select(SessionLaw.name, func.count(distinct(StudySession.id)))
                  .join(StudySession, StudySession.id == SessionLaw.session_id)
                  .where(SessionLaw.name.in_(select(names.c.name)), figures._held(year, department.subtree_filter))
                  .group_by(SessionLaw.name).order_by(func.count().desc(), SessionLaw.name))
        return records_page(title=title, stmt=counts, columns=["法律法规", "学习次数"], year=year,
                            department=department, note=label, scalars=False, row=lambda r: [r[0], r[1]])
    if figure in ("plan_items", "plan_items_held"):
        stmt = (select(PlanItem, Department.name).join(Department, Department.id == PlanItem.department_id)
                .where(PlanItem.id.in_(figures.plan_item_ids(year, department, figure == "plan_items_held")))
                .order_by(PlanItem.month, Department.path, PlanItem.id))
        return records_page(title=title, stmt=stmt, columns=["月份", "单位", "形式", "主题"], year=year,
                            department=department, note=label, scalars=False,
                            row=lambda r: [f"{r[0].month}月", r[1], r[0].kind, r[0].topic])
    ids = figures.departments_meeting_session_target(year, department)
    stmt = select(Department).where(Department.id.in_(ids or [-1])).order_by(Department.path)
    return records_page(title=title, stmt=stmt, columns=["单位", "类型"], year=year, department=department,
                        note=label, row=lambda d: [d.name, d.kind])

