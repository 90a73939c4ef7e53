"""The report fragment: exactly the figure keys the issue lists, matching the records; sentences
only about what is non-zero; the table of units without an adviser."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from intranet.reports.assemble import assemble
from intranet.testing import make_department
from intranet_legal_advisers import service
from intranet_legal_advisers.reports import FIGURE_KEYS, LABELS, compute
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


def test_every_figure_drills_down_to_as_many_records(app, db, client, org, firm, make_contract):
    """Each count's link lists exactly what was counted (city, county, a town; several pages)."""
    from intranet.reports.drilldown import listed_total
    from intranet.testing import login
    from intranet_legal_advisers.models import SERVICE_KINDS
    from intranet_legal_advisers.reports import DRILLABLE
    f1, f2, f3 = firm(), firm("福建正衡律师事务所", 2), firm("福建明德律师事务所", 3)
    county = make_contract(org.county, [f1, f2], number="XQ-1", form="法律顾问团", start=date(YEAR, 3, 1))
    town = make_contract(org.town_a, [f2], number="JZ-1", start=date(YEAR, 1, 1))
    market = make_contract(org.market, [f3], number="SJ-1", start=date(YEAR - 1, 6, 1))
    make_contract(org.town_b, [f3], number="YZ-1", start=date(YEAR - 3, 1, 1), years=1)      # expired long ago
    make_contract(org.town_b, [f1], number="YZ-2", start=date(YEAR, 5, 1), status="草拟")     # a draft counts nowhere
    for i, kind in enumerate(SERVICE_KINDS):
        log(county, date(YEAR, 4 + i % 8, 2), kind, 1 + i % 3)
        log(town, date(YEAR, 2 + i % 10, 5), kind, i % 2)
    log(market, date(YEAR, 7, 1), "合同审查", 4)
    withdrawn = service.add_service(town, ServiceValues(served_on=date(YEAR, 6, 6), kind="合同审查", matter="撤销的",
                                                        hours=1), None, today=date(YEAR, 12, 31))
    withdrawn.status = "已撤销"
    db.session.commit()
    app.config["PER_PAGE"] = 3
    login(client, org.users["bureau"])
    nonzero = 0
    for dept in (org.city, org.county, org.town_a):
        report = assemble(YEAR, dept, with_labels=True)
        links = report["drilldown"]["legal_advisers.legal_advisers"]
        figures = fragment(YEAR, dept)["figures"]
        assert set(links) == set(DRILLABLE) == set(KEYS) - {"coverage_rate", "fees_total"}
        for key, url in links.items():
            response = client.get(url)
            assert response.status_code == 200, url
            assert listed_total(response.get_data(as_text=True)) == figures[key], (key, dept.name)
            nonzero += figures[key] > 0
    assert nonzero >= 35
    page = client.get(assemble(YEAR, org.county, with_labels=True)["drilldown"]["legal_advisers.legal_advisers"]
                      ["contracts_active"]).get_data(as_text=True)
    assert "XQ-1" in page and "福建商通律师事务所、福建正衡律师事务所" in page and "YZ-" not in page
    assert client.get(f"/legal-advisers/report/fees_total?year={YEAR}&department={org.county.id}").status_code == 404
    assert client.get(f"/legal-advisers/report/lectures?year=abc&department={org.county.id}").status_code == 400
    login(client, org.users["dept_admin_b"])
    town_a = assemble(YEAR, org.town_a, with_labels=True)["drilldown"]["legal_advisers.legal_advisers"]
    assert client.get(town_a["services_total"]).status_code == 403


def test_kinds_units_charts_and_scope_word(db, org, firm, make_contract):
    from intranet_legal_advisers.reports import build
    make_contract(org.town_a, [firm()], number="A-1", start=date(YEAR, 1, 1), fee="12345.6")
    county = make_contract(org.county, [firm("福建正衡律师事务所", 2)], number="C-1", start=date(YEAR, 1, 1))
    log(county, date(YEAR, 3, 3), "合同审查", 2)
    log(county, date(YEAR, 4, 3), "法治讲座")
    db.session.commit()
    frag = build(YEAR, org.county)
    assert frag.kinds == {"coverage_rate": "rate", "fees_total": "money"} and frag.units["fees_total"] == "元"
    assert set(frag.units) == set(KEYS) - {"coverage_rate"}
    by_kind, by_category = frag.charts
    assert (by_kind.labels, by_kind.values, by_kind.unit) == (["合同审查", "法治讲座"], [2, 1], "件次")
    assert by_category.labels == ["人民政府", "乡镇(街道)"] and by_category.values == [1.0, 0.5]
    assert by_category.unit == "%"
    text = "".join(frag.paragraphs)
    assert "全县2个乡镇街道中已有1个聘请了法律顾问" in text and "全县3个单位中已有2个" in text and "全市" not in text
    assert "覆盖率66.7%" in text
    make_contract(org.city, [firm("福建明德律师事务所", 3), firm("福建中信律师事务所", 4)], number="P-1",
                  form="法律顾问团", start=date(YEAR, 6, 1))
    city = "".join(build(YEAR, org.city).paragraphs)
    assert "由福建明德律师事务所、福建中信律师事务所组成永安市人民政府法律顾问团，期限二年" in city
    assert "全市" in city and "全县" not in city
    # a town without records: no chart, no sentence
    assert build(YEAR, org.town_b).charts == [] and build(YEAR, org.town_b).paragraphs == []


def test_page_word_and_excel_read_the_fragment(app, db, client, org, firm, make_contract):
    """The report page links the counts and formats the rate, the fee and the units; Word and Excel
    carry the sentences, the figures (the rate as a percentage) and the charts."""
    import io
    import re

    import openpyxl
    from docx import Document
    from intranet.testing import login
    county = make_contract(org.county, [firm()], number="XQ-1", start=date(YEAR, 9, 1), fee="80000")
    town = make_contract(org.town_a, [firm("福建正衡律师事务所", 2)], number="JZ-1", start=date(YEAR, 1, 1), fee="12000")
    log(county, date(YEAR, 10, 8), "合同审查", 3)
    log(town, date(YEAR, 3, 8), "法治讲座", 2)
    db.session.commit()
    login(client, org.users["bureau"])
    url = f"/reports/?year={YEAR}&department={org.county.id}"
    html = client.get(url).get_data(as_text=True)
    section = html.split('data-plugin="legal_advisers"')[1].split("</section>")[0]
    assert "全县3个单位中已有2个聘请了法律顾问，覆盖率66.7%。" in section and "全市" not in section
    assert re.search(r'<tr data-figure="coverage_rate"><td class="label">法律顾问覆盖率</td><td class="num">66.7%</td>',
                     section)
    assert f'href="/legal-advisers/report/contracts_active?year={YEAR}&amp;department={org.county.id}"' in section
    assert ">2份</a>" in section and ">5件次</a>" in section and "92,000元" in section
    assert 'data-figure="decision_reviews"><td class="label">重大行政决策合法性审查件数</td><td class="num">0件</td>' \
           in section                                                  # nothing to list: no link
    assert section.count("<img src=\"/reports/chart/") == 2 and "法律顾问服务件次（按服务类型）" in section
    word = client.get(url + "&download=docx")
    assert word.status_code == 200
    doc = Document(io.BytesIO(word.data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "政府法律顾问" in text and "全县3个单位中已有2个聘请了法律顾问" in text
    assert "全县法律顾问共提供法律服务5件次，其中审查政府契约3件，开展法治讲座2场。" in text
    assert "法律顾问覆盖率（按单位类别）" in text                       # the chart's caption
    rows = {r.cells[0].text: r.cells[1].text for t in doc.tables for r in t.rows if len(r.cells) == 2}
    assert rows["法律顾问覆盖率"] == "66.7%" and rows["本年签订合同服务费合计（元）"] == "92,000"
    book = openpyxl.load_workbook(io.BytesIO(client.get(url + "&download=xlsx").data))
    lines = {r[1]: r for r in book["指标汇总"].iter_rows(values_only=True) if r[0] == "政府法律顾问"}
    assert set(lines) == {LABELS[k] for k in KEYS}
    assert lines["法律顾问覆盖率"][2] == 0.6667 and lines["法律顾问服务件次"][2] == 5
    [rate_cell] = [r[2] for r in book["指标汇总"].iter_rows() if r[1].value == "法律顾问覆盖率"]
    assert rate_cell.number_format.endswith("%")
    sheet = [c for r in book["政府法律顾问"].iter_rows(values_only=True) for c in r if c]
    assert "未聘请法律顾问的单位" in sheet and "乙镇" in sheet
