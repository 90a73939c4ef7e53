"""The rules of advisers, contracts, the service log, ratings and the yearly assessment.

Views and imports call these; each function checks everything before it changes anything, so a
refused input leaves nothing half-saved (the caller rolls back on AdviserError and commits otherwise).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import delete, func, or_, select

from intranet import audit
from intranet.extensions import db
from intranet.locking import StateChanged, lock, lock_rows
from intranet.models import Department, Person

from . import settings
from .models import (ACTIVE, DECISIONS, DRAFT, EXCELLENT, COMPETENT, BASIC, EXPIRED, FIRM, INCOMPETENT, LAWYER,
                     LECTURE, PANEL, PUBLIC, RENEW, SERVICE_ACTIVE, SERVICE_KINDS, SERVICE_WITHDRAWN, STANDING, TERMINATED, FORMS,
                     ADVISER_KINDS, Adviser, Assessment, Contract, ContractAdviser, Service)
from .validators import AdviserCodeError, firm_code, licence_number

BUREAU = ("admin", "bureau")
MAX_HOURS = Decimal("500")
MAX_FEE = Decimal("9999999999.99")


class AdviserError(Exception):
    """A refused input or action, with the Chinese reason."""


# --- small helpers ---------------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:           # 29 February
        return day.replace(year=day.year + years, day=28)


def term_years(start: date, end: date) -> str:
    """The term in words: "二年", "一年六个月"."""
    months = (end.year - start.year) * 12 + end.month - start.month + (1 if end.day >= start.day - 1 else 0)
    years, rest = divmod(max(months, 0), 12)
    digits = "零一二三四五六七八九十"
    text = (f"{digits[years] if years <= 10 else years}年" if years else "") + (f"{rest}个月" if rest else "")
    return text or f"{(end - start).days + 1}天"


def term_warning(start: date, end: date) -> str:
    if end < add_years(start, 1) - timedelta(days=1):
        return "聘期不足1年（法律顾问聘期一般为1至3年），请核对"
    if end > add_years(start, 3) - timedelta(days=1):
        return "聘期超过3年（法律顾问聘期一般为1至3年），请核对"
    return ""


def filing_warning(signed_on: date | None, filed_on: date | None) -> str:
    days = int(settings.get("filing_days"))
    if signed_on and filed_on and (filed_on - signed_on).days > days:
        return f"合同在签订{(filed_on - signed_on).days}天后才备案，超过{days}天的备案期限"
    return ""


def parse_decimal(value, what: str, *, maximum: Decimal, places: str = "0.01") -> Decimal:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        text = str(value or "").strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise AdviserError(f"{what}应为数字，“{text}”不是数字") from None
    if not number.is_finite():
        raise AdviserError(f"{what}应为数字，“{text}”不是数字")
    if number < 0:
        raise AdviserError(f"{what}不能为负数")
    if number > maximum:
        raise AdviserError(f"{what}过大")
    return number.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def split_specialities(text: str) -> str:
    parts = [p.strip() for p in re.split(r"[、，,;；/\s]+", text or "") if p.strip()]
    return "、".join(dict.fromkeys(parts))[:300]


# --- advisers --------------------------------------------------------------------------------

@dataclass
class AdviserValues:
    kind: str
    name: str
    code: str = ""
    firm_id: int | None = None
    specialities: str = ""
    phone: str = ""
    person_id: int | None = None


def checked_code(kind: str, code: str) -> str | None:
    try:
        if kind == FIRM:
            return firm_code(code)
        if kind == LAWYER or (code or "").strip():
            return licence_number(code)
    except AdviserCodeError as exc:
        raise AdviserError(str(exc)) from None
    return None


def save_adviser(adviser: Adviser | None, v: AdviserValues, user) -> Adviser:
    if v.kind not in ADVISER_KINDS:
        raise AdviserError(f"顾问类型应为：{'、'.join(ADVISER_KINDS)}")
    if adviser is not None:
        adviser = lock(adviser)
        if adviser.kind != v.kind:
            raise AdviserError("顾问类型不能修改")
    name = (v.name or "").strip()
    if v.kind != PUBLIC and (not name or len(name) > 200):
        raise AdviserError("请填写顾问名称（不超过200个字）")
    code = checked_code(v.kind, v.code)
    if code:
        other = db.session.scalar(select(Adviser).where(Adviser.code == code))
        if other is not None and (adviser is None or other.id != adviser.id):
            raise AdviserError(f"执业证号或统一社会信用代码 {code} 已登记（{other.name}）")
    firm = None
    if v.kind == LAWYER and v.firm_id:
        firm = db.session.get(Adviser, v.firm_id)
        if firm is None or firm.kind != FIRM:
            raise AdviserError("所属律师事务所不存在")
    person = None
    if v.kind == PUBLIC:
        person = db.session.get(Person, v.person_id) if v.person_id else None
        if person is None:
            raise AdviserError("公职律师须对应本单位的一名工作人员，请选择人员")
        if not person.on_duty:
            raise AdviserError(f"{person.name}当前状态为“{person.status}”，不能登记为公职律师")
        other = db.session.scalar(select(Adviser).where(Adviser.person_id == person.id, Adviser.kind == PUBLIC))
        if other is not None and (adviser is None or other.id != adviser.id):
            raise AdviserError(f"{person.name}已登记为公职律师")
        name = person.name
    phone = (v.phone or "").strip()
    if len(phone) > 30 or (phone and not re.fullmatch(r"[0-9+\- ()（）转]{5,30}", phone)):
        raise AdviserError("联系电话格式不正确")
    before = adviser.audit_state() if adviser is not None else None
    if adviser is None:
        adviser = Adviser(kind=v.kind, active=True)
        db.session.add(adviser)
    adviser.name, adviser.code, adviser.phone = name, code, phone
    adviser.firm_id = firm.id if firm is not None else None
    adviser.specialities = split_specialities(v.specialities)
    adviser.person_id = person.id if person is not None else None
    adviser.department_id = person.department_id if person is not None else None
    db.session.flush()
    audit.record("legal_advisers.adviser_create" if before is None else "legal_advisers.adviser_update",
                 "legal_advisers_adviser", adviser.id, summary=f"{'登记' if before is None else '修改'}{v.kind}：{name}",
                 before=before, after=adviser.audit_state(), department_id=adviser.department_id, actor=user)
    return adviser


# --- contracts -------------------------------------------------------------------------------

@dataclass
class ContractValues:
    number: str
    department_id: int
    form: str
    start_on: date
    end_on: date
    fee: object
    adviser_ids: list[int]
    scope: str = ""
    confidentiality: bool = False
    conflict_free: bool = False
    signed_on: date | None = None
    filed_on: date | None = None
    override_reason: str = ""
    renewal_of_id: int | None = None
    warnings: list[str] = field(default_factory=list)


def active_on(day: date):
    """SQL: the contract was in force on ``day`` (whatever its status now)."""
    return ((Contract.status != DRAFT) & (Contract.start_on <= day) & (Contract.end_on >= day)
            & or_(Contract.ended_on.is_(None), Contract.ended_on > day))


def incompetent_ratings(adviser_ids, start: date) -> list[tuple[Adviser, int]]:
    """Advisers rated 不称职 in the assessment of the year before ``start`` (or of that year)."""
    if not adviser_ids:
        return []
    rows = db.session.execute(
        select(Adviser, Assessment.year).join(ContractAdviser, ContractAdviser.adviser_id == Adviser.id)
        .join(Assessment, Assessment.contract_id == ContractAdviser.contract_id)
        .where(Adviser.id.in_(adviser_ids), Assessment.grade == INCOMPETENT,
               Assessment.year.between(start.year - 1, start.year))
        .order_by(Adviser.id, Assessment.year.desc())).all()
    seen, out = set(), []
    for adviser, year in rows:
        if adviser.id not in seen:
            seen.add(adviser.id)
            out.append((adviser, year))
    return out


def standing_conflict(department_id: int, adviser_ids, start: date, end: date, exclude_id=None) -> Contract | None:
    """An active 常年法律顾问 contract of the department with one of these advisers, overlapping the term."""
    stmt = (select(Contract).join(ContractAdviser, ContractAdviser.contract_id == Contract.id)
            .where(Contract.department_id == department_id, Contract.form == STANDING, Contract.status == ACTIVE,
                   ContractAdviser.adviser_id.in_(list(adviser_ids)), Contract.start_on <= end, Contract.end_on >= start)
            .order_by(Contract.id).limit(1))
    if exclude_id is not None:
        stmt = stmt.where(Contract.id != exclude_id)
    return db.session.scalar(stmt)


def _conflict_message(department: Department, other: Contract) -> str:
    return (f"{department.name}已有与该顾问的生效常年法律顾问合同（{other.number}，{other.start_on}至{other.end_on}），"
            "期限重叠，不能重复签订")


def check_contract(v: ContractValues, user, contract: Contract | None = None, *, department=None) -> list[Adviser]:
    """Every rule of a contract's values; returns its advisers. Appends warnings to ``v.warnings``."""
    number = (v.number or "").strip()
    if not number or len(number) > 40:
        raise AdviserError("请填写合同编号（不超过40个字）")
    v.number = number
    other = db.session.scalar(select(Contract.id).where(Contract.number == number))
    if other is not None and (contract is None or other != contract.id):
        raise AdviserError(f"合同编号 {number} 已存在")
    if v.form not in FORMS:
        raise AdviserError(f"顾问形式应为：{'、'.join(FORMS)}")
    if v.start_on is None or v.end_on is None:
        raise AdviserError("请填写合同开始日期和结束日期")
    if v.end_on < v.start_on:
        raise AdviserError("结束日期不能早于开始日期")
    v.fee = parse_decimal(v.fee, "服务费", maximum=MAX_FEE)
    if len(v.scope or "") > 2000:
        raise AdviserError("服务范围不能超过2000个字")
    if v.signed_on and v.filed_on and v.filed_on < v.signed_on:
        raise AdviserError("备案日期不能早于签订日期")
    ids = list(dict.fromkeys(int(i) for i in v.adviser_ids or [] if i))
    if not ids:
        raise AdviserError("请选择法律顾问（律师事务所、律师或公职律师）")
    advisers = list(db.session.scalars(select(Adviser).where(Adviser.id.in_(ids), Adviser.active.is_(True))))
    if len(advisers) != len(ids):
        raise AdviserError("所选顾问不存在或已停用")
    if v.form == PANEL and len(advisers) < 2:
        raise AdviserError("法律顾问团应由至少两名顾问组成")
    if v.form != PANEL and len(advisers) > 1:
        raise AdviserError(f"{v.form}只能选择一个顾问；多名顾问请选择“法律顾问团”")
    bad = incompetent_ratings(ids, v.start_on)
    reason = (v.override_reason or "").strip()
    if bad and (contract is None or set(ids) != {a.id for a in contract.advisers} or not contract.override_reason):
        names = "、".join(f"{a.name}（{year}年度）" for a, year in bad)
        if not reason:
            raise AdviserError(f"{names}考核为不称职，不能签订新合同；确需聘用的，须由司法局填写理由后办理")
        if getattr(user, "role", "admin") not in BUREAU:
            raise AdviserError(f"{names}考核为不称职，须由司法局填写理由后方可签订新合同")
    if len(reason) > 200:
        raise AdviserError("理由不能超过200个字")
    if v.form == STANDING:
        dept = department or db.session.get(Department, v.department_id)
        clash = standing_conflict(v.department_id, ids, v.start_on, v.end_on, getattr(contract, "id", None))
        if clash is not None:
            raise AdviserError(_conflict_message(dept, clash))
    for warning in (term_warning(v.start_on, v.end_on), filing_warning(v.signed_on, v.filed_on)):
        if warning:
            v.warnings.append(warning)
    return advisers


def save_contract(contract: Contract | None, v: ContractValues, user) -> Contract:
    """Create a draft contract (or change a draft); warnings land in ``v.warnings``."""
    department = db.session.get(Department, v.department_id)
    if department is None or not department.active:
        raise AdviserError("请选择委托单位")
    lock(department, check=False)      # serialises the "one standing contract" check of the department
    if contract is not None:
        contract = lock(contract)
        if contract.status != DRAFT:
            raise AdviserError(f"合同当前状态为“{contract.status}”，只有草拟中的合同可以修改")
    advisers = check_contract(v, user, contract, department=department)
    before = contract.audit_state() if contract is not None else None
    if contract is None:
        contract = Contract(status=DRAFT, created_by_id=getattr(user, "id", None), renewal_of_id=v.renewal_of_id)
        db.session.add(contract)
    for name in ("number", "department_id", "form", "start_on", "end_on", "fee", "signed_on", "filed_on"):
        setattr(contract, name, getattr(v, name))
    contract.scope = (v.scope or "").strip()
    contract.confidentiality, contract.conflict_free = bool(v.confidentiality), bool(v.conflict_free)
    contract.override_reason = (v.override_reason or "").strip() or (contract.override_reason or "")
    db.session.flush()
    db.session.execute(delete(ContractAdviser).where(ContractAdviser.contract_id == contract.id))
    db.session.add_all([ContractAdviser(contract_id=contract.id, adviser_id=a.id) for a in advisers])
    db.session.flush()
    db.session.expire(contract, ["advisers"])
    audit.record("legal_advisers.contract_create" if before is None else "legal_advisers.contract_update",
                 "legal_advisers_contract", contract.id,
                 summary=f"{'登记' if before is None else '修改'}法律顾问合同 {contract.number}",
                 reason=contract.override_reason if incompetent_ratings([a.id for a in advisers], v.start_on) else "",
                 before=before, after=contract.audit_state(), department_id=contract.department_id, actor=user)
    return contract


def activate(contract: Contract, user, today: date | None = None) -> Contract:
    today = today or date.today()
    lock(contract.department, check=False)
    contract = lock(contract)
    if contract.status != DRAFT:
        raise StateChanged(f"合同当前状态为“{contract.status}”，不能再次生效")
    if not (contract.confidentiality and contract.conflict_free):
        raise AdviserError("请先确认合同已约定保密条款和利益冲突审查条款")
    if contract.signed_on is None:
        raise AdviserError("请先填写合同签订日期")
    if contract.form == STANDING:
        clash = standing_conflict(contract.department_id, [a.id for a in contract.advisers], contract.start_on,
                                  contract.end_on, contract.id)
        if clash is not None:
            raise AdviserError(_conflict_message(contract.department, clash))
    contract.status = EXPIRED if contract.end_on < today else ACTIVE
    audit.record("legal_advisers.activate", "legal_advisers_contract", contract.id,
                 summary=f"法律顾问合同 {contract.number} {contract.status}", before={"status": DRAFT},
                 after={"status": contract.status}, department_id=contract.department_id, actor=user)
    return contract


def terminate(contract: Contract, reason: str, user, day: date | None = None) -> Contract:
    day = day or date.today()
    reason = (reason or "").strip()
    contract = lock(contract)
    if contract.status not in (DRAFT, ACTIVE):
        raise StateChanged(f"合同当前状态为“{contract.status}”，不能终止")
    if not reason or len(reason) > 200:
        raise AdviserError("请填写终止原因（不超过200个字）")
    if contract.status == ACTIVE and not contract.start_on <= day <= contract.end_on:
        raise AdviserError(f"终止日期应在合同期限内（{contract.start_on}至{contract.end_on}）")
    before = contract.status
    contract.status, contract.end_reason, contract.ended_on = TERMINATED, reason, day
    audit.record("legal_advisers.terminate", "legal_advisers_contract", contract.id,
                 summary=f"终止法律顾问合同 {contract.number}", reason=reason, before={"status": before},
                 after={"status": TERMINATED, "ended_on": day.isoformat()}, department_id=contract.department_id,
                 actor=user)
    return contract


def renewal_values(old: Contract) -> ContractValues:
    """The new contract's values proposed for a renewal: the same unit, advisers and form, the next term."""
    start = old.end_on + timedelta(days=1)
    years = max(1, min(3, round(((old.end_on - old.start_on).days + 1) / 365)))
    return ContractValues(number="", department_id=old.department_id, form=old.form, start_on=start,
                          end_on=add_years(start, years) - timedelta(days=1), fee=old.fee, scope=old.scope,
                          adviser_ids=[a.id for a in old.advisers], renewal_of_id=old.id)


def renew(old: Contract, v: ContractValues, user) -> Contract:
    # The unit first, then the contract, as save_contract and activate lock them: the other order
    # deadlocks against an activation of the same contract on PostgreSQL.
    lock(old.department, check=False)
    old = lock(old, check=False)
    if old.status == DRAFT:
        raise AdviserError("草拟中的合同不能续签")
    if db.session.scalar(select(Contract.id).where(Contract.renewal_of_id == old.id)) is not None:
        raise StateChanged("该合同已续签，不能重复续签")
    last = db.session.scalar(select(Assessment).where(Assessment.contract_id == old.id)
                             .order_by(Assessment.year.desc()).limit(1))
    if last is not None and last.decision != RENEW:
        raise AdviserError(f"该合同{last.year}年度考核决定“{last.decision}”，不能续签")
    if v.department_id != old.department_id:
        raise AdviserError("续签合同的委托单位应与原合同相同")
    v.renewal_of_id = old.id
    return save_contract(None, v, user)


def expire_due(today: date | None = None) -> int:
    """The daily job: 生效 contracts past their end date become 到期."""
    today = today or date.today()
    rows = list(db.session.scalars(lock_rows(select(Contract).where(Contract.status == ACTIVE, Contract.end_on < today)
                                             .order_by(Contract.id))))
    for contract in rows:
        contract.status = EXPIRED
        audit.record("legal_advisers.expire", "legal_advisers_contract", contract.id,
                     summary=f"法律顾问合同 {contract.number} 已到期", before={"status": ACTIVE},
                     after={"status": EXPIRED}, department_id=contract.department_id)
    return len(rows)


# --- the service log -------------------------------------------------------------------------

@dataclass
class ServiceValues:
    served_on: date
    kind: str
    matter: str
    hours: object = 0
    outcome: str = ""
    lecture_ref: str = ""


def service_window(contract: Contract) -> tuple[date, date]:
    end = contract.end_on
    if contract.ended_on is not None and contract.ended_on < end:
        end = contract.ended_on
    return contract.start_on, end


def check_service(contract: Contract, v: ServiceValues, today: date, lectures: dict | None = None) -> None:
    if contract.status == DRAFT:
        raise AdviserError("草拟中的合同尚未生效，不能登记服务")
    if v.kind not in SERVICE_KINDS:
        raise AdviserError(f"服务类型应为：{'、'.join(SERVICE_KINDS)}")
    if v.served_on is None:
        raise AdviserError("请填写服务日期")
    start, end = service_window(contract)
    if not start <= v.served_on <= end:
        raise AdviserError(f"服务日期 {v.served_on} 不在合同期限内（{start}至{end}）")
    if v.served_on > today:
        raise AdviserError("服务日期不能晚于今天")
    matter = (v.matter or "").strip()
    if not matter or len(matter) > 300:
        raise AdviserError("请填写服务事项（不超过300个字）")
    v.matter = matter
    v.hours = parse_decimal(v.hours, "用时(小时)", maximum=MAX_HOURS, places="0.1")
    if len(v.outcome or "") > 500:
        raise AdviserError("服务结果不能超过500个字")
    if v.lecture_ref:
        if v.kind != LECTURE:
            raise AdviserError("只有法治讲座可以关联学法活动")
        if v.lecture_ref not in (lectures or {}):
            raise AdviserError("所选学法活动不存在或不属于该单位")


def add_service(contract: Contract, v: ServiceValues, user, *, today: date | None = None,
                lectures: dict | None = None) -> Service:
    today = today or date.today()
    contract = lock(contract, check=False)
    check_service(contract, v, today, lectures)
    service = Service(contract_id=contract.id, department_id=contract.department_id, served_on=v.served_on,
                      kind=v.kind, matter=v.matter, hours=v.hours, outcome=(v.outcome or "").strip(),
                      lecture_ref=v.lecture_ref or "", lecture_label=(lectures or {}).get(v.lecture_ref, "")[:200],
                      status=SERVICE_ACTIVE, created_by_id=getattr(user, "id", None))
    db.session.add(service)
    db.session.flush()
    audit.record("legal_advisers.service", "legal_advisers_service", service.id,
                 summary=f"登记法律顾问服务（{v.kind}）：{v.matter}",
                 after={"contract": contract.number, "served_on": v.served_on.isoformat(), "kind": v.kind,
                        "hours": str(v.hours), "lecture": service.lecture_label},
                 department_id=contract.department_id, actor=user)
    return service


def rate(service: Service, rating, comment: str, user) -> Service:
    lock(service.contract, check=False)  # as assess does: the year's assessment and this rating take turns
    service = lock(service)
    if service.rating is not None:
        raise StateChanged("该服务已评价，不能重复评价")
    if service.status != SERVICE_ACTIVE:
        raise AdviserError("该服务记录已撤销")
    if _assessed(service):  # the assessment took the year's average rating
        raise AdviserError(f"{service.served_on.year}年度已考核，不能再评价该年度的服务")
    try:
        value = int(rating)
    except (TypeError, ValueError):
        raise AdviserError("评价应为1到5分") from None
    if not 1 <= value <= 5:
        raise AdviserError("评价应为1到5分")
    comment = (comment or "").strip()
    if len(comment) > 300:
        raise AdviserError("评价意见不能超过300个字")
    service.rating, service.rating_comment = value, comment
    service.rated_by_id, service.rated_at = getattr(user, "id", None), datetime.now()
    audit.record("legal_advisers.rate", "legal_advisers_service", service.id, summary=f"评价法律顾问服务：{value}分",
                 after={"rating": value, "comment": comment}, department_id=service.department_id, actor=user)
    return service


def _assessed(service: Service) -> bool:
    """The service's year is assessed for its contract (call with the contract locked)."""
    return db.session.scalar(select(Assessment.id).where(Assessment.contract_id == service.contract_id,
                                                         Assessment.year == service.served_on.year)) is not None


def withdraw_service(service: Service, user) -> Service:
    lock(service.contract, check=False)   # as assess does: the year's assessment and this withdrawal take turns
    service = lock(service)
    if service.status != SERVICE_ACTIVE:
        raise StateChanged("该服务记录已撤销")
    if _assessed(service):
        raise AdviserError(f"{service.served_on.year}年度已考核，不能撤销该年度的服务记录")
    service.status = SERVICE_WITHDRAWN
    audit.record("legal_advisers.service_withdraw", "legal_advisers_service", service.id,
                 summary=f"撤销法律顾问服务记录：{service.matter}", before={"status": SERVICE_ACTIVE},
                 after={"status": SERVICE_WITHDRAWN}, department_id=service.department_id, actor=user)
    return service


# --- the yearly assessment -------------------------------------------------------------------

def year_summary(contract: Contract, year: int) -> dict:
    """The year's logged services by kind and the average rating: what the assessment starts from."""
    base = (Service.contract_id == contract.id, Service.status == SERVICE_ACTIVE,
            Service.served_on.between(date(year, 1, 1), date(year, 12, 31)))
    by_kind = dict(db.session.execute(select(Service.kind, func.count()).where(*base).group_by(Service.kind)).all())
    total, hours, avg, rated = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Service.hours), 0), func.avg(Service.rating), func.count(Service.rating))
        .where(*base)).one()
    avg = Decimal(str(avg)).quantize(Decimal("0.01")) if avg is not None else None
    return {"services": total, "hours": Decimal(str(hours)), "by_kind": {k: by_kind[k] for k in SERVICE_KINDS if k in by_kind},
            "avg_rating": avg, "rated": rated}


def suggested_scores(summary: dict) -> dict[str, int]:
    """Client scores proposed from the average rating (5 points = full marks); nothing without ratings."""
    if summary["avg_rating"] is None:
        return {}
    share = summary["avg_rating"] / 5
    return {d["name"]: int((d["max"] * share).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) for d in settings.dimensions()}


def grade_of(total: Decimal, veto: bool) -> str:
    if veto:
        return INCOMPETENT
    if total >= Decimal(str(settings.get("excellent"))):
        return EXCELLENT
    if total >= Decimal(str(settings.get("competent"))):
        return COMPETENT
    if total >= Decimal(str(settings.get("basic"))):
        return BASIC
    return INCOMPETENT


@dataclass
class AssessmentValues:
    year: int
    client: dict
    self_report: dict
    decision: str
    veto: bool = False
    veto_reason: str = ""
    note: str = ""


def assess(contract: Contract, v: AssessmentValues, user, today: date | None = None) -> Assessment:
    today = today or date.today()
    contract = lock(contract, check=False)
    if db.session.scalar(select(Assessment.id).where(Assessment.contract_id == contract.id,
                                                     Assessment.year == v.year)) is not None:
        raise StateChanged(f"该合同{v.year}年度已考核，不能重复考核")
    if contract.status == DRAFT:
        raise AdviserError("草拟中的合同不能考核")
    if not contract.start_on.year <= v.year <= min(contract.end_on.year, today.year):
        raise AdviserError(f"考核年度应在合同期限内（{contract.start_on.year}至{min(contract.end_on.year, today.year)}年）")
    scores, client_sum, self_sum, max_sum = [], Decimal(0), Decimal(0), 0
    for d in settings.dimensions():
        pair = []
        for who, given in (("委托单位", v.client), ("顾问自评", v.self_report)):
            raw = given.get(d["name"])
            if raw is None or str(raw).strip() == "":
                raise AdviserError(f"请填写“{d['name']}”的{who}评分")
            value = parse_decimal(raw, f"“{d['name']}”的{who}评分", maximum=Decimal(10 ** 6), places="0.1")
            if value > d["max"]:
                raise AdviserError(f"“{d['name']}”的{who}评分应在0到{d['max']}分之间")
            pair.append(value)
        scores.append({"name": d["name"], "max": d["max"], "client": float(pair[0]), "self": float(pair[1])})
        client_sum, self_sum, max_sum = client_sum + pair[0], self_sum + pair[1], max_sum + d["max"]
    reason = (v.veto_reason or "").strip()
    if v.veto and not reason:
        raise AdviserError("选择一票否决时请填写否决事由")
    if len(reason) > 200 or len(v.note or "") > 2000:
        raise AdviserError("否决事由不能超过200个字，考核意见不能超过2000个字")
    if v.decision not in DECISIONS:
        raise AdviserError("请选择考核决定（续聘或解聘）")
    weight = Decimal(str(settings.get("client_weight"))) / 100
    total = ((client_sum * weight + self_sum * (1 - weight)) * 100 / max_sum).quantize(Decimal("0.01"))
    grade = grade_of(total, bool(v.veto))
    if grade == INCOMPETENT and v.decision == RENEW:
        raise AdviserError("考核为不称职的，不能决定续聘")
    summary = year_summary(contract, v.year)
    assessment = Assessment(contract_id=contract.id, department_id=contract.department_id, year=v.year,
                            services=summary["services"], avg_rating=summary["avg_rating"], scores=scores,
                            client_total=client_sum, self_total=self_sum, total=total, veto=bool(v.veto),
                            veto_reason=reason if v.veto else "", grade=grade, decision=v.decision,
                            note=(v.note or "").strip(), assessed_by_id=getattr(user, "id", None))
    db.session.add(assessment)
    db.session.flush()
    audit.record("legal_advisers.assess", "legal_advisers_assessment", assessment.id,
                 summary=f"法律顾问合同 {contract.number} {v.year}年度考核：{grade}，{v.decision}",
                 reason=assessment.veto_reason,
                 after={"year": v.year, "total": str(total), "grade": grade, "decision": v.decision,
                        "services": summary["services"], "avg_rating": str(summary["avg_rating"])},
                 department_id=contract.department_id, actor=user)
    return assessment
