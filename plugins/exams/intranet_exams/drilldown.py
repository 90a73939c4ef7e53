"""Drill-down from the report's figures to the registrations, exams or units behind them."""
from __future__ import annotations

from flask import abort, request, url_for
from sqlalchemy import select

from intranet.access import roles_required
from intranet.models import Department, Person
from intranet.reports.drilldown import VIEW_ROLES, records_page, report_scope
from intranet.reports.formatting import short_label

from . import reports
from .models import KINDS, Exam, Registration
from .views import bp


@bp.route("/report/<figure>")
@roles_required(*VIEW_ROLES)
def report_records(figure):
    if figure not in reports.DRILLABLE:
        abort(404)
    year, department = report_scope()
    kind = request.args.get("kind") or None
    if kind is not None and (kind not in KINDS or figure == "open_exams"):
        abort(404)
    label = reports.LABELS[figure] + (f"，{kind}" if kind else "")
    title = f"{short_label(label)}明细"
    if figure in ("exams_held", "open_exams"):
        cond = reports.year_exams(year, kind=kind) if figure == "exams_held" else reports.open_year_exams(year)
        stmt = (select(Exam).where(Exam.id.in_(reports.exams_stmt(cond, department)))
                .order_by(Exam.exam_date, Exam.id))
        return records_page(title=title, stmt=stmt, columns=["考试", "类型", "时间"], year=year,
                            department=department, note=label,
                            row=lambda e: [(e.title,
                                            url_for("exams.detail", exam_id=e.id)), e.kind, e.when])
    if figure == "units_participating":
        stmt = (select(Department).where(Department.id.in_(reports.participating_units(year, department, kind)))
                .order_by(Department.path))
        return records_page(title=title, stmt=stmt, columns=["单位", "类型"], year=year, department=department,
                            note=label, row=lambda d: [d.name, d.kind])
    stmt = (select(Registration, Person.name, Exam.name, Department.name)
            .join(Person, Person.id == Registration.person_id).join(Exam, Exam.id == Registration.exam_id)
            .join(Department, Department.id == Registration.department_id)
            .where(Registration.id.in_(reports.flagged_registrations(figure, year, department, kind)))
            .order_by(Exam.id, Department.path, Person.name_key, Person.name, Registration.id))
    return records_page(title=title, stmt=stmt, columns=["姓名", "单位", "考试", "报名状态"], year=year,
                        department=department, note=label, scalars=False,
                        row=lambda r: [r[1], r[3], (r[2], url_for("exams.detail", exam_id=r[0].exam_id)),
                                       r[0].status])
