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
    pdf = page.request.get(page.base_url + page.locator("#card-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")


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
