"""The "Done when" flow in a real browser, CSRF on: the 司法局 records a firm and a contract for a
township, logs services, the township rates them, the assessment is made; the coverage page lists
the units without an adviser and the idle ones; the report figures match the records."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.models import Department
from intranet.reports.assemble import assemble
from intranet.testing import browser_login
from intranet_legal_advisers import service
from intranet_legal_advisers.models import Adviser, Assessment, Contract, Service
from intranet_legal_advisers.validators import firm_code_for

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n%browser\n"


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "PLUGIN_SOURCES": {"legal_advisers": "intranet_legal_advisers.plugin"},
            "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def switch(page, username):
    page.context.clear_cookies()
    browser_login(page, username)


def test_firm_contract_services_rating_assessment_and_coverage(db, org, firm, make_contract, request):
    today = date.today()
    # 市场监管局 has an adviser but used no service: the idle list names it
    make_contract(org.market, [firm("福建明德律师事务所", 3)], number="SJJ-1")
    town_id, city_id = org.town_a.id, org.city.id
    db.session.remove()
    db.engine.dispose()
    page = request.getfixturevalue("page")
    base = page.base_url
    browser_login(page, "sfj")

    page.goto(f"{base}/legal-advisers/advisers/new")
    page.select_option("select[name=kind]", "律师事务所")
    page.fill("input[name=name]", "福建商通律师事务所")
    page.fill("input[name=code]", firm_code_for(77))
    page.fill("input[name=specialities]", "合同审查、行政诉讼")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已登记律师事务所：福建商通律师事务所")
    firm_id = db.session.scalar(select(Adviser.id).where(Adviser.name == "福建商通律师事务所"))

    start = today - timedelta(days=20)
    page.goto(f"{base}/legal-advisers/contracts/new")
    page.fill("input[name=number]", "JZ-FLGW-001")
    page.select_option("select[name=department_id]", str(town_id))
    page.select_option("select[name=form]", "常年法律顾问")
    page.select_option("select[name=adviser_ids]", [str(firm_id)])
    page.fill("input[name=start_on]", start.isoformat())
    page.fill("input[name=end_on]", (service.add_years(start, 2) - timedelta(days=1)).isoformat())
    page.fill("input[name=fee]", "36000")
    page.fill("textarea[name=scope]", "重大决策、合同审查、诉讼代理")
    page.check("input[name=confidentiality]")
    page.check("input[name=conflict_free]")
    page.fill("input[name=signed_on]", start.isoformat())
    page.fill("input[name=filed_on]", (start + timedelta(days=5)).isoformat())
    page.set_input_files("input[name=scan]", files=[{"name": "合同.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=合同已保存")
    page.click("button:has-text('登记生效')")
    page.wait_for_selector("text=合同已生效")

    for kind, matter in (("合同审查", "审查镇区道路改造工程合同"), ("重大行政决策合法性审查", "审查土地征收方案")):
        page.fill("input[name=served_on]", today.isoformat())
        page.select_option("select[name=kind]", kind)
        page.fill("input[name=matter]", matter)
        page.fill("input[name=hours]", "3")
        page.click("button:has-text('登记服务')")
        page.wait_for_selector("text=服务已登记")
    contract_id = db.session.scalar(select(Contract.id).where(Contract.number == "JZ-FLGW-001"))

    switch(page, "admin_a")                      # the township rates the services
    page.goto(f"{base}/legal-advisers/contracts/{contract_id}")
    for _ in range(2):
        form = page.locator("form.rate-form").first
        form.locator("select[name=rating]").select_option("5")
        form.locator("button:has-text('评价')").click()
        page.wait_for_selector("text=评价已保存")

    switch(page, "sfj")                          # the assessment, prefilled from the ratings
    page.goto(f"{base}/legal-advisers/contracts/{contract_id}/assess?year={today.year}")
    assert page.input_value("input[name=client_0]") == "20"
    for i, points in enumerate((18, 28, 18, 28)):
        page.fill(f"input[name=self_{i}]", str(points))
    page.select_option("select[name=decision]", "续聘")
    page.click("button:has-text('保存考核')")
    page.wait_for_selector("text=考核已保存")

    page.goto(f"{base}/legal-advisers/coverage?department={city_id}")
    listed = page.locator("#coverage-list").inner_text()
    assert "乙镇" in listed and "永安县" in listed and "甲镇" not in listed and "市场监督管理局" not in listed
    page.click("text=已聘请但未使用的单位")
    listed = page.locator("#coverage-list").inner_text()
    assert "永安市市场监督管理局" in listed and "甲镇" not in listed

    db.session.expire_all()
    assert db.session.scalar(select(Assessment.grade)) == "优秀"
    assert [s.rating for s in db.session.scalars(select(Service))] == [5, 5]
    figures = next(f for f in assemble(today.year, db.session.get(Department, city_id))["fragments"] if f["plugin"] == "legal_advisers")["figures"]
    assert figures["services_total"] == db.session.scalar(select(func.count()).select_from(Service)) == 2
    assert (figures["contract_reviews"], figures["decision_reviews"]) == (1, 1)
    assert (figures["units_covered"], figures["townships_covered"], figures["units_covered_idle"]) == (2, 1, 1)
    assert figures["contracts_active"] == 2 and figures["fees_total"] == 36000 + 30000
