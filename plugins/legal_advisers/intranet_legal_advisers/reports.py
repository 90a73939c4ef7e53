"""The annual report's 法律顾问 section: figures for the year and subtree, sentences in the seed
reports' register (only about what is there), the table of units without an adviser, charts, and
for every count the statement of the records behind it (drilldown.py lists the same statements,
so a figure and its list cannot drift apart)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from intranet.extensions import db
from intranet.models import Department
from intranet.hookspecs import ReportChart, ReportFragment, ReportTable
from intranet.reports.formatting import MONEY, RATE, pct, scope_word

from . import coverage
from .models import (CONTRACT_REVIEW, DECISION_REVIEW, DOCUMENT_REVIEW, DRAFT, LECTURE, LETTER, LITIGATION,
                     PANEL, SERVICE_ACTIVE, SERVICE_KINDS, Contract, ContractAdviser, Service)
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
KINDS = {"coverage_rate": RATE, "fees_total": MONEY}
UNITS = {"contracts_active": "份", "contracts_signed": "份", "advisers": "名", "units_total": "个",
         "units_covered": "个", "townships_total": "个", "townships_covered": "个", "units_covered_idle": "个",
         "services_total": "件次", "contract_reviews": "件", "decision_reviews": "件", "document_reviews": "件",
         "lawyer_letters": "份", "lectures": "场", "litigation": "件", "fees_total": "元"}
DRILLABLE = tuple(k for k in FIGURE_KEYS if k not in ("coverage_rate", "fees_total"))


def as_of(year: int, today: date | None = None) -> date:
    today = today or date.today()
    return date(year, 12, 31) if year < today.year else today


def signed_in(year: int):
    day = func.coalesce(Contract.signed_on, Contract.start_on)
    return (Contract.status != DRAFT) & (day >= date(year, 1, 1)) & (day <= date(year, 12, 31))


def _inside(department):
    return department.subtree_filter(Contract.department_id)


# --- the records behind each figure: the report counts these statements, the drill-down lists them ---

def active_contract_ids(year: int, department, today: date | None = None):
    """Contracts of the subtree in force at the end of ``year`` (today for the current year)."""
    return select(Contract.id).where(_inside(department), active_on(as_of(year, today)))


def signed_contract_ids(year: int, department):
    """Contracts of the subtree signed in ``year`` (no signing date: their start), drafts left out."""
    return select(Contract.id).where(_inside(department), signed_in(year))


def adviser_ids(year: int, department, today: date | None = None):
    """The advisers of the contracts counted in contracts_active (each once)."""
    return (select(ContractAdviser.adviser_id).join(Contract, Contract.id == ContractAdviser.contract_id)
            .where(_inside(department), active_on(as_of(year, today))).distinct())


def service_ids(figure: str, year: int, department):
    """Services of the subtree in ``year`` not withdrawn; of one kind for a KIND_FIGURES key."""
    stmt = select(Service.id).where(department.subtree_filter(Service.department_id), Service.status == SERVICE_ACTIVE,
                                    Service.served_on.between(date(year, 1, 1), date(year, 12, 31)))
    if figure in KIND_FIGURES:
        stmt = stmt.where(Service.kind == KIND_FIGURES[figure])
    return stmt


UNIT_FIGURES = ("units_total", "units_covered", "townships_total", "townships_covered", "units_covered_idle")


def unit_ids(figure: str, cov: coverage.Coverage) -> list[int]:
    """The units counted in a UNIT_FIGURES key, from the coverage the report computed."""
    if figure == "units_covered_idle":
        return [u.id for u in cov.idle]
    units = cov.units
    if figure.startswith("townships"):
        units = [u for u in units if coverage.category(u.kind) == coverage.TOWNSHIP]
    if figure.endswith("_covered"):
        units = [u for u in units if u.id in cov.covered]
    return [u.id for u in units]


def _count(stmt) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def compute(year: int, department, today: date | None = None) -> tuple[dict, coverage.Coverage]:
    day = as_of(year, today)
    f = {"contracts_active": _count(active_contract_ids(year, department, today)),
         "contracts_signed": _count(signed_contract_ids(year, department)),
         "advisers": _count(adviser_ids(year, department, today))}
    fees = db.session.scalar(select(func.coalesce(func.sum(Contract.fee), 0))
                             .where(Contract.id.in_(signed_contract_ids(year, department))))
    cov = coverage.compute(department, day)
    for key in UNIT_FIGURES:
        f[key] = len(unit_ids(key, cov))
    f["coverage_rate"] = cov.counts()["合计"]["rate"]
    by_kind = dict(db.session.execute(
        select(Service.kind, func.count()).where(Service.id.in_(service_ids("services_total", year, department)))
        .group_by(Service.kind)).all())
    f["services_total"] = sum(by_kind.values())
    for key, kind in KIND_FIGURES.items():
        f[key] = by_kind.get(kind, 0)
    f["fees_total"] = Decimal(str(fees)).quantize(Decimal("0.01"))
    return {k: f[k] for k in FIGURE_KEYS}, cov


def services_by_kind(year: int, department) -> dict[str, int]:
    """Services of the year by kind, in the order of SERVICE_KINDS (kinds without any left out)."""
    rows = dict(db.session.execute(
        select(Service.kind, func.count()).where(Service.id.in_(service_ids("services_total", year, department)))
        .group_by(Service.kind)).all())
    return {k: int(rows[k]) for k in SERVICE_KINDS if rows.get(k)}


def money(value: Decimal) -> str:
    if value >= 10000:
        return f"{(value / 10000).quantize(Decimal('0.01')).normalize():f}万元"
    return f"{value.normalize():f}元"


def government_sentences(year: int, department) -> list[str]:
    """"2019年9月市政府与某律师事务所签订了法律顾问服务合同，…期限二年": the governments' own contracts."""
    rows = db.session.scalars(select(Contract).join(Contract.department)
                              .options(contains_eager(Contract.department), joinedload(Contract.advisers))
                              .where(department.subtree_filter(Contract.department_id), signed_in(year),
                                     Department.kind.in_(("市", "县(区)")))
                              .order_by(Contract.start_on, Contract.id).limit(5)).unique()
    out = []
    for c in rows:
        day = c.signed_on or c.start_on
        names = c.adviser_names
        unit = coverage.unit_name(c.department)
        role = f"由{names}组成{unit}法律顾问团" if c.form == PANEL else f"聘请{names}为{unit}的{c.form}"
        out.append(f"{day.year}年{day.month}月{unit}与{names}签订了法律顾问服务合同，{role}，"
                   f"期限{term_years(c.start_on, c.end_on)}")
    return out


def paragraphs(year: int, department, f: dict) -> list[str]:
    out = []
    where = scope_word(department)
    first = government_sentences(year, department)
    if f["townships_total"] and f["townships_covered"] == f["townships_total"]:
        first.append(f"{where}{f['townships_total']}个乡镇街道均聘请律师担任法律顾问")
    elif f["townships_covered"]:
        first.append(f"{where}{f['townships_total']}个乡镇街道中已有{f['townships_covered']}个聘请了法律顾问")
    if first:
        out.append("；".join(first) + "。")
    if f["units_covered"]:
        text = (f"{where}{f['units_total']}个单位中已有{f['units_covered']}个聘请了法律顾问，"
                f"覆盖率{pct(f['coverage_rate'])}")
        if f["units_covered_idle"]:
            text += f"，其中{f['units_covered_idle']}个单位近12个月未使用法律顾问服务"
        out.append(text + "。")
    if f["contracts_signed"]:
        text = f"{year}年，{where}共签订法律顾问合同{f['contracts_signed']}份"
        if f["fees_total"]:
            text += f"，服务费合计{money(f['fees_total'])}"
        out.append(text + "。")
    parts = [t.format(f[k]) for k, t in (("contract_reviews", "审查政府契约{}件"), ("decision_reviews", "开展重大行政决策合法性审查{}件"),
                                          ("document_reviews", "审查规范性文件{}件"), ("lawyer_letters", "出具律师函{}份"),
                                          ("lectures", "开展法治讲座{}场"), ("litigation", "代理行政复议、诉讼、仲裁案件{}件"))
             if f[k]]
    if f["services_total"]:
        text = f"{year}年，{where}法律顾问共提供法律服务{f['services_total']}件次"
        out.append(text + ("，其中" + "，".join(parts) if parts else "") + "。")
    return out


def drilldown(year: int, department) -> dict[str, str]:
    from intranet.reports.drilldown import figure_url
    return {key: figure_url("legal_advisers.report_records", key, year, department) for key in DRILLABLE}


def charts(year: int, department, cov: coverage.Coverage) -> list[ReportChart]:
    out = []
    kinds = services_by_kind(year, department)
    if kinds:
        out.append(ReportChart("法律顾问服务件次（按服务类型）", list(kinds), list(kinds.values()), by="kind",
                               unit="件次"))
    counts = cov.counts()
    present = [name for name in coverage.CATEGORIES if counts[name]["total"]]
    if len(present) > 1 and any(counts[name]["covered"] for name in present):
        out.append(ReportChart("法律顾问覆盖率（按单位类别）", present, [counts[name]["rate"] for name in present],
                               by="kind", unit="%"))
    return out


def build(year: int, department, figures_only: bool = False) -> ReportFragment:
    """The section; with ``figures_only`` its figures and labels alone (no sentences, table, charts)."""
    f, cov = compute(year, department)
    out = ReportFragment("legal_advisers", "legal_advisers", "政府法律顾问", order=40, figures=f, labels=LABELS,
                         kinds=KINDS, units=UNITS)
    if figures_only:
        return out
    paths = {u.id: u for u in cov.units}
    rows = [[u.name, coverage.category(u.kind), paths[u.parent_id].name if u.parent_id in paths else ""]
            for u in cov.without]
    out.tables = [ReportTable("未聘请法律顾问的单位", ["单位", "类别", "上级单位"], rows)] if rows else []
    out.paragraphs = paragraphs(year, department, f)
    out.drilldown = drilldown(year, department)
    out.charts = charts(year, department, cov)
    return out
