"""In a real browser: the 司法局 builds the county's report, follows 法律顾问服务件次 to its records
(page by page); on a phone the report and the records fit the screen."""
from datetime import date

import pytest

from intranet.testing import browser_login
from intranet_legal_advisers import service
from intranet_legal_advisers.service import ServiceValues

pytestmark = pytest.mark.browser
YEAR = date.today().year - 1


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "PLUGIN_SOURCES": {"legal_advisers": "intranet_legal_advisers.plugin"},
            "UPLOAD_FOLDER": str(tmp_path / "uploads"), "PER_PAGE": 5}


@pytest.fixture
def records(db, org, firm, make_contract):
    town = make_contract(org.town_a, [firm()], number="JZ-2025-001", start=date(YEAR, 1, 1))
    county = make_contract(org.county, [firm("福建正衡律师事务所", 2)], number="XQ-2025-001", start=date(YEAR, 1, 1))
    for i in range(6):
        service.add_service(town, ServiceValues(served_on=date(YEAR, 3, 1 + i), kind="合同审查", matter=f"审查采购合同{i}",
                                                hours=1), None, today=date(YEAR, 12, 31))
    service.add_service(county, ServiceValues(served_on=date(YEAR, 5, 1), kind="法治讲座", matter="讲授民法典", hours=2),
                        None, today=date(YEAR, 12, 31))
    db.session.commit()
    ids = {"county": org.county.id}
    db.session.remove()      # the live server is a forked process: no pooled connection to share
    db.engine.dispose()
    return ids


def test_a_figure_leads_to_its_records(records, page):
    browser_login(page, "sfj")
    page.goto(f"{page.base_url}/reports/?year={YEAR}&department={records['county']}")
    section = page.locator("section.report-fragment[data-plugin=legal_advisers]")
    section.wait_for()
    assert "全县法律顾问共提供法律服务7件次" in section.inner_text()
    link = section.locator("a.drill[data-figure=services_total]")
    assert link.inner_text() == "7件次"
    link.click()
    page.wait_for_selector(".drill-total")
    assert page.get_attribute(".drill-total", "data-total") == "7"
    assert page.locator("table.drill-records tbody tr").count() == 5
    page.click("a[rel=next]")
    page.wait_for_selector("text=第 2 / 2 页")
    assert page.locator("table.drill-records tbody tr").count() == 2
    page.click("text=XQ-2025-001")                       # a row leads to its contract
    page.wait_for_selector("text=讲授民法典")


def test_report_and_records_fit_a_phone(records, phone_page):
    page = phone_page
    browser_login(page, "sfj")
    for path in (f"/reports/?year={YEAR}&department={records['county']}",
                 f"/legal-advisers/report/contracts_active?year={YEAR}&department={records['county']}",
                 f"/legal-advisers/report/services_total?year={YEAR}&department={records['county']}"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.evaluate("window.innerWidth")
        assert width <= viewport, (path, width, viewport)
    page.goto(f"{page.base_url}/reports/?year={YEAR}&department={records['county']}")
    page.wait_for_load_state("networkidle")
    charts = page.locator("section[data-plugin=legal_advisers] figure.report-chart img")
    assert charts.count() == 2
    for src in charts.evaluate_all("els => els.map(e => e.src)"):     # lazy images: fetched as the reader scrolls
        assert page.request.get(src).headers["content-type"] == "image/svg+xml"
