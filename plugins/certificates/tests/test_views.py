"""The logged-in pages: lists, detail, lifecycle actions, roles and department scope, PDFs, settings."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.models import AuditEvent, Setting
from intranet.testing import login, make_person

from intranet_certificates import pdf, settings
from intranet_certificates.models import CancellationNotice, Certificate, CertificateEvent


def test_list_and_detail_are_scoped(client, db, certs):
    mine = certs.card(make_person(certs.org.town_a, "甲镇执法员"))
    other = certs.card(make_person(certs.org.town_b, "乙镇执法员"), certs.org.town_b)
    login(client, certs.org.users["dept_admin_a"])
    text = client.get("/certificates/").get_data(as_text=True)
    assert mine.number in text and other.number not in text
    assert client.get(f"/certificates/{mine.id}").status_code == 200
    assert client.get(f"/certificates/{other.id}").status_code == 403
    assert client.get(f"/certificates/{other.id}/card").status_code == 403
    assert client.get(f"/certificates/{other.id}/card.pdf").status_code == 403
    assert client.get("/certificates/999999").status_code == 404
    # Masked ID number outside the admin view.
    detail = client.get(f"/certificates/{mine.id}").get_data(as_text=True)
    assert mine.person.id_number not in detail and mine.person.masked_id_number in detail
    login(client, certs.bureau)
    text = client.get("/certificates/?q=乙镇执法员").get_data(as_text=True)
    assert other.number in text and mine.number not in text
    text = client.get("/certificates/?status=暂扣").get_data(as_text=True)
    assert other.number not in text


def test_staff_cannot_see_the_certificate_pages(client, db, certs):
    login(client, certs.org.users["staff_a"])
    assert client.get("/certificates/").status_code == 403
    assert client.get("/certificates/applications/").status_code == 403


def test_lifecycle_actions_through_the_pages(client, db, certs):
    cert = certs.card()
    login(client, certs.bureau)
    page = client.get(f"/certificates/{cert.id}/action/suspend")
    assert page.status_code == 200 and "暂扣" in page.get_data(as_text=True)
    r = client.post(f"/certificates/{cert.id}/action/suspend", data={"reason": "", "happened_on": date.today().isoformat()},
                    follow_redirects=True)
    assert "请填写原因" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "有效"
    r = client.post(f"/certificates/{cert.id}/action/suspend",
                    data={"reason": "涉嫌违规执法", "happened_on": date.today().isoformat()}, follow_redirects=True)
    assert "当前状态为“暂扣”" in r.get_data(as_text=True)
    r = client.post(f"/certificates/{cert.id}/action/restore",
                    data={"reason": "调查结束", "happened_on": date.today().isoformat()}, follow_redirects=True)
    r = client.post(f"/certificates/{cert.id}/action/cancel",
                    data={"reason": "退休", "happened_on": date.today().isoformat()}, follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "注销"
    # Restoring a cancelled card: refused with a message, nothing changes.
    events = db.session.scalar(select(func.count()).select_from(CertificateEvent))
    page = client.get(f"/certificates/{cert.id}/action/restore").get_data(as_text=True)
    assert "不能恢复" in page
    r = client.post(f"/certificates/{cert.id}/action/restore",
                    data={"reason": "误操作", "happened_on": date.today().isoformat()}, follow_redirects=True)
    assert r.status_code == 200 and "当前状态为“注销”，不能恢复" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "注销"
    assert db.session.scalar(select(func.count()).select_from(CertificateEvent)) == events
    history = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    for word in ("核发", "暂扣", "恢复", "注销", "涉嫌违规执法"):
        assert word in history
    assert client.get(f"/certificates/{cert.id}/action/nonsense").status_code == 404


def test_only_the_bureau_acts_on_cards(client, db, certs):
    cert = certs.card()
    for user in ("dept_admin_a", "inspector"):
        login(client, certs.org.users[user])
        r = client.post(f"/certificates/{cert.id}/action/suspend",
                        data={"reason": "x", "happened_on": date.today().isoformat()})
        assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status == "有效"


def test_lost_card_is_replaced_and_noticed(client, db, certs):
    cert = certs.card()
    login(client, certs.bureau)
    r = client.post(f"/certificates/{cert.id}/action/declare_lost",
                    data={"reason": "执法时遗失", "happened_on": date.today().isoformat()}, follow_redirects=True)
    text = r.get_data(as_text=True)
    new = db.session.scalars(select(Certificate).where(Certificate.replaces_id == cert.id)).one()
    assert f"新证件编号 {new.number}" in text
    db.session.expire_all()
    old = db.session.get(Certificate, cert.id)
    assert old.status == "注销" and old.lost and new.valid_until == old.valid_until
    notice = db.session.get(CancellationNotice, old.notice_id)
    assert notice.numbers == [old.number] and "遗失" in notice.title


def test_batch_notice(client, db, certs):
    a, b = certs.card(), certs.card(status="暂扣")
    recalled = certs.card(status="收回")
    login(client, certs.bureau)
    text = client.post("/certificates/notices/new", data={"numbers": f"{a.number}\n{recalled.number}",
                                                           "reason": "无法收回", "title": "公告"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能公告注销" in text
    assert db.session.scalar(select(func.count()).select_from(CancellationNotice)) == 0
    text = client.post("/certificates/notices/new", data={"numbers": "999", "reason": "无法收回", "title": "公告"},
                       follow_redirects=True).get_data(as_text=True)
    assert "以下证件编号不存在：999" in text
    text = client.post("/certificates/notices/new", data={"numbers": f"{a.number}，{b.number}", "reason": "人员失联",
                                                           "title": "关于注销行政执法证件的公告"},
                       follow_redirects=True).get_data(as_text=True)
    notice = db.session.scalars(select(CancellationNotice)).one()
    assert notice.numbers == [a.number, b.number] and a.number in text
    db.session.expire_all()
    assert {db.session.get(Certificate, a.id).status, db.session.get(Certificate, b.id).status} == {"注销"}
    # The printable notice lists the numbers.
    html = pdf.notice_html(notice, [(a.number, a), (b.number, b)])
    assert a.number in html and b.number in html and "特此公告" in html
    body = client.get(f"/certificates/notices/{notice.id}.pdf")
    assert body.status_code == 200 and body.data.startswith(b"%PDF")


def test_card_pdf(client, db, certs, photo):
    settings.put("public_url", "https://sfj.example.gov.cn")
    cert = certs.card()
    login(client, certs.bureau)
    client.post(f"/certificates/{cert.id}/photo", data={"photo": photo("证件照.png")},
                content_type="multipart/form-data")
    db.session.expire_all()
    cert = db.session.get(Certificate, cert.id)
    assert cert.photo_name == "证件照.png" and cert.photo_file.endswith(".png")
    preview = client.get(f"/certificates/{cert.id}/card").get_data(as_text=True)
    assert cert.number in preview and f"https://sfj.example.gov.cn/verify/{cert.number}" in preview
    assert 'id="address-warning"' not in preview
    html = pdf.card_html(cert)
    for text in (cert.number, cert.person.name, "甲镇", "综合行政执法", "data:image/png;base64", "data:image/svg+xml"):
        assert text in html
    assert cert.person.id_number not in html
    response = client.get(f"/certificates/{cert.id}/card.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    # The CJK font is embedded (object names are only readable in an uncompressed rendering).
    from weasyprint import HTML
    assert b"NotoSansCJK" in HTML(string=html).write_pdf(uncompressed_pdf=True)


def test_bad_photo_is_refused(client, db, certs):
    import io
    cert = certs.card()
    login(client, certs.bureau)
    text = client.post(f"/certificates/{cert.id}/photo", data={"photo": (io.BytesIO(b"GIF89a..."), "x.jpg")},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "照片应为 JPG 或 PNG 图片" in text
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).photo_file == ""


def test_enforcement_date(client, db, certs):
    cert = certs.card()
    login(client, certs.org.users["dept_admin_a"])
    text = client.post(f"/certificates/{cert.id}/enforcement",
                       data={"last_enforcement_on": (date.today() + timedelta(days=3)).isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能晚于今天" in text
    client.post(f"/certificates/{cert.id}/enforcement", data={"last_enforcement_on": "2025-01-02"})
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).last_enforcement_on == date(2025, 1, 2)


def test_reviews_page_lists_due_and_overdue(client, db, certs):
    due = certs.card(make_person(certs.org.town_a, "王将审"))
    due.next_review_due = date.today() + timedelta(days=20)
    late = certs.card(make_person(certs.org.town_a, "赵逾期"))
    late.next_review_due = date.today() - timedelta(days=5)
    db.session.commit()
    login(client, certs.bureau)
    text = client.get("/certificates/reviews").get_data(as_text=True)
    assert "王将审" in text and "赵逾期" not in text
    text = client.get("/certificates/reviews?overdue=1").get_data(as_text=True)
    assert "赵逾期" in text and "王将审" not in text


def test_settings_page(client, db, certs):
    login(client, certs.org.users["dept_admin_a"])
    assert client.get("/certificates/settings").status_code == 403
    login(client, certs.bureau)
    assert "编号规则" in client.get("/certificates/settings").get_data(as_text=True)
    data = {"region_code": "350402", "number_pattern": "{region}{year}{serial:06d}", "validity_years": "3",
            "review_cycle_years": "2", "review_warn_months": "2", "inactivity_months": "12",
            "categories": "市场监管\n城市管理", "versions": "全国统一样式", "default_version": "全国统一样式",
            "issuing_authority": "", "renew_new_number": "y"}
    bad = client.post("/certificates/settings", data={**data, "number_pattern": "{region}{year}"},
                      follow_redirects=True).get_data(as_text=True)
    assert "流水号" in bad
    assert Setting.get("certificates.region_code") is None
    bad = client.post("/certificates/settings", data={**data, "region_code": "35"}, follow_redirects=True)
    assert "地区代码应为6位数字" in bad.get_data(as_text=True)
    client.post("/certificates/settings", data=data)
    db.session.expire_all()
    assert settings.get("region_code") == "350402" and settings.get("categories") == ["市场监管", "城市管理"]
    assert settings.get("renew_new_number") is True and settings.get("validity_years") == 3
    assert certs.card(category="市场监管").number == f"350402{date.today().year}000001"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "certificates.settings")) == 1


def test_subjects_page(client, db, certs):
    login(client, certs.bureau)
    r = client.post("/certificates/subjects/new", data={"department_id": certs.org.county.id, "kind": "法定行政机关",
                                                         "confirmed_on": "2025-02-01", "basis": "永政〔2025〕1号",
                                                         "active": "y"}, follow_redirects=True)
    assert "执法主体确认已保存" in r.get_data(as_text=True)
    r = client.post("/certificates/subjects/new", data={"department_id": certs.org.county.id, "kind": "受委托组织",
                                                         "confirmed_on": "2025-02-01", "active": "y"},
                    follow_redirects=True)
    assert "已有执法主体确认记录" in r.get_data(as_text=True)
    login(client, certs.org.users["dept_admin_a"])
    assert client.post("/certificates/subjects/new", data={}).status_code == 403
    text = client.get("/certificates/subjects/").get_data(as_text=True)
    assert "甲镇" in text and "永安县" not in text


@pytest.mark.parametrize("url", ["/certificates/", "/certificates/applications/", "/certificates/cleanup/",
                                 "/certificates/notices/", "/certificates/subjects/", "/certificates/reviews",
                                 "/certificates/roster", "/certificates/applications/new"])
def test_pages_need_login(client, url):
    assert client.get(url).status_code == 302


def test_settings_change_only_for_a_whole_tree_bureau_user(client, db, certs):
    from intranet.testing import make_user
    district = make_user("bureau", certs.org.county, username="sfj_county")
    db.session.commit()
    login(client, district)
    page = client.get("/certificates/settings")
    assert page.status_code == 200 and "保存设置" not in page.get_data(as_text=True)
    data = {"region_code": "350402", "number_pattern": "{region}{year}{serial:06d}", "validity_years": "3",
            "review_cycle_years": "2", "review_warn_months": "2", "inactivity_months": "12",
            "categories": "市场监管", "versions": "全国统一样式", "default_version": "全国统一样式",
            "issuing_authority": ""}
    assert client.post("/certificates/settings", data=data).status_code == 403
    assert Setting.get("certificates.region_code") is None
    login(client, certs.org.users["admin"])
    assert "保存设置" in client.get("/certificates/settings").get_data(as_text=True)
    assert client.post("/certificates/settings", data=data).status_code == 302
    db.session.expire_all()
    assert settings.get("region_code") == "350402"


def test_audit_log_names_card_actions_in_chinese_and_links_the_card(client, certs):
    cert = certs.card()
    login(client, certs.org.users["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert ">核发<" in html and f'href="/certificates/{cert.id}">行政执法证 {cert.id}</a>' in html
    assert "certificates.issue" not in html.replace('value="certificates.issue"', "")
