"""Drill-down from the report's figures to the contracts, advisers, units or services behind them
(the statements of reports.py, so each list's total equals its figure)."""
from __future__ import annotations

from flask import abort, url_for
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload, selectinload

from intranet.access import roles_required
from intranet.models import Department
from intranet.reports.drilldown import VIEW_ROLES, records_page, report_scope
from intranet.reports.formatting import short_label

from . import coverage, reports
from .models import Adviser, Contract, Service
from .views import bp

CONTRACT_FIGURES = {"contracts_active": reports.active_contract_ids, "contracts_signed": reports.signed_contract_ids}


def _contracts(title, label, year, department, ids):
    stmt = (select(Contract).where(Contract.id.in_(ids)).options(joinedload(Contract.department),
                                                                  selectinload(Contract.advisers))
            .order_by(Contract.start_on, Contract.id))
    return records_page(title=title, stmt=stmt, columns=["合同编号", "委托单位", "顾问", "形式", "期限", "状态"],
                        year=year, department=department, note=label,
                        row=lambda c: [(c.number, url_for("legal_advisers.contract", contract_id=c.id)),
                                       c.department.name, c.adviser_names, c.form, f"{c.start_on} 至 {c.end_on}",
                                       c.status])


def _advisers(title, label, year, department, ids):
    stmt = (select(Adviser).where(Adviser.id.in_(ids)).options(joinedload(Adviser.firm), joinedload(Adviser.department))
            .order_by(Adviser.kind, Adviser.name, Adviser.id))
    return records_page(title=title, stmt=stmt, columns=["顾问", "类型", "专长"], year=year, department=department,
                        note=label, row=lambda a: [(a.label, url_for("legal_advisers.adviser", adviser_id=a.id)),
                                                   a.kind, a.specialities])


def _units(title, label, year, department, ids):
    parent = aliased(Department)
    stmt = (select(Department, parent.name).outerjoin(parent, parent.id == Department.parent_id)
            .where(Department.id.in_(ids or [-1])).order_by(Department.path))
    return records_page(title=title, stmt=stmt, columns=["单位", "类别", "上级单位"], year=year, department=department,
                        note=label, scalars=False,
                        row=lambda r: [(r[0].name, url_for("legal_advisers.department", dept_id=r[0].id)),
                                       coverage.category(r[0].kind), r[1] or ""])


def _services(title, label, year, department, ids):
    stmt = (select(Service).where(Service.id.in_(ids)).options(joinedload(Service.department), joinedload(Service.contract))
            .order_by(Service.served_on, Service.id))
    return records_page(title=title, stmt=stmt, columns=["日期", "委托单位", "类型", "事项", "合同"], year=year,
                        department=department, note=label,
                        row=lambda s: [s.served_on, s.department.name, s.kind, s.matter,
                                       (s.contract.number, url_for("legal_advisers.contract", contract_id=s.contract_id))])


@bp.route("/report/<figure>")
@roles_required(*VIEW_ROLES)
def report_records(figure):
    if figure not in reports.DRILLABLE:
        abort(404)
    year, department = report_scope()
    label = reports.LABELS[figure]
    title = f"{short_label(label)}明细"
    if figure in CONTRACT_FIGURES:
        return _contracts(title, label, year, department, CONTRACT_FIGURES[figure](year, department))
    if figure == "advisers":
        return _advisers(title, label, year, department, reports.adviser_ids(year, department))
    if figure in reports.UNIT_FIGURES:
        cov = coverage.compute(department, reports.as_of(year))
        return _units(title, label, year, department, reports.unit_ids(figure, cov))
    return _services(title, label, year, department, reports.service_ids(figure, year, department))
