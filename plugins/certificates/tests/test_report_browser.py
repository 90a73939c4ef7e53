"""In a real browser: a department's 法制科 (dept admin) builds its report, follows a figure to its
records; on a phone the report and the records fit the screen (tables scroll inside their box)."""
from datetime import date

import pytest

from intranet.testing import browser_login, make_person

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "UPLOAD_FOLDER": str(tmp_path / "uploads"), "PER_PAGE": 5}


@pytest.fixture
def cards(db, certs):
    year = date.today().year
    for i in range(7):
        certs.card(make_person(certs.org.town_a, f"甲镇执法{i}"), certs.org.town_a, issued_on=date(year, 1, 5 + i))
    certs.card(make_person(certs.org.town_b, "乙镇执法"), certs.org.town_b, issued_on=date(year, 2, 1))
    db.session.commit()
    city = certs.org.city.id
    db.session.remove()      # the live server is a forked process: no pooled connection to share
    db.engine.dispose()
    return {"city": city}


def test_report_figure_leads_to_its_records(cards, page):
    year = date.today().year
    browser_login(page, "admin_a")
    page.goto(page.base_url + "/reports/")
    page.fill("input[name=year]", str(year))
    page.click("button:has-text('生成')")
    section = page.locator("section.report-fragment[data-plugin=certificates]")
    section.wait_for()
    assert "甲镇" in page.inner_text("h2") and f"{year - 1}年" in section.inner_text()
    link = section.locator("a.drill[data-figure=issued]")
    assert link.inner_text() == "7"                      # 甲镇's cards only, not 乙镇's
    link.click()
    page.wait_for_selector(".drill-total")
    assert page.get_attribute(".drill-total", "data-total") == "7"
    assert page.locator("table.drill-records tbody tr").count() == 5      # a page of 5, then the next
    page.click("a[rel=next]")
    page.wait_for_selector("text=第 2 / 2 页")
    assert page.locator("table.drill-records tbody tr").count() == 2
    assert "乙镇执法" not in page.content()
    page.click("text=返回")
    page.wait_for_selector("section.report-fragment[data-plugin=certificates]")


def test_report_fits_a_phone(cards, phone_page):
    page = phone_page
    browser_login(page, "sfj")
    for path in ("/reports/", f"/certificates/report/issued?year={date.today().year}&department={cards['city']}", "/dashboard"):
        page.goto(page.base_url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.evaluate("window.innerWidth")
        assert width <= viewport, (path, width, viewport)
    page.goto(page.base_url + "/reports/")
    assert page.locator(".report-fragment .table-wrap").count() > 0
    page.wait_for_load_state("networkidle")
    charts = page.locator("figure.report-chart img")                 # charts drawn, shrunk to the screen
    assert charts.count() > 0
    for src in charts.evaluate_all("els => els.map(e => e.src)"):     # lazy images: fetched as the reader scrolls
        assert page.request.get(src).headers["content-type"] == "image/svg+xml"
