"""Certificate numbers and the public verification URL: patterns a URL cannot carry are refused,
and every existing number (even one with "/" or "?") is verified by the URL the pages and QR use."""
from urllib.parse import urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from intranet.models import AuditEvent, Setting
from intranet.testing import login, make_person

from intranet_certificates import pdf
from intranet_certificates.views.public import verify_url

SETTINGS = {"region_code": "350402", "number_pattern": "{region}{year}{serial:06d}", "validity_years": "3",
            "review_cycle_years": "2", "review_warn_months": "2", "inactivity_months": "12",
            "categories": "市场监管\n城市管理", "versions": "全国统一样式", "default_version": "全国统一样式",
            "issuing_authority": ""}


@pytest.mark.parametrize("pattern", ["{region}/{year}/{serial:05d}", "{region}?{serial:05d}", "{region}#{serial:05d}",
                                     "{region}%{serial:05d}", "{region} {serial:05d}", "{region}\\{serial:05d}"])
def test_pattern_that_cannot_sit_in_a_url_is_refused(client, db, certs, pattern):
    login(client, certs.bureau)
    html = client.post("/certificates/settings", data={**SETTINGS, "number_pattern": pattern},
                       follow_redirects=True).get_data(as_text=True)
    assert "编号规则只能包含汉字、字母、数字和 - _ . ~" in html
    db.session.expire_all()
    assert Setting.get("certificates.number_pattern") is None and Setting.get("certificates.region_code") is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "certificates.settings")) == 0


def test_url_safe_pattern_with_chinese_is_accepted(client, db, certs):
    login(client, certs.bureau)
    client.post("/certificates/settings", data={**SETTINGS, "number_pattern": "闽执-{year}-{serial:05d}"})
    db.session.expire_all()
    assert Setting.get("certificates.number_pattern") == "闽执-{year}-{serial:05d}"


def _path_and_query(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("number", ["闽/2019/00017", "A?1#2", "50%-off", "X 12", "/lead", "35048120240001"])
def test_any_existing_number_is_verified_by_its_url(app, client, db, certs, number):
    cert = certs.card(make_person(certs.org.town_a, "陈旧号"), commit=False)
    cert.number = number
    db.session.commit()
    with app.test_request_context("/"):
        urls = {verify_url(number), pdf.verification_url(number)}
    for url in urls:
        r = client.get(_path_and_query(url), follow_redirects=True)
        assert r.status_code == 200, url
        assert "陈旧号" in r.get_data(as_text=True)
    listed = client.get("/roster").get_data(as_text=True)
    with app.test_request_context("/"):
        assert str(escape(verify_url(number))) in listed  # the roster links through the same URL


def test_printed_qr_of_a_slash_number_still_works(client, db, certs):
    """Cards printed before this change encoded /verify/<number> with "/" left as is."""
    cert = certs.card(make_person(certs.org.town_a, "陈旧证"), commit=False)
    cert.number = "闽执/2019/00017"
    db.session.commit()
    r = client.get("/verify/闽执/2019/00017")
    assert r.status_code == 200 and "陈旧证" in r.get_data(as_text=True)


def test_card_url_without_a_request_uses_the_public_base(app):
    """A card rendered outside a request (command line) with CERTIFICATES_PUBLIC_URL set."""
    app.config["CERTIFICATES_PUBLIC_URL"] = "https://zfj.example.gov.cn/"
    assert pdf.verification_url("AB-1") == "https://zfj.example.gov.cn/verify/AB-1"
    assert pdf.verification_url("AB/1") == "https://zfj.example.gov.cn/verify?number=AB/1"
