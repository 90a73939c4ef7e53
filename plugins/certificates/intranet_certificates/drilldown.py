"""Drill-down from the report's figures to the records behind them (the same statements as the figures)."""
from __future__ import annotations

from flask import abort, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.access import roles_required
from intranet.models import Department, Person
from intranet.models.org import DEPARTMENT_KINDS
from intranet.reports.drilldown import VIEW_ROLES, records_page, report_scope

from . import reports
from .models import Certificate, CleanupCandidate
from .views import bp

PEOPLE = ("holders_active", "enforcement_staff", "enforcement_staff_certified")


def card_ids(figure: str, year: int, department):
    if figure == "issued":
        return reports.issued_ids(year, department)
    if figure in reports.EVENT_FIGURES:
        return reports.event_card_ids(figure, year, department)
    return None


def person_ids(figure: str, year: int, department, level: str | None = None):
    if figure == "holders_active":
        return reports.holder_ids(year, department, level)
    if figure == "enforcement_staff":
        return reports.enforcement_staff(department)
    if figure == "enforcement_staff_certified":
        return reports.certified_staff_ids(year, department)
    return None


def _department(person_or_card) -> str:
    return person_or_card.department.name if person_or_card.department else ""


@bp.route("/report/<figure>")
@roles_required(*VIEW_ROLES)
def report_records(figure):
    if figure not in reports.DRILLABLE:
        abort(404)
    year, department = report_scope()
    title = f"{reports.LABELS[figure].split('（')[0]}明细"
    level = request.args.get("level") or None
    if level is not None and (figure != "holders_active" or level not in DEPARTMENT_KINDS):
        abort(404)
    if figure in PEOPLE:
        stmt = (select(Person).where(Person.id.in_(person_ids(figure, year, department, level)))
                .options(joinedload(Person.department)).order_by(Person.department_id, Person.name_key, Person.name))
        return records_page(title=title, stmt=stmt, columns=["姓名", "单位", "编制", "状态"], year=year,
                            department=department, note=f"{reports.LABELS[figure]}{'，' + level if level else ''}",
                            row=lambda p: [p.name, _department(p), p.staffing, p.status])
    if figure == "cleanup_candidates":
        stmt = (select(CleanupCandidate, Department.name).join(Department, Department.id == CleanupCandidate.department_id)
                .where(CleanupCandidate.id.in_(reports.candidate_ids(year, department)))
                .order_by(CleanupCandidate.campaign_id, CleanupCandidate.id))
        return records_page(title=title, stmt=stmt, columns=["清理活动", "单位", "核查类别", "处理"], year=year,
                            department=department, scalars=False,
                            row=lambda r: [(f"第{r[0].campaign_id}次清理",
                                            url_for("certificates.campaign", campaign_id=r[0].campaign_id)),
                                           r[1], r[0].groups or r[0].group, r[0].decision or "待处理"])
    stmt = (select(Certificate).where(Certificate.id.in_(card_ids(figure, year, department)))
            .options(joinedload(Certificate.person), joinedload(Certificate.department))
            .order_by(Certificate.issued_on, Certificate.id))
    return records_page(title=title, stmt=stmt, columns=["证号", "持证人", "单位", "发证日期", "状态"], year=year,
                        department=department,
                        row=lambda c: [(c.number, url_for("certificates.detail", cert_id=c.id)),
                                       c.person.name if c.person else "", _department(c), c.issued_on, c.status])
