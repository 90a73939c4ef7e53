"""Excel imports: advisers, adviser-contracts, adviser-services. All or nothing: any error, nothing
is written. The rules are the service layer's, so an import refuses what the form refuses."""
from __future__ import annotations

from datetime import date

from sqlalchemy import insert, or_, select

from intranet.access import MANAGE_ROLES
from intranet.extensions import db
from intranet.imports import Column, ImportKind
from intranet.imports.framework import chunks
from intranet.locking import StateChanged
from intranet.models import Department, Person

from . import service
from .models import (ACTIVE, ADVISER_KINDS, DRAFT, EXPIRED, FIRM, FORMS, LAWYER, PUBLIC, SERVICE_ACTIVE,
                     SERVICE_KINDS, Adviser, Contract, Service)
from .service import AdviserError, AdviserValues, ContractValues, ServiceValues

IMPORT_STATUSES = [DRAFT, ACTIVE, EXPIRED]


def _split(text) -> list[str]:
    return [p.strip() for p in str(text or "").replace("，", "、").replace(",", "、").split("、") if p.strip()]


def apply_advisers(rows, ctx) -> None:
    # Firms first, so that lawyers of the same file find their firm.
    ordered = sorted(rows, key=lambda r: (r.values["类型"] != FIRM, r.row))
    created = 0
    for r in ordered:
        v = r.values
        kind, firm_text = v["类型"], (v.get("所属律师事务所") or "").strip()
        firm_id = person_id = None
        if kind == LAWYER and firm_text:
            firm = db.session.scalar(select(Adviser).where(Adviser.kind == FIRM, or_(Adviser.name == firm_text,
                                                                                      Adviser.code == firm_text.upper())))
            if firm is None:
                ctx.error(r.row, "所属律师事务所", f"律师事务所“{firm_text}”未登记（可在同一文件中先列出该所）")
                continue
            firm_id = firm.id
        if kind == PUBLIC:
            dept = db.session.scalar(select(Department).where(Department.code == firm_text)) if firm_text else None
            if dept is None:
                ctx.error(r.row, "所属律师事务所", "公职律师请在“所属律师事务所”一列填写其所在单位的单位编码")
                continue
            if not ctx.may_write_department(dept):
                ctx.error(r.row, "所属律师事务所", f"无权为单位 {dept.name} 导入")
                continue
            people = list(db.session.scalars(select(Person).where(Person.department_id == dept.id,
                                                                  Person.name == v["名称"].strip(),
                                                                  Person.status == "在岗").limit(2)))
            if len(people) != 1:
                ctx.error(r.row, "名称", f"{dept.name}{'没有' if not people else '有多名'}名为“{v['名称']}”的在岗人员")
                continue
            person_id = people[0].id
        values = AdviserValues(kind=kind, name=v["名称"], code=v.get("执业证号或统一社会信用代码") or "", firm_id=firm_id,
                               specialities=v.get("专长") or "", phone=v.get("联系电话") or "", person_id=person_id)
        try:
            service.save_adviser(None, values, ctx.user)
        except (AdviserError, StateChanged) as exc:
            column = "执业证号或统一社会信用代码" if "代码" in str(exc) or "执业证号" in str(exc) else "名称"
            ctx.error(r.row, column, str(exc))
            continue
        created += 1
    ctx.result.created = created


def _advisers_of(names: list[str], codes: list[str]) -> tuple[list[int], str]:
    ids = []
    for n, code in enumerate(codes):
        adviser = db.session.scalar(select(Adviser).where(Adviser.code == code.upper()))
        if adviser is None:
            return [], f"执业证号或统一社会信用代码 {code} 未登记，请先导入顾问"
        if n < len(names) and names[n] != adviser.name:
            return [], f"顾问名称“{names[n]}”与编号 {code} 登记的“{adviser.name}”不一致"
        ids.append(adviser.id)
    return ids, ""


def apply_contracts(rows, ctx) -> None:
    today = date.today()
    codes = {r.values["单位编码"] for r in rows}
    departments = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(codes)))}
    created, seen = 0, set()
    for r in sorted(rows, key=lambda r: (r.values["开始日期"], r.row)):
        v = r.values
        number = v["合同编号"].strip()
        if number in seen:
            ctx.error(r.row, "合同编号", f"合同编号 {number} 在文件中重复")
            continue
        seen.add(number)
        dept = departments.get(v["单位编码"])
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {v['单位编码']} 不存在")
            continue
        if not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权为单位 {dept.name} 导入")
            continue
        ids, problem = _advisers_of(_split(v["顾问名称"]), _split(v["执业证号或统一社会信用代码"]))
        if problem:
            ctx.error(r.row, "执业证号或统一社会信用代码", problem)
            continue
        values = ContractValues(number=number, department_id=dept.id, form=v["形式"], start_on=v["开始日期"],
                                end_on=v["结束日期"], fee=v["服务费(元)"], adviser_ids=ids, scope=v.get("服务范围") or "",
                                confidentiality=v["状态"] != DRAFT, conflict_free=v["状态"] != DRAFT,
                                signed_on=v.get("签订日期"), filed_on=v.get("备案日期"))
        try:
            contract = service.save_contract(None, values, ctx.user)
        except (AdviserError, StateChanged) as exc:
            ctx.error(r.row, "合同编号", str(exc) if isinstance(exc, AdviserError) else exc.message)
            continue
        status = v["状态"]
        if status == ACTIVE and contract.end_on < today:
            status = EXPIRED
            ctx.warning(r.row, "状态", "合同已过结束日期，已导入为“到期”")
        elif status == EXPIRED and contract.end_on >= today:
            ctx.error(r.row, "状态", "合同尚未到结束日期，状态不能为“到期”")
            continue
        if status != DRAFT and contract.signed_on is None:
            contract.signed_on = contract.start_on
        contract.status = status
        db.session.flush()
        for warning in values.warnings:
            ctx.warning(r.row, "结束日期" if "聘期" in warning else "备案日期", warning)
        created += 1
    ctx.result.created = created


def apply_services(rows, ctx) -> None:
    today = date.today()
    numbers = {r.values["合同编号"].strip() for r in rows}
    contracts = {}
    for batch in chunks(list(numbers), 2000):
        contracts.update({c.number: c for c in db.session.scalars(select(Contract).where(Contract.number.in_(batch)))})
    new = []
    for r in rows:
        v = r.values
        contract = contracts.get(v["合同编号"].strip())
        if contract is None:
            ctx.error(r.row, "合同编号", f"合同编号 {v['合同编号']} 不存在")
            continue
        if not ctx.may_write_department(contract.department):
            ctx.error(r.row, "合同编号", f"无权为单位 {contract.department.name} 导入")
            continue
        values = ServiceValues(served_on=v["日期"], kind=v["类型"], matter=v["事项"], hours=v["用时(小时)"],
                               outcome=v.get("结果") or "")
        try:
            service.check_service(contract, values, today)
        except AdviserError as exc:
            column = "日期" if "日期" in str(exc) else ("用时(小时)" if "用时" in str(exc) else "合同编号")
            ctx.error(r.row, column, str(exc))
            continue
        new.append({"contract_id": contract.id, "department_id": contract.department_id, "served_on": values.served_on,
                    "kind": values.kind, "matter": values.matter, "hours": values.hours, "outcome": values.outcome.strip(),
                    "rating": None, "rating_comment": "", "lecture_ref": "", "lecture_label": "",
                    "status": SERVICE_ACTIVE, "created_by_id": getattr(ctx.user, "id", None)})
    if ctx.result.errors or not new:
        return
    for batch in chunks(new, 2000):
        db.session.execute(insert(Service), batch)
    ctx.result.created = len(new)


def import_kinds() -> list[ImportKind]:
    return [
        ImportKind("legal_advisers", "advisers", "法律顾问", [
            Column("类型", "choice", choices=ADVISER_KINDS),
            Column("名称", max_length=200, help="律师事务所名称或律师、公职律师姓名"),
            Column("执业证号或统一社会信用代码", required=False, max_length=18,
                   help="律师事务所：18位统一社会信用代码；律师：17位执业证号；公职律师可不填"),
            Column("所属律师事务所", required=False, max_length=200,
                   help="律师：所属律师事务所的名称或统一社会信用代码；公职律师：所在单位的单位编码"),
            Column("专长", required=False, max_length=300, help="用“、”分隔"),
            Column("联系电话", required=False, max_length=30),
        ], apply_advisers, roles=MANAGE_ROLES,
            description="同一文件中的律师事务所先于律师导入；公职律师须是所在单位的在岗人员。"),
        ImportKind("legal_advisers", "adviser-contracts", "法律顾问合同", [
            Column("合同编号", max_length=40),
            Column("单位编码", max_length=32),
            Column("顾问名称", max_length=500, help="法律顾问团的多名顾问用“、”分隔，与下一列一一对应"),
            Column("执业证号或统一社会信用代码", max_length=500, help="顾问须已登记"),
            Column("形式", "choice", choices=FORMS),
            Column("开始日期", "date"),
            Column("结束日期", "date"),
            Column("服务费(元)", "number"),
            Column("服务范围", required=False, max_length=2000),
            Column("签订日期", "date", required=False),
            Column("备案日期", "date", required=False),
            Column("状态", "choice", choices=IMPORT_STATUSES),
        ], apply_contracts, roles=MANAGE_ROLES,
            description="生效、到期的合同视为已约定保密和利益冲突条款；终止合同请在合同页办理并填写原因；"
                        "考核不称职的顾问不能通过导入聘用。"),
        ImportKind("legal_advisers", "adviser-services", "法律顾问服务", [
            Column("合同编号", max_length=40),
            Column("日期", "date"),
            Column("类型", "choice", choices=SERVICE_KINDS),
            Column("事项", max_length=300),
            Column("用时(小时)", "number"),
            Column("结果", required=False, max_length=500),
        ], apply_services, roles=MANAGE_ROLES, description="服务日期须在合同期限内；评价由委托单位在系统中填写。"),
    ]
