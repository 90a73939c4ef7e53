"""A card that is not valid never prints as valid; the QR points at the public address; 执法区域's default."""
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.imports import get_import_kind, run_import
from intranet.testing import login, make_person, xlsx_bytes

from intranet_certificates import pdf, settings
from intranet_certificates.imports import CERTIFICATE_COLUMNS
from intranet_certificates.models import Certificate


@pytest.fixture
def public(db):
    settings.put("public_url", "https://sfj.example.gov.cn")
    db.session.commit()


@pytest.mark.parametrize("status", ["收回", "注销", "暂扣", "过期", "past_date"])
def test_a_card_that_is_not_valid_is_not_printed(public, client, db, certs, status):
    if status == "past_date":  # still 有效 in the table, but past its date: the public sees 过期
        cert = certs.card(issued_on=date.today() - timedelta(days=2000), valid_until=date.today() - timedelta(days=1))
        shown = "过期"
    else:
        cert = certs.card(status=status)
        shown = status
    login(client, certs.bureau)
    assert "打印证件" not in client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    r = client.get(f"/certificates/{cert.id}/card")
    text = r.get_data(as_text=True)
    assert r.status_code == 409 and f"当前状态为“{shown}”，不能打印" in text
    assert "data:image/svg+xml" not in text and "card.pdf" not in text   # no QR, no PDF link
    r = client.get(f"/certificates/{cert.id}/card.pdf", follow_redirects=True)
    assert r.mimetype == "text/html" and "不能打印" in r.get_data(as_text=True)
    # The verification page the QR would open says the same.
    answer = client.get(f"/verify/{cert.number}?format=json").get_json()
    assert answer["status"] == shown and answer["valid"] is False
    assert f'id="verify-status">{shown}<' in client.get(f"/verify/{cert.number}").get_data(as_text=True)


def test_a_valid_card_prints_with_the_public_address(public, client, db, certs):
    cert = certs.card()
    login(client, certs.bureau)
    page = client.get(f"/certificates/{cert.id}/card").get_data(as_text=True)
    assert f'data-verify-url="https://sfj.example.gov.cn/verify/{cert.number}"' in page
    assert 'id="address-warning"' not in page
    assert f"https://sfj.example.gov.cn/verify/{cert.number}" in pdf.card_html(cert)
    r = client.get(f"/certificates/{cert.id}/card.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert 'id="address-warning"' not in client.get("/certificates/settings").get_data(as_text=True)


def test_unset_public_address_warns_on_settings_and_print_pages(client, db, certs):
    cert = certs.card()
    login(client, certs.bureau)
    text = client.get("/certificates/settings").get_data(as_text=True)
    assert "公开查询网址" in text and 'id="address-warning"' in text and "尚未设置“公开查询网址”" in text
    page = client.get(f"/certificates/{cert.id}/card").get_data(as_text=True)
    assert 'id="address-warning"' in page and "localhost" in page and "内网地址" in page
    # The PDF is not produced from a direct link without the print page's warning having been shown.
    r = client.get(f"/certificates/{cert.id}/card.pdf")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/certificates/{cert.id}/card")
    r = client.get(f"/certificates/{cert.id}/card.pdf?acknowledged=1")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


@pytest.mark.parametrize("url, intranet", [("http://127.0.0.1:5000", True), ("http://192.168.10.5", True),
                                            ("http://10.1.2.3/", True), ("http://fazhi", True),
                                            ("http://sfj.yongan.lan", True), ("http://[::1]:8000", True),
                                            ("https://sfj.example.gov.cn", False), ("https://202.101.1.9", False)])
def test_an_intranet_public_address_still_warns(client, db, certs, url, intranet):
    settings.put("public_url", url)
    db.session.commit()
    cert = certs.card()
    login(client, certs.bureau)
    page = client.get(f"/certificates/{cert.id}/card").get_data(as_text=True)
    assert ('id="address-warning"' in page) is intranet
    assert (client.get(f"/certificates/{cert.id}/card.pdf").status_code == 302) is intranet


def _settings_data(**over):
    data = {"region_code": "350481", "number_pattern": "{region}{year}{serial:05d}", "validity_years": "5",
            "review_cycle_years": "1", "review_warn_months": "2", "inactivity_months": "12",
            "categories": "综合行政执法\n市场监管", "versions": "全国统一样式\n2013版", "default_version": "全国统一样式",
            "issuing_authority": "", "public_url": "", "default_region": ""}
    data.update(over)
    return data


@pytest.mark.parametrize("bad", ["ftp://sfj.example.gov.cn", "sfj.example.gov.cn", "https://", "https://a.cn/?x=1",
                                 "https://" + "a" * 200 + ".cn"])
def test_bad_public_address_is_refused(client, db, certs, bad):
    login(client, certs.bureau)
    text = client.post("/certificates/settings", data=_settings_data(public_url=bad),
                       follow_redirects=True).get_data(as_text=True)
    assert "公开查询网址" in text and ("应为 http:// 或 https:// 开头的网址" in text or "不能超过200个字符" in text)
    assert settings.get("public_url") == ""


def test_settings_save_the_public_address_and_the_default_region(client, db, certs):
    login(client, certs.bureau)
    r = client.post("/certificates/settings", data=_settings_data(public_url=" https://sfj.example.gov.cn/ ",
                                                                  default_region="永安市行政区域"))
    assert r.status_code == 302
    db.session.expire_all()
    assert settings.get("public_url") == "https://sfj.example.gov.cn/"
    assert settings.get("default_region") == "永安市行政区域"
    assert pdf.verification_url("AB-1") == "https://sfj.example.gov.cn/verify/AB-1"


def test_region_defaults_to_the_region_name(client, db, certs):
    login(client, certs.org.users["dept_admin_a"])
    page = client.get(f"/certificates/applications/new?department_id={certs.org.town_a.id}").get_data(as_text=True)
    assert 'name="region" required type="text" value="永安市"' in page or 'value="永安市"' in page
    assert 'value="甲镇"' not in page
    settings.put("default_region", "永安市行政区域")
    db.session.commit()
    page = client.get(f"/certificates/applications/new?department_id={certs.org.town_a.id}").get_data(as_text=True)
    assert 'value="永安市行政区域"' in page


def test_imported_card_without_region_gets_the_default(db, certs):
    person = make_person(certs.org.town_a, "无区域")
    db.session.commit()
    row = {"证件编号": "350481202000301", "身份证号": person.id_number, "姓名": person.name, "单位编码": "X01-A",
           "执法类别": "综合行政执法", "执法区域": None, "发证机关": None, "发证日期": date(2020, 3, 1),
           "有效期至": date(date.today().year + 2, 2, 28), "证件状态": "有效", "证件版本": None, "最近执法日期": None}
    result = run_import(get_import_kind("certificates"),
                        io.BytesIO(xlsx_bytes([c.name for c in CERTIFICATE_COLUMNS], [[row[c.name] for c in CERTIFICATE_COLUMNS]])),
                        user=certs.bureau)
    assert result.ok, result.errors
    assert db.session.scalar(select(Certificate.region).where(Certificate.number == "350481202000301")) == "永安市"
