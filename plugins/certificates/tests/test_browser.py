"""Real-browser flows (CSRF on): apply → approve → issue → print; a phone verifies the QR's URL."""
import pytest
from sqlalchemy import select

from intranet.testing import browser_login, make_person

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def logout(page):
    page.click("text=退出")
    page.wait_for_url("**/login")


def test_apply_issue_and_print(no_other_answers, page, certs, db, tmp_path, photo):
    from intranet_certificates.models import Certificate
    person = make_person(certs.org.town_a, "林执法")
    db.session.commit()
    photo_file = tmp_path / "林执法.png"
    photo_file.write_bytes(photo()[0].getvalue())

    browser_login(page, "admin_a")
    page.goto(page.base_url + "/certificates/applications/new")
    page.select_option("select[name=person_id]", str(person.id))
    page.select_option("select[name=category]", "综合行政执法")
    page.fill("input[name=region]", "甲镇全域")
    page.set_input_files("input[name=photo]", str(photo_file))
    page.click("#application-form button[type=submit]")
    page.wait_for_selector("text=已提交林执法的行政执法证申领")
    logout(page)

    browser_login(page, "sfj")
    page.goto(page.base_url + "/certificates/applications/")
    page.click("text=第 1 号")
    page.check("input[name=manual_check]")
    page.fill("input[name=manual_note]", "2025年行政执法资格考试86分")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("text=申领已批准")
    page.click("#issue-form button[type=submit]")
    page.wait_for_selector("text=已发证，证件编号")
    cert = db.session.scalars(select(Certificate)).one()
    assert cert.person_id == person.id and cert.status == "有效" and cert.photo_file

    page.click("text=打印证件")
    card = page.locator(".cert-card")
    assert cert.number in card.inner_text() and "林执法" in card.inner_text()
    url = card.get_attribute("data-verify-url")
    assert url == f"{page.base_url}/verify/{cert.number}"
    # No 公开查询网址 yet and a loopback host: the print page says so before the PDF.
    assert "内网地址" in page.locator("#address-warning").inner_text()
    pdf = page.request.get(page.base_url + page.locator("#card-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # With the public address set, the QR points there and nothing warns.
    page.goto(page.base_url + "/certificates/settings")
    assert page.locator("#address-warning").count() == 1
    page.fill("input[name=public_url]", "https://sfj.example.gov.cn")
    page.click("form.panel button[type=submit]")
    page.wait_for_selector("text=设置已保存")
    assert page.locator("#address-warning").count() == 0
    page.goto(f"{page.base_url}/certificates/{cert.id}/card")
    assert page.locator(".cert-card").get_attribute("data-verify-url") == f"https://sfj.example.gov.cn/verify/{cert.number}"
    assert page.locator("#address-warning").count() == 0


def test_cleanup_confirm_and_close_show_the_counts_first(page, certs, db):
    from intranet_certificates.models import Certificate
    holder = make_person(certs.org.town_a, "退休者", status="退休")
    cert = certs.card(holder)
    browser_login(page, "sfj")
    page.goto(page.base_url + "/certificates/cleanup/new")
    page.fill("input[name=name]", "浏览器清理")
    page.select_option("select[name=department_id]", str(certs.org.town_a.id))
    page.click("text=开始清理")
    page.wait_for_selector("text=系统提出候选证件1个")
    row = page.locator("tr", has_text=cert.number)
    assert row.locator("select").input_value() == ""  # undecided: nothing preselected
    row.locator("select").select_option("收回")
    row.locator("input[name=reason]").fill("已退休")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("text=已处理为“收回”")
    page.click("text=确认全部已处理的候选证件")
    summary = page.locator("#confirm-summary")
    assert "1" in summary.locator("strong").inner_text() and "收回" in summary.inner_text()
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "有效"  # nothing done yet
    page.click("text=确认以上处理结果")
    page.wait_for_selector("text=已确认：")
    page.click("button:has-text('结束清理')")
    page.wait_for_selector("#confirm-summary")
    page.click("text=确定结束清理")
    page.wait_for_selector("text=已结束")
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "收回"


def test_phone_verifies_the_qr_url(phone_page, certs, db):
    cert = certs.card(make_person(certs.org.town_a, "宋亮证"), region="甲镇全域")
    page = phone_page
    browser_login(page, "sfj")
    page.goto(f"{page.base_url}/certificates/{cert.id}/card")
    url = page.locator(".cert-card").get_attribute("data-verify-url")
    page.context.clear_cookies()  # the public, not logged in
    page.goto(url)
    assert page.locator("#verify-status").inner_text() == "有效"
    body = page.locator("body").inner_text()
    assert "宋亮证" in body and "甲镇全域" in body and cert.person.id_number not in body
    # Fits the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"{page.base_url}/verify/000000000000000")
    assert "未查询到编号为" in page.locator("body").inner_text()
