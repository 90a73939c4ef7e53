"""Public pages: verification by number (HTML and JSON), the published roster, the rate limit."""
from datetime import date, timedelta

import pytest

from intranet.testing import make_person


def test_verify_valid_card(client, db, certs):
    person = make_person(certs.org.town_a, "陈公开")
    cert = certs.card(person, category="市场监管", region="甲镇辖区")
    r = client.get(f"/verify/{cert.number}")
    text = r.get_data(as_text=True)
    assert r.status_code == 200
    for word in ("有效", "陈公开", "甲镇", "市场监管", "甲镇辖区", cert.valid_until.isoformat(), cert.number):
        assert word in text
    assert person.id_number not in text and person.masked_id_number not in text
    data = client.get(f"/verify/{cert.number}?format=json").get_json()
    assert data == {"number": cert.number, "status": "有效", "valid": True, "holder": "陈公开", "unit": "甲镇",
                    "category": "市场监管", "region": "甲镇辖区", "valid_until": cert.valid_until.isoformat(),
                    "issuing_authority": cert.issuing_authority}
    assert "id_number" not in str(data) and person.id_number not in str(data)


@pytest.mark.parametrize("status", ["暂扣", "收回", "注销", "过期"])
def test_verify_shows_each_status(client, db, certs, status):
    cert = certs.card(status=status)
    assert client.get(f"/verify/{cert.number}?format=json").get_json()["status"] == status
    assert f">{status}<" in client.get(f"/verify/{cert.number}").get_data(as_text=True)


def test_card_past_its_date_shows_expired_before_the_job_runs(client, db, certs):
    cert = certs.card(issued_on=date(2018, 1, 1), valid_until=date.today() - timedelta(days=1))
    assert cert.status == "有效"
    assert client.get(f"/verify/{cert.number}?format=json").get_json()["status"] == "过期"


def test_unknown_number_is_a_clear_404(client, db, certs):
    r = client.get("/verify/350481209999999")
    text = r.get_data(as_text=True)
    assert r.status_code == 404
    assert "未查询到编号为 350481209999999 的行政执法证" in text and "Traceback" not in text
    r = client.get("/verify/350481209999999?format=json")
    assert r.status_code == 404 and "未查询到" in r.get_json()["error"]


# (a NUL character is refused before any view by the core's input guard: tests/test_inputs.py)
@pytest.mark.parametrize("path", ["/verify/no/such/number", "/verify/%20", "/verify/" + "9" * 300, "/verify/%E4%B8%AD%E6%96%87",
                                  "/verify/%FF"])
def test_anything_that_is_not_our_number_is_the_public_not_found_page(client, db, certs, path):
    r = client.get(path)
    text = r.get_data(as_text=True)
    assert r.status_code == 404
    assert "查无此证" in text and "重新查验" in text
    assert 'class="public-header"' in text and "error-page" not in text   # not the intranet's 404


def test_login_page_links_to_the_public_pages(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<a href="/verify">行政执法证查验</a>' in html
    assert '<a href="/roster">行政执法人员公示</a>' in html


def test_search_form(client, db, certs):
    cert = certs.card()
    page = client.get("/verify")
    assert page.status_code == 200 and 'name="number"' in page.get_data(as_text=True)
    r = client.get(f"/verify?number={cert.number}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/verify/{cert.number}")
    r = client.get("/verify?number=")
    assert "请输入证件编号" in r.get_data(as_text=True)


def test_public_views_are_marked(app):
    for endpoint in ("certificates_public.verify", "certificates_public.verify_form", "certificates_public.roster"):
        assert getattr(app.view_functions[endpoint], "public", False)
    private = [e for e, f in app.view_functions.items() if e.startswith("certificates.") and getattr(f, "public", False)]
    assert private == []


def test_roster_lists_valid_holders_only(client, db, certs, app):
    valid = certs.card(make_person(certs.org.town_a, "周有效"))
    certs.card(make_person(certs.org.town_a, "吴注销"), status="注销")
    certs.card(make_person(certs.org.market, "郑市场"), certs.org.market)
    text = client.get("/roster").get_data(as_text=True)
    assert "周有效" in text and "郑市场" in text and "吴注销" not in text
    assert valid.person.id_number not in text
    text = client.get("/roster?q=市场监督").get_data(as_text=True)
    assert "郑市场" in text and "周有效" not in text


def test_roster_paginates(client, db, certs, app):
    app.config["PER_PAGE"] = 3
    for i in range(7):
        certs.card(make_person(certs.org.town_a, f"花名{i}"))
    first = client.get("/roster").get_data(as_text=True)
    assert "第 1 / 3 页" in first and first.count("花名") == 3
    last = client.get("/roster?page=3").get_data(as_text=True)
    assert last.count("花名") == 1


class TestRateLimit:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"UPLOAD_FOLDER": str(tmp_path), "RATELIMIT_ENABLED": True, "CERTIFICATES_VERIFY_LIMIT": "5 per minute"}

    def test_verify_is_rate_limited(self, client, db, certs):
        from intranet.extensions import limiter
        limiter.reset()
        cert = certs.card()
        statuses = [client.get(f"/verify/{cert.number}").status_code for _ in range(6)]
        assert statuses[:5] == [200] * 5 and statuses[5] == 429
        r = client.get(f"/verify/{cert.number}")
        assert r.status_code == 429 and "请求过于频繁" in r.get_data(as_text=True)
        r = client.get(f"/verify/{cert.number}?format=json")
        assert r.status_code == 429 and "请求过于频繁" in r.get_json()["error"]
        limiter.reset()

    def test_default_limit_is_sixty_a_minute(self, app):
        assert app.config["CERTIFICATES_VERIFY_LIMIT"] == "5 per minute"
        from intranet_certificates.plugin import configure_app
        fresh = type("A", (), {"config": {}})()
        configure_app(fresh)
        assert fresh.config["CERTIFICATES_VERIFY_LIMIT"] == "60 per minute"


@pytest.mark.parametrize("status", ["收回", "注销", "过期"])
def test_an_ended_card_is_answered_without_the_holders_name(client, db, certs, status):
    cert = certs.card(make_person(certs.org.town_a, "孙已停"), status=status)
    data = client.get(f"/verify/{cert.number}?format=json").get_json()
    assert data["status"] == status and data["holder"] is None and data["unit"] == "甲镇"
    text = client.get(f"/verify/{cert.number}").get_data(as_text=True)
    assert "孙已停" not in text and "不公开持证人姓名" in text


def test_a_suspended_card_still_names_its_holder(client, db, certs):
    cert = certs.card(make_person(certs.org.town_a, "李暂扣"), status="暂扣")
    assert client.get(f"/verify/{cert.number}?format=json").get_json()["holder"] == "李暂扣"


class TestRosterRateLimit:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"UPLOAD_FOLDER": str(tmp_path), "RATELIMIT_ENABLED": True, "CERTIFICATES_VERIFY_LIMIT": "5 per minute"}

    def test_roster_is_rate_limited(self, client, db, certs):
        from intranet.extensions import limiter
        limiter.reset()
        statuses = [client.get(f"/roster?q=x{i}").status_code for i in range(6)]
        assert statuses[:5] == [200] * 5 and statuses[5] == 429
        limiter.reset()
