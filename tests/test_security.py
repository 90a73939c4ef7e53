"""CSRF, rate limiting, security headers, cookie flags and the Chinese error pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import abort, g
from sqlalchemy import func, select

from intranet import create_app
from intranet.models import User
from intranet.security import CSRF_MESSAGE, ERROR_MESSAGES
from intranet import testing
from intranet.testing import BASE_CONFIG, PASSWORD, login

CSRF_ON = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
LIMITED = pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}])
NO_PROPAGATION = pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])


def post(client, url, data=None, **kwargs):
    g.pop("_login_user", None)
    return client.post(url, data=data or {}, **kwargs)


def get(client, url, **kwargs):
    g.pop("_login_user", None)
    return client.get(url, **kwargs)


def csrf_token(client, url="/login") -> str:
    g.pop("_login_user", None)
    return testing.csrf_token(client, url)


def login_with_token(client, user):
    token = csrf_token(client)
    response = post(client, "/login", {"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def count_users(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


# --- CSRF ------------------------------------------------------------------------------------

@CSRF_ON
def test_login_without_token_is_refused(client, org):
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert get(client, "/dashboard").status_code == 302


@CSRF_ON
def test_post_without_token_changes_nothing(client, db, org):
    login_with_token(client, org.users["admin"])
    before = count_users(db)
    data = {"username": "csrfvictim", "display_name": "某", "role": "staff", "department": str(org.town_a.id),
            "password": "initial-pass-1", "confirm": "initial-pass-1"}
    response = post(client, "/users/new", data)
    assert response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)
    assert count_users(db) == before
    target = org.users["staff_a"]
    response = post(client, f"/users/{target.id}/deactivate")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, target.id).active
    response = post(client, "/logout")
    assert response.status_code == 400
    assert get(client, "/dashboard").status_code == 200  # still logged in
    # with the token the same request goes through
    token = csrf_token(client, "/users/new")
    assert post(client, "/users/new", {**data, "csrf_token": token}).status_code == 302
    assert count_users(db) == before + 1


@CSRF_ON
def test_csrf_error_as_json(client, org):
    response = post(client, "/login?format=json", {"username": "x", "password": "y"})
    assert response.status_code == 400
    assert response.get_json() == {"error": CSRF_MESSAGE, "status": 400}


@CSRF_ON
def test_every_form_page_carries_a_token(client, org):
    login_with_token(client, org.users["admin"])
    target = org.users["staff_a"]
    for url in ("/password", "/users/new", f"/users/{target.id}", f"/users/{target.id}/password"):
        body = get(client, url).get_data(as_text=True)
        forms = body.count("<form method=\"post\"")
        assert forms and body.count('name="csrf_token"') >= forms, url


# --- rate limiting -----------------------------------------------------------------------------

@LIMITED
def test_login_posts_are_rate_limited(client, org):
    for _ in range(3):
        assert post(client, "/login", {"username": "zhangsan", "password": "wrong"}).status_code == 200
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 429
    assert ERROR_MESSAGES[429] in response.get_data(as_text=True)
    assert get(client, "/dashboard").status_code == 302  # the right password did not get through
    assert get(client, "/login").status_code == 200  # only POST is limited
    response = post(client, "/login?format=json", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 429 and response.get_json()["error"] == ERROR_MESSAGES[429]


@LIMITED
def test_rate_limit_counts_start_afresh_for_each_app(client, org):
    """The test above used up its limit; a new app (and this test) starts from zero."""
    for _ in range(3):
        assert post(client, "/login", {"username": "zhangsan", "password": "wrong"}).status_code == 200


def test_rate_limit_is_off_when_the_app_says_so(client, org):
    for _ in range(40):
        assert post(client, "/login", {"username": "zhangsan", "password": "wrong"}).status_code == 200


def test_rate_limiting_defaults_to_on_whatever_other_apps_chose(database):
    config = {k: v for k, v in BASE_CONFIG.items() if k != "RATELIMIT_ENABLED"}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": database.url, "LOGIN_RATE_LIMIT": "2 per minute"})
    assert app.config["RATELIMIT_ENABLED"] is True
    # a disabled app made afterwards does not switch the first one off
    create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database.url})
    client = app.test_client()
    with app.app_context():
        codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(3)]
        from intranet.extensions import db
        db.session.remove()
        db.engine.dispose()
    assert codes == [200, 200, 429]


# --- headers and cookies --------------------------------------------------------------------------

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize("url", ["/login", "/no-such-page", "/static/app.css", "/dashboard", "/logout",
                                 "/no-such-page?format=json"])
def test_security_headers_on_every_response(client, org, url):
    response = get(client, url)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (url, name)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_logged_in_pages_are_not_cached(client, org):
    login(client, org.users["admin"])
    assert get(client, "/users/").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, org):
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # a browser-session cookie unless "remember me"


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True}])
def test_secure_cookies_when_configured(client, org):
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD, "remember": "y"},
                    base_url="https://localhost")
    cookies = response.headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in cookies if c.startswith(("session=", "remember_token=")))


@pytest.mark.parametrize("app_config", [{"REMEMBER_COOKIE_DURATION": 30 * 24 * 3600}])
def test_remember_duration_is_capped_at_14_days(app):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


@pytest.mark.parametrize("app_config", [{"REMEMBER_COOKIE_DURATION": timedelta(days=7)}])
def test_shorter_remember_duration_is_kept(app):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)


# --- error pages -----------------------------------------------------------------------------------

def assert_chinese_error(response, code, json=False):
    assert response.status_code == code
    if json:
        assert response.get_json() == {"error": ERROR_MESSAGES[code], "status": code}
    else:
        body = response.get_data(as_text=True)
        assert ERROR_MESSAGES[code] in body and '<html lang="zh-CN">' in body
        assert "Traceback" not in body and "Werkzeug" not in body


@pytest.mark.parametrize("as_json", [False, True])
def test_error_pages_404_403_405(client, org, as_json):
    headers = {"Accept": "application/json"} if as_json else {}
    assert_chinese_error(get(client, "/no-such-page", headers=headers), 404, as_json)
    assert_chinese_error(get(client, "/logout", headers=headers), 405, as_json)
    login(client, org.users["staff_a"])
    assert_chinese_error(get(client, "/users/", headers=headers), 403, as_json)


def test_anonymous_json_caller_gets_401(client, org):
    response = get(client, "/users/?format=json")
    assert response.status_code == 401 and response.get_json()["error"] == "请先登录"


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}])
@pytest.mark.parametrize("as_json", [False, True])
def test_error_page_413(client, org, as_json):
    url = "/login?format=json" if as_json else "/login"
    response = post(client, url, {"username": "x" * 4096, "password": "y"})
    assert_chinese_error(response, 413, as_json)


@pytest.mark.parametrize("as_json", [False, True])
def test_error_page_400_and_custom_message(app, client, org, as_json):
    app.add_url_rule("/test-bad", "test_bad", lambda: abort(400))
    app.add_url_rule("/test-custom", "test_custom", lambda: abort(404, "证件编号不存在"))
    app.add_url_rule("/test-english", "test_english", lambda: abort(404, "No such thing, traceback"))
    suffix = "?format=json" if as_json else ""
    assert_chinese_error(get(client, "/test-bad" + suffix), 400, as_json)
    response = get(client, "/test-custom" + suffix)
    assert response.status_code == 404
    assert "证件编号不存在" == response.get_json()["error"] if as_json else "证件编号不存在" in response.get_data(as_text=True)
    assert_chinese_error(get(client, "/test-english" + suffix), 404, as_json)


def _boom():
    raise RuntimeError("secret stack detail")


@NO_PROPAGATION
@pytest.mark.parametrize("as_json", [False, True])
def test_error_page_500_shows_no_stack_trace(app, client, org, as_json):
    app.add_url_rule("/test-boom", "test_boom", _boom)
    response = get(client, "/test-boom" + ("?format=json" if as_json else ""))
    assert_chinese_error(response, 500, as_json)
    assert "secret stack detail" not in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


@NO_PROPAGATION
def test_error_page_500_survives_a_broken_layout(app, client, org, monkeypatch):
    app.add_url_rule("/test-boom", "test_boom", _boom)

    def broken(*args, **kwargs):
        raise RuntimeError("layout is broken too")
    monkeypatch.setattr("intranet.security.render_template", broken)
    response = get(client, "/test-boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and ERROR_MESSAGES[500] in body
    assert "layout is broken" not in body and "secret stack detail" not in body


def test_json_requests_and_json_views_get_json_errors(app, client, org):
    from flask import abort

    from intranet.access import json_view, roles_required
    app.add_url_rule("/test-json-view", "test_json_view", json_view(roles_required("admin")(lambda: abort(404))),
                     methods=["POST"])
    app.add_url_rule("/test-html-view", "test_html_view", roles_required("admin")(lambda: abort(404)),
                     methods=["POST"])
    login(client, org.users["admin"])
    html = {"Accept": "text/html"}
    marked = client.post("/test-json-view", data={"a": "1"}, headers=html)
    assert marked.status_code == 404 and marked.get_json() == {"error": "页面或记录不存在", "status": 404}
    sent_json = client.post("/test-html-view", json={"a": 1}, headers=html)
    assert sent_json.status_code == 404 and sent_json.is_json
    plain = client.post("/test-html-view", data={"a": "1"}, headers=html)
    assert plain.status_code == 404 and not plain.is_json and "页面或记录不存在" in plain.get_data(as_text=True)
    g.pop("_login_user", None)
    anonymous = app.test_client().post("/test-json-view", headers=html)
    assert anonymous.status_code == 401 and anonymous.is_json


def test_cookies_are_secure_by_default_outside_debug_and_tests(database, monkeypatch):
    base = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database.url}
    production = create_app({**base, "TESTING": False})
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_SECURE"]
    assert production.config["SESSION_COOKIE_HTTPONLY"] and production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not create_app({**base, "TESTING": False, "DEBUG": True}).config["SESSION_COOKIE_SECURE"]
    assert not create_app(base).config["SESSION_COOKIE_SECURE"]  # tests
    monkeypatch.setenv("INTRANET_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("INTRANET_REMEMBER_COOKIE_SECURE", "false")
    plain_http = create_app({**base, "TESTING": False})
    assert not plain_http.config["SESSION_COOKIE_SECURE"] and not plain_http.config["REMEMBER_COOKIE_SECURE"]


def readable_parts(cookie_value: str) -> str:
    """Whatever text a signed Flask cookie would reveal: its base64 payload, inflated if compressed."""
    import base64
    import zlib
    payload = cookie_value.lstrip(".").split(".")[0]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except ValueError:
        return cookie_value
    if cookie_value.startswith("."):
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
    return cookie_value + raw.decode("utf-8", "replace")


def test_the_session_cookie_carries_no_names(client, db, org):
    from intranet.testing import make_id
    login(client, org.users["dept_admin_a"])
    response = client.post("/people/new", data={"name": "李四", "id_number": make_id(), "department_id": org.town_a.id,
                                                "title": "执法队员", "staffing": "行政编制", "enforcement_post": "y"})
    assert response.status_code == 302
    cookie = client.get_cookie("session").value
    for word in ("李四", "已添加人员", "_flashes", "_user_id"):
        assert word not in readable_parts(cookie)
    assert "已添加人员 李四" in client.get(response.headers["Location"]).get_data(as_text=True)  # kept server-side


def test_no_template_has_inline_script():
    """The CSP runs scripts from this site only: an onclick= or javascript: link would do nothing."""
    import re

    from intranet.config import REPO_ROOT
    inline = re.compile(r"\son[a-z]+\s*=|javascript:|<script(?![^>]*\ssrc=)", re.I)
    found = [f"{path.relative_to(REPO_ROOT)}: {m.group(0)}"
             for path in [*REPO_ROOT.glob("templates/**/*.html"), *REPO_ROOT.glob("plugins/*/*/templates/**/*.html")]
             for m in inline.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
