"""The annual report's 法律顾问 section: figures for the year and subtree, sentences in the seed
reports' register (only about what is there), and the table of units without an adviser."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.hookspecs import ReportFragment, ReportTable

from . import coverage
from .models import (CONTRACT_REVIEW, DECISION_REVIEW, DOCUMENT_REVIEW, DRAFT, LECTURE, LETTER, LITIGATION,
                     SERVICE_ACTIVE, Contract, ContractAdviser, Service)
from .service import active_on, term_years

KIND_FIGURES = {"contract_reviews": CONTRACT_REVIEW, "decision_reviews": DECISION_REVIEW,
                "document_reviews": DOCUMENT_REVIEW, "lawyer_letters": LETTER, "lectures": LECTURE,
                "litigation": LITIGATION}
LABELS = {
    "contracts_active": "生效法律顾问合同数", "contracts_signed": "本年签订合同数", "advisers": "在聘法律顾问数",
    "units_total": "单位总数", "units_covered": "已聘请法律顾问的单位数", "coverage_rate": "法律顾问覆盖率",
    "townships_total": "乡镇(街道)数", "townships_covered": "已聘请法律顾问的乡镇(街道)数",
    "units_covered_idle": "已聘请但近12个月未使用服务的单位数", "services_total": "法律顾问服务件次",
    "contract_reviews": "审查合同件数", "decision_reviews": "重大行政决策合法性审查件数",
    "document_reviews": "规范性文件审查件数", "lawyer_letters": "出具律师函件数", "lectures": "法治讲座场次",
    "litigation": "代理行政复议、诉讼、仲裁案件数", "fees_total": "本年签订合同服务费合计（元）",
}
FIGURE_KEYS = list(LABELS)


def as_of(year: int, today: date | None = None) -> date:
    today = today or date.today()
    return date(year, 12, 31) if year < today.year else today


def signed_in(year: int):
    day = func.coalesce(Contract.signed_on, Contract.start_on)
    return (Contract.status != DRAFT) & (day >= date(year, 1, 1)) & (day <= date(year, 12, 31))


def compute(year: int, department, today: date | None = None) -> tuple[dict, coverage.Coverage]:
    day = as_of(year, today)
    inside = department.subtree_filter(Contract.department_id)
    f = {}
    f["contracts_active"] = db.session.scalar(select(func.count()).select_from(Contract).where(inside, active_on(day)))
    f["contracts_signed"], fees = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Contract.fee), 0)).where(inside, signed_in(year))).one()
    f["advisers"] = db.session.scalar(select(func.count(func.distinct(ContractAdviser.adviser_id)))
                                      .join(Contract, Contract.id == ContractAdviser.contract_id)
                                      .where(inside, active_on(day)))
    cov = coverage.compute(department, day)
    counts = cov.counts()
    f["units_total"], f["units_covered"] = counts["合计"]["total"], counts["合计"]["covered"]
    f["coverage_rate"] = counts["合计"]["rate"]
    f["townships_total"] = counts[coverage.TOWNSHIP]["total"]
    f["townships_covered"] = counts[coverage.TOWNSHIP]["covered"]
    f["units_covered_idle"] = len(cov.idle)
    by_kind = dict(db.session.execute(
        select(Service.kind, func.count()).where(department.subtree_filter(Service.department_id),
                                                  Service.status == SERVICE_ACTIVE,
                                                  Service.served_on.between(date(year, 1, 1), date(year, 12, 31)))
        .group_by(Service.kind)).all())
    f["services_total"] = sum(by_kind.values())
    for key, kind in KIND_FIGURES.items():
        f[key] = by_kind.get(kind, 0)
    f["fees_total"] = Decimal(str(fees)).quantize(Decimal("0.01"))
    return {k: f[k] for k in FIGURE_KEYS}, cov


def money(value: Decimal) -> str:
    if value >= 10000:
        return f"{(value / 10000).quantize(Decimal('0.01')).normalize():f}万元"
    return f"{value.normalize():f}元"


def scope_word(department) -> str:
    if department.kind == "市":
        return "全市"
    if department.kind == "县(区)":
        return "全区" if department.name.endswith("区") else "全县"
    return department.name


def government_sentences(year: int, department) -> list[str]:
    """"2019年9月市政府与某律师事务所签订了法律顾问服务合同，…期限二年": the governments' own contracts."""
    rows = db.session.scalars(select(Contract).join(Contract.department)
                              .where(department.subtree_filter(Contract.department_id), signed_in(year),
                                     Contract.department.has(kind="市") | Contract.department.has(kind="县(区)"))
                              .order_by(Contract.start_on, Contract.id).limit(5))
    out = []
    for c in rows:
        day = c.signed_on or c.start_on
        names = c.adviser_names
        out.append(f"{day.year}年{day.month}月{coverage.unit_name(c.department)}与{names}签订了法律顾问服务合同，"
                   f"聘请{names}为{coverage.unit_name(c.department)}的{c.form}，期限{term_years(c.start_on, c.end_on)}")
    return out


def paragraphs(year: int, department, f: dict) -> list[str]:
    out = []
    first = government_sentences(year, department)
    if f["townships_total"] and f["townships_covered"] == f["townships_total"]:
        first.append(f"{f['townships_total']}个乡镇街道均聘请律师担任法律顾问")
    elif f["townships_covered"]:
        first.append(f"{f['townships_total']}个乡镇街道中已有{f['townships_covered']}个聘请了法律顾问")
    if first:
        out.append("；".join(first) + "。")
    if f["units_covered"]:
        text = (f"{scope_word(department)}{f['units_total']}个单位中已有{f['units_covered']}个聘请了法律顾问，"
                f"覆盖率{f['coverage_rate'] * 100:.1f}%")
        if f["units_covered_idle"]:
            text += f"，其中{f['units_covered_idle']}个单位近12个月未使用法律顾问服务"
        out.append(text + "。")
    if f["contracts_signed"]:
        text = f"{year}年共签订法律顾问合同{f['contracts_signed']}份"
        if f["fees_total"]:
            text += f"，服务费合计{money(f['fees_total'])}"
        out.append(text + "。")
    parts = [t.format(f[k]) for k, t in (("contract_reviews", "审查政府契约{}件"), ("decision_reviews", "开展重大行政决策合法性审查{}件"),
                                          ("document_reviews", "审查规范性文件{}件"), ("lawyer_letters", "出具律师函{}份"),
                                          ("lectures", "开展法治讲座{}场"), ("litigation", "代理行政复议、诉讼、仲裁案件{}件"))
             if f[k]]
    if f["services_total"]:
        text = f"{year}年法律顾问共提供法律服务{f['services_total']}件次"
        out.append(text + ("，其中" + "，".join(parts) if parts else "") + "。")
    return out


def build(year: int, department) -> ReportFragment:
    f, cov = compute(year, department)
    paths = {u.id: u for u in cov.units}
    rows = [[u.name, coverage.category(u.kind), paths[u.parent_id].name if u.parent_id in paths else ""]
            for u in cov.without]
    tables = [ReportTable("未聘请法律顾问的单位", ["单位", "类别", "上级单位"], rows)] if rows else []
    return ReportFragment("legal_advisers", "legal_advisers", "政府法律顾问", order=40, figures=f,
                          paragraphs=paragraphs(year, department, f), tables=tables, labels=LABELS)
