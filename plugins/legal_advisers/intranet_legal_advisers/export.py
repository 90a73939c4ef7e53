"""Excel exports of the contracts and of the service log, through the core's WorkbookWriter."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet.extensions import db
from intranet.hookspecs import ExportKind
from intranet.spreadsheets import WorkbookWriter

from .models import SERVICE_ACTIVE, Contract, Service

CONTRACT_COLUMNS = ["合同编号", "委托单位", "单位编码", "顾问", "形式", "开始日期", "结束日期", "服务费(元)", "服务范围",
                    "保密条款", "利益冲突条款", "签订日期", "备案日期", "状态", "终止原因", "续签自"]
SERVICE_COLUMNS = ["合同编号", "委托单位", "日期", "类型", "事项", "用时(小时)", "结果", "评价", "评价意见", "关联学法活动"]


def contracts_workbook(stmt) -> bytes:
    book = WorkbookWriter()
    sheet = book.sheet("法律顾问合同")
    sheet.append(CONTRACT_COLUMNS)
    stmt = stmt.options(joinedload(Contract.department), selectinload(Contract.advisers), joinedload(Contract.renewal_of))
    for c in db.session.scalars(stmt):
        sheet.append([sheet.cell(c.number, number_format="@"), c.department.name,
                      sheet.cell(c.department.code, number_format="@"), c.adviser_names, c.form, c.start_on, c.end_on,
                      float(c.fee), c.scope, "是" if c.confidentiality else "否", "是" if c.conflict_free else "否",
                      c.signed_on, c.filed_on, c.status, c.end_reason, c.renewal_of.number if c.renewal_of else ""])
    return book.save()


def services_workbook(stmt) -> bytes:
    book = WorkbookWriter()
    sheet = book.sheet("法律顾问服务台账")
    sheet.append(SERVICE_COLUMNS)
    stmt = stmt.options(joinedload(Service.contract), joinedload(Service.department))
    for s in db.session.scalars(stmt):
        sheet.append([sheet.cell(s.contract.number, number_format="@"), s.department.name, s.served_on, s.kind, s.matter,
                      float(s.hours), s.outcome, s.rating if s.rating is not None else "", s.rating_comment, s.lecture_label])
    return book.save()


def _write(kind):
    def write(path, department) -> None:
        if kind == "contracts":
            stmt = select(Contract).order_by(Contract.start_on, Contract.id)
            if department is not None:
                stmt = stmt.where(department.subtree_filter(Contract.department_id))
            data = contracts_workbook(stmt)
        else:
            stmt = select(Service).where(Service.status == SERVICE_ACTIVE).order_by(Service.served_on, Service.id)
            if department is not None:
                stmt = stmt.where(department.subtree_filter(Service.department_id))
            data = services_workbook(stmt)
        with open(path, "wb") as out:
            out.write(data)
    return write


def export_kinds() -> list[ExportKind]:
    return [ExportKind("legal_advisers", "adviser-contracts", "法律顾问合同", _write("contracts")),
            ExportKind("legal_advisers", "adviser-services", "法律顾问服务台账", _write("services"))]
