"""The annual report's submission in a real browser, CSRF on: a department admin writes the four
texts and submits; the 司法局 approves, signs off 保密审查 and publishes; the public page shows it."""
from datetime import date

import pytest

from intranet.testing import browser_login

pytestmark = pytest.mark.browser

YEAR = date.today().year - 1
TEXTS = {
    "shortcomings": "部分执法人员法治素养有待提高。",
    "leader_duties": "镇党委书记、镇长专题研究法治建设工作3次。",
    "next_year": "全面落实行政执法三项制度。",
    "other": "无。",
}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_submit_approve_and_publish(page, db, org):
    browser_login(page, "admin_a")
    page.goto(page.base_url + f"/reports/submissions/?year={YEAR}")
    page.click("text=本单位（甲镇）")
    for key, value in TEXTS.items():
        page.fill(f"textarea[name={key}]", value)
    page.click("button >> text=保存文字部分")
    page.wait_for_selector("text=文字部分已保存")
    page.click(".report-submit-form button[type=submit]")
    page.wait_for_selector("text=报送内容已存档")
    assert page.inner_text(".report-status") == "已报送，待审核"
    assert page.locator("code.hash").inner_text().strip().__len__() == 64
    page.click("button >> text=退出")

    browser_login(page, "sfj")
    card = page.locator(".widget, .card, section", has_text=f"{YEAR}年度法治政府建设工作报告报送").first
    assert "已报送" in card.inner_text()
    page.goto(page.base_url + f"/reports/submissions/?year={YEAR}")
    page.click("table.submission-list >> text=甲镇")
    page.fill("#approve-comment", "同意报送")
    page.click(".review-form button >> text=批准")
    page.wait_for_selector("text=已批准该报告")
    page.click(".report-status")   # still on the unit's page
    page.fill("#secrecy-comment", "不含涉密信息和个人敏感信息")
    page.click(".secrecy-form button[type=submit]")
    page.wait_for_selector("text=已签署保密审查意见")
    page.click("button >> text=发布到公开页面")
    page.wait_for_selector("text=已发布，公众可在公开页面查看")
    public_url = page.locator("a[href*='/public/reports/']").first.get_attribute("href")
    page.click("button >> text=退出")

    page.goto(page.base_url + public_url)
    body = page.inner_text("article")
    for value in TEXTS.values():
        assert value in body
    assert f"{YEAR}年度甲镇法治政府建设工作报告" in body and "已通过保密审查" in body
    assert page.locator("a").count() == 0          # no internal links on the public page


def test_pages_fit_a_phone(phone_page, db, org):
    page = phone_page
    browser_login(page, "admin_a")
    page.goto(page.base_url + f"/reports/submissions/{org.town_a.id}/{YEAR}")
    for key, value in TEXTS.items():
        page.fill(f"textarea[name={key}]", value)
    page.click("button >> text=保存文字部分")
    page.wait_for_selector("text=文字部分已保存")
    page.click(".report-submit-form button[type=submit]")
    page.wait_for_selector("text=报送内容已存档")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the submission page is {width}px wide at phone width"
