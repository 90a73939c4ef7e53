"""Login, lockout, logout, password change, session version and session protection."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from intranet.auth import throttle
from intranet.auth.views import LOGIN_REFUSED
from intranet.models import AuditEvent, User
from intranet.security import load_user
from intranet.testing import PASSWORD, login, make_user


def post(client, url, data=None, **kwargs):
    g.pop("_login_user", None)
    return client.post(url, data=data or {}, **kwargs)


def get(client, url, **kwargs):
    g.pop("_login_user", None)
    return client.get(url, **kwargs)


def attempt(client, username, password):
    return post(client, "/login", {"username": username, "password": password}, follow_redirects=False)


def reload(db, user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_login_success_records_time_and_redirects(client, db, org):
    user = org.users["staff_a"]
    response = attempt(client, "zhangsan", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert reload(db, user).last_login_at is not None
    assert get(client, "/dashboard").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_message(client, db, org):
    for username in ("zhangsan", "nobody"):
        response = attempt(client, username, "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert reload(db, org.users["staff_a"]).failed_logins == 1
    assert get(client, "/dashboard").status_code == 302


def test_empty_fields_are_refused_with_chinese_messages(client, org):
    body = post(client, "/login", {"username": "", "password": ""}).get_data(as_text=True)
    assert "请输入用户名" in body and "请输入密码" in body


def test_inactive_user_cannot_log_in(client, db, org):
    org.users["staff_a"].active = False
    db.session.commit()
    body = attempt(client, "zhangsan", PASSWORD).get_data(as_text=True)
    assert "该账户已停用" in body
    assert get(client, "/dashboard").status_code == 302


def attempt_from(client, ip, username, password):
    return post(client, "/login", {"username": username, "password": password},
                environ_base={"REMOTE_ADDR": ip})


def test_lockout_is_per_client_and_ends_after_time(app, client, db, org, monkeypatch):
    user = org.users["staff_a"]
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        attempt_from(client, "10.0.0.66", "zhangsan", "wrong-password")
    assert reload(db, user).locked_until is None
    attempt_from(client, "10.0.0.66", "zhangsan", "wrong-password")
    assert reload(db, user).locked_until is not None  # shown on the users page
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lock"))
    assert event.object_id == str(user.id) and "10.0.0.66" in event.summary
    # the guessing client is refused even with the right password, with the usual answer
    response = attempt_from(client, "10.0.0.66", "zhangsan", PASSWORD)
    assert response.status_code == 200 and LOGIN_REFUSED in response.get_data(as_text=True)
    assert get(client, "/dashboard").status_code == 302
    # the real user elsewhere is not locked out
    assert attempt_from(app.test_client(), "10.0.0.7", "zhangsan", PASSWORD).status_code == 302
    # time passes: the guessing client may try again
    later = throttle.db_now() + timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"], seconds=1)
    monkeypatch.setattr(throttle, "db_now", lambda: later)
    assert attempt_from(client, "10.0.0.66", "zhangsan", PASSWORD).status_code == 302


def test_unknown_wrong_and_locked_answer_alike_after_the_same_work(app, client, db, org, monkeypatch):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        attempt(client, "zhangsan", "wrong-password")
    verified = []
    real_check = User.check_password
    monkeypatch.setattr(User, "check_password", lambda self, pw: verified.append(self.username) or real_check(self, pw))
    answers = {}
    for case, (username, password) in {"unknown": ("nobody", PASSWORD), "wrong": ("admin_a", "wrong-password"),
                                        "locked": ("zhangsan", PASSWORD)}.items():
        verified.clear()
        body = attempt(client, username, password).get_data(as_text=True)
        answers[case] = body.replace(f'value="{username}"', "")
        assert len(verified) == 1, case  # one argon2 verification each (a dummy hash for "unknown")
    assert answers["unknown"] == answers["wrong"] == answers["locked"]
    assert LOGIN_REFUSED in answers["locked"] and "锁定" not in answers["locked"]


def test_admin_unlock_lets_the_locked_client_in(app, client, db, org):
    user = org.users["staff_a"]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        attempt(client, "zhangsan", "wrong-password")
    assert LOGIN_REFUSED in attempt(client, "zhangsan", PASSWORD).get_data(as_text=True)
    admin = app.test_client()
    login(admin, org.users["admin"])
    admin.post(f"/users/{user.id}/unlock")
    assert attempt(client, "zhangsan", PASSWORD).status_code == 302


def test_logins_are_audited_with_the_client_address(client, db, org):
    user = org.users["staff_a"]
    attempt_from(client, "10.1.2.3", "zhangsan", "wrong-password")
    attempt_from(client, "10.1.2.3", "nobody", "wrong-password")
    attempt_from(client, "10.1.2.3", "zhangsan", PASSWORD)
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
                                     AuditEvent.ip).order_by(AuditEvent.id)).all()
    assert [tuple(r) for r in rows] == [
        ("login_failed", "user", str(user.id), "10.1.2.3"),
        ("login_failed", "login", "nobody", "10.1.2.3"),
        ("login", "user", str(user.id), "10.1.2.3"),
    ]
    assert all(PASSWORD not in e.summary for e in db.session.scalars(select(AuditEvent)))


def test_successful_login_resets_failure_count(client, db, org):
    attempt(client, "zhangsan", "wrong-password")
    attempt(client, "zhangsan", "wrong-password")
    assert reload(db, org.users["staff_a"]).failed_logins == 2
    attempt(client, "zhangsan", PASSWORD)
    assert reload(db, org.users["staff_a"]).failed_logins == 0


def test_logout_is_post_only(client, org):
    login(client, org.users["staff_a"])
    assert get(client, "/dashboard").status_code == 200
    response = post(client, "/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert get(client, "/dashboard").status_code == 302


def test_authenticated_user_visiting_login_goes_to_dashboard(client, org):
    login(client, org.users["staff_a"])
    response = get(client, "/login")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


def test_anonymous_is_sent_to_login_with_next(client, org):
    response = get(client, "/people/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    response = post(client, "/login?next=%2Fpeople%2F", {"username": "zhangsan", "password": PASSWORD})
    assert response.headers["Location"] == "/people/"


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "http:/evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "evil.example", "/\r\nSet-Cookie: x=1", " //evil.example",
])
def test_next_never_leaves_the_site(client, org, target):
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD},
                    query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_next_keeps_a_local_path_with_query(client, org):
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD},
                    query_string={"next": "/people/?page=2"})
    assert response.headers["Location"] == "/people/?page=2"


# --- password change -------------------------------------------------------------------------

NEW = "another-pass-2"


@pytest.mark.parametrize("data,message", [
    ({"current": "wrong-password", "new": NEW, "confirm": NEW}, "当前密码不正确"),
    ({"current": PASSWORD, "new": "short", "confirm": "short"}, "新密码长度应为8"),
    ({"current": PASSWORD, "new": NEW, "confirm": "different-1"}, "两次输入的新密码不一致"),
    ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, "新密码不能与当前密码相同"),
    ({"current": "", "new": "", "confirm": ""}, "请输入当前密码"),
])
def test_password_change_refuses_bad_input(client, db, org, data, message):
    user = org.users["staff_a"]
    login(client, user)
    response = post(client, "/password", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    fresh = reload(db, user)
    assert fresh.check_password(PASSWORD) and fresh.session_version == 1


@pytest.mark.parametrize("new,message", [("12345678", "过于简单"), ("password123", "过于简单"),
                                         ("x-zhangsan-9", "不能包含用户名")])
def test_password_change_refuses_weak_passwords(client, db, org, new, message):
    login(client, org.users["staff_a"])
    body = post(client, "/password", {"current": PASSWORD, "new": new, "confirm": new}).get_data(as_text=True)
    assert message in body
    assert reload(db, org.users["staff_a"]).check_password(PASSWORD)


def test_admin_password_change_needs_ten_characters(client, db, org):
    login(client, org.users["admin"])
    body = post(client, "/password", {"current": PASSWORD, "new": "Qz7-kpR4", "confirm": "Qz7-kpR4"})
    assert "密码至少10位" in body.get_data(as_text=True)
    assert reload(db, org.users["admin"]).check_password(PASSWORD)


def test_password_change_ends_other_sessions_but_not_this_one(app, client, db, org):
    user = org.users["staff_a"]
    other = app.test_client()
    login(other, user)
    login(client, user)
    response = post(client, "/password", {"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert response.status_code == 302
    fresh = reload(db, user)
    assert fresh.check_password(NEW) and fresh.session_version == 2
    assert get(client, "/dashboard").status_code == 200
    response = get(other, "/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password"))
    assert event.actor_id == user.id and NEW not in str(event.before) + str(event.after) + event.summary


def test_password_page_needs_login(client, org):
    response = get(client, "/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- session id, session protection ------------------------------------------------------------

def test_session_id_carries_the_version(db, org):
    user = org.users["staff_a"]
    assert user.get_id() == f"{user.id}:1"
    assert load_user(f"{user.id}:1") is user
    user.session_version = 2
    db.session.commit()
    assert load_user(f"{user.id}:1") is None
    assert load_user(f"{user.id}:2") is user
    for bad in ("", "abc", f"{user.id}", f"{user.id}:x", "999999:1", f"{user.id}:2:3"):
        assert load_user(bad) is None


def test_bumped_session_version_logs_out_even_with_remember_cookie(app, client, db, org):
    user = org.users["staff_a"]
    post(client, "/login", {"username": "zhangsan", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None
    user = reload(db, user)
    user.session_version += 1
    db.session.commit()
    response = get(client, "/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_strong_session_protection_drops_a_stolen_session(client, org):
    post(client, "/login", {"username": "zhangsan", "password": PASSWORD},
         headers={"User-Agent": "browser-a"})
    assert get(client, "/dashboard", headers={"User-Agent": "browser-a"}).status_code == 200
    response = get(client, "/dashboard", headers={"User-Agent": "browser-b"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # and the session is gone for the original browser too
    assert get(client, "/dashboard", headers={"User-Agent": "browser-a"}).status_code == 302


def test_remember_me_cookie_lasts_at_most_14_days(client, org):
    response = post(client, "/login", {"username": "zhangsan", "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    expires = client.get_cookie("remember_token").expires
    assert expires is not None
    assert expires - datetime.now(expires.tzinfo) <= timedelta(days=14, minutes=1)
    assert expires - datetime.now(expires.tzinfo) > timedelta(days=13)


def test_without_remember_me_there_is_no_remember_cookie(client, org):
    post(client, "/login", {"username": "zhangsan", "password": PASSWORD})
    assert client.get_cookie("remember_token") is None


def test_other_users_are_unaffected_by_one_users_version_bump(app, client, db, org):
    other = app.test_client()
    login(other, org.users["dept_admin_a"])
    user = reload(db, org.users["staff_a"])
    user.session_version += 1
    db.session.commit()
    assert get(other, "/dashboard").status_code == 200


def test_make_user_password_is_checked_by_argon2(db, org):
    user = make_user("staff", org.town_a, username="argon")
    assert user.password_hash.startswith("$argon2")
    assert user.check_password(PASSWORD) and not user.check_password("nope")
    user.password_hash = "not-a-hash"
    assert not user.check_password(PASSWORD)


# --- logout ends the session on the server -----------------------------------------------------

def replay(app, cookies: dict):
    """A fresh client carrying only ``cookies`` (name -> value) captured from another one."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def test_a_session_cookie_captured_before_logout_is_dead_after_it(app, client, db, org):
    login(client, org.users["staff_a"])
    captured = {"session": client.get_cookie("session").value}
    assert get(replay(app, captured), "/dashboard").status_code == 200
    post(client, "/logout")
    response = get(replay(app, captured), "/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "logout"


def test_a_remember_cookie_captured_before_logout_is_dead_after_it(app, client, db, org):
    post(client, "/login", {"username": "zhangsan", "password": PASSWORD, "remember": "y"})
    captured = {"remember_token": client.get_cookie("remember_token").value}
    assert get(replay(app, captured), "/dashboard").status_code == 200
    post(client, "/logout")
    assert client.get_cookie("remember_token") is None  # deleted in the browser too
    response = get(replay(app, captured), "/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_password_change_ends_a_remembered_session_elsewhere(app, client, db, org):
    other = app.test_client()
    post(other, "/login", {"username": "zhangsan", "password": PASSWORD, "remember": "y"})
    captured = {"remember_token": other.get_cookie("remember_token").value}
    login(client, org.users["staff_a"])
    post(client, "/password", {"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert get(replay(app, captured), "/dashboard").status_code == 302
    assert get(other, "/dashboard").status_code == 302


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_csrf_token_changes_at_login(client, org):
    from intranet.testing import csrf_token
    before = csrf_token(client, "/login")
    with client.session_transaction() as sess:
        raw_before = sess["csrf_token"]
    post(client, "/login", {"username": "zhangsan", "password": PASSWORD, "csrf_token": before})
    assert get(client, "/dashboard").status_code == 200
    csrf_token(client, "/password")
    with client.session_transaction() as sess:
        assert sess["csrf_token"] != raw_before


# --- a password an administrator set is changed at first login ---------------------------------

def test_a_new_account_must_change_its_password_before_anything_else(client, db, org):
    login(client, org.users["admin"])
    client.post("/users/new", data={"username": "xinren", "display_name": "新人", "role": "staff",
                                    "department": str(org.town_a.id), "password": "Qz7-kpR4-first",
                                    "confirm": "Qz7-kpR4-first"})
    newcomer = db.session.scalar(select(User).where(User.username == "xinren"))
    assert newcomer is not None and newcomer.must_change_password
    login(client, newcomer, "Qz7-kpR4-first")
    for url in ("/dashboard", "/people/", "/admin/audit"):
        response = get(client, url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/password"), url
    answer = get(client, "/people/", headers={"Accept": "application/json"})
    assert answer.status_code == 403 and "请先修改" in answer.get_json()["error"]
    assert "请先设置只有您自己知道的新密码" in get(client, "/password").get_data(as_text=True)
    changed = post(client, "/password", {"current": "Qz7-kpR4-first", "new": "mine-only-42x",
                                          "confirm": "mine-only-42x"})
    assert changed.status_code == 302
    assert not reload(db, newcomer).must_change_password
    assert get(client, "/dashboard").status_code == 200


def test_a_reset_password_must_be_changed_again(client, db, org):
    target = org.users["staff_a"]
    login(client, org.users["admin"])
    post(client, f"/users/{target.id}/password", {"password": "Reset-pw-9931", "confirm": "Reset-pw-9931",
                                                  "reason": "忘记密码"})
    assert reload(db, target).must_change_password
    login(client, target, "Reset-pw-9931")
    assert get(client, "/dashboard").headers["Location"].endswith("/password")
    assert post(client, "/logout").status_code == 302


@pytest.mark.parametrize("hops, seen", [(0, "127.0.0.1"), (1, "10.9.8.7")])
def test_client_address_behind_a_proxy_only_when_trusted(app, db, org, hops, seen):
    """PROXY_HOPS=1 believes the proxy's X-Forwarded-For; by default a forged header is ignored."""
    from intranet import _trust_proxies
    app.config["PROXY_HOPS"] = hops
    _trust_proxies(app)
    client = app.test_client()
    g.pop("_login_user", None)
    client.post("/login", data={"username": "zhangsan", "password": "wrong-password"},
                headers={"X-Forwarded-For": "10.9.8.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    [ip] = db.session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "login_failed"))
    assert ip == seen


def test_a_request_that_changes_nothing_does_not_store_the_session(app, client, db, org, monkeypatch):
    """Parallel requests of one page must not overwrite each other's session (a lost flash)."""
    from intranet.testing import login, make_user
    user = make_user("admin", org.county)
    db.session.commit()
    login(client, user)
    client.get("/dashboard")
    store = app.config["SESSION_CACHELIB"]
    written = []
    real = store.set
    monkeypatch.setattr(store, "set", lambda *a, **k: written.append(a[0]) or real(*a, **k))
    assert client.get("/people/").status_code == 200
    assert written == []
