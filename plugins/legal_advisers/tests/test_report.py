"""The report fragment: exactly the figure keys the issue lists, matching the records; sentences
only about what is non-zero; the table of units without an adviser."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from intranet.reports.assemble import assemble
from intranet.testing import make_department
from intranet_legal_advisers import service
from intranet_legal_advisers.reports import FIGURE_KEYS, compute
from intranet_legal_advisers.service import ServiceValues

KEYS = ["contracts_active", "contracts_signed", "advisers", "units_total", "units_covered", "coverage_rate",
        "townships_total", "townships_covered", "units_covered_idle", "services_total", "contract_reviews",
        "decision_reviews", "document_reviews", "lawyer_letters", "lectures", "litigation", "fees_total"]
YEAR = date.today().year - 1


def fragment(year, department):
    report = assemble(year, department)
    return next(f for f in report["fragments"] if f["plugin"] == "legal_advisers")


def log(contract, day, kind, n=1):
    for i in range(n):
        service.add_service(contract, ServiceValues(served_on=day, kind=kind, matter=f"{kind}{i}", hours=1), None,
                            today=date(YEAR, 12, 31))


def test_figures_match_the_records(db, org, firm, make_contract):
    assert FIGURE_KEYS == KEYS
    f1, f2 = firm(), firm("福建正衡律师事务所", 2)
    county = make_contract(org.county, [f1], number="XQ-1", start=date(YEAR, 9, 1), signed_on=date(YEAR, 9, 1),
                           fee="80000")
    town = make_contract(org.town_a, [f2], number="JZ-1", start=date(YEAR, 1, 1), fee="12000.50")
    make_contract(org.market, [f1], number="SJ-1", start=date(YEAR - 3, 1, 1), years=1)   # long expired
    log(county, date(YEAR, 10, 8), "合同审查", 3)
    log(county, date(YEAR, 11, 8), "重大行政决策合法性审查")
    log(town, date(YEAR, 2, 8), "出具律师函")
    log(town, date(YEAR, 3, 8), "行政复议/诉讼/仲裁代理", 2)
    log(town, date(YEAR, 4, 8), "法治讲座")
    db.session.commit()
    frag = fragment(YEAR, org.county)
    f = frag["figures"]
    assert list(f) == KEYS
    assert f == {"contracts_active": 2, "contracts_signed": 2, "advisers": 2, "units_total": 3, "units_covered": 2,
                 "coverage_rate": 0.6667, "townships_total": 2, "townships_covered": 1, "units_covered_idle": 0,
                 "services_total": 8, "contract_reviews": 3, "decision_reviews": 1, "document_reviews": 0,
                 "lawyer_letters": 1, "lectures": 1, "litigation": 2, "fees_total": 92000.5}
    paragraphs = "".join(frag["paragraphs"])
    assert f"{YEAR}年9月永安县人民政府与福建商通律师事务所签订了法律顾问服务合同" in paragraphs and "期限二年" in paragraphs
    assert "2个乡镇街道中已有1个聘请了法律顾问" in paragraphs
    assert "审查政府契约3件" in paragraphs and "出具律师函1份" in paragraphs
    assert "规范性文件" not in paragraphs and "未使用" not in paragraphs      # nothing about zero
    assert "服务费合计9.2万元" in paragraphs
    [table] = frag["tables"]
    assert table["rows"] == [["乙镇", "乡镇(街道)", "永安县"]]
    from intranet_legal_advisers.reports import build
    assert set(build(YEAR, org.county).labels) == set(KEYS)
    # the city-wide figures count the city's departments too; the expired one is not covered
    city = fragment(YEAR, org.city)["figures"]
    assert (city["units_total"], city["units_covered"], city["contracts_signed"]) == (6, 2, 2)


def test_every_township_covered_and_idle_units(db, org, firm, make_contract):
    make_contract(org.town_a, [firm()], number="A-1", start=date(YEAR, 1, 1))
    make_contract(org.town_b, [firm("福建明德律师事务所", 3)], number="B-1", start=date(YEAR, 1, 1))
    db.session.commit()
    frag = fragment(YEAR, org.county)
    assert "2个乡镇街道均聘请律师担任法律顾问" in "".join(frag["paragraphs"])
    assert frag["figures"]["units_covered_idle"] == 2
    assert "其中2个单位近12个月未使用法律顾问服务" in "".join(frag["paragraphs"])


def test_nothing_recorded_says_nothing(db, org):
    frag = fragment(YEAR, org.town_a)
    assert frag["paragraphs"] == []
    assert frag["figures"]["units_total"] == 1 and frag["figures"]["fees_total"] == 0
    assert frag["tables"][0]["rows"] == [["甲镇", "乡镇(街道)", ""]]


def test_current_year_counts_contracts_in_force_now(db, org, firm, make_contract):
    today = date.today()
    make_contract(org.town_a, [firm()], number="NOW", start=today - timedelta(days=10))
    ended = make_contract(org.town_b, [firm("福建中信律师事务所", 4)], number="END", start=today - timedelta(days=100))
    service.terminate(ended, "顾问调离", None, today - timedelta(days=1))
    db.session.commit()
    f, cov = compute(today.year, org.county)
    assert f["contracts_active"] == 1 and cov.covered == {org.town_a.id}
    # a unit added below the county counts as a unit without adviser
    make_department("X01-C", "丙镇", "乡镇(街道)", org.county)
    db.session.commit()
    assert compute(today.year, org.county)[0]["townships_total"] == 3
    assert isinstance(compute(today.year, org.county)[0]["fees_total"], Decimal)
