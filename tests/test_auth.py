"""Login, lockout, logout, password change, session version and session protection."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

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


def test_lockout_after_max_failures_and_unlock_after_time(app, client, db, org):
    user = org.users["staff_a"]
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        attempt(client, "zhangsan", "wrong-password")
    assert reload(db, user).locked_until is None
    attempt(client, "zhangsan", "wrong-password")
    locked = reload(db, user)
    assert locked.locked_until is not None and locked.locked_until > datetime.now()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lock"))
    assert event.object_id == str(user.id)
    # while locked, even the right password is refused, with the lock message
    response = attempt(client, "zhangsan", PASSWORD)
    assert response.status_code == 200
    assert "账户已锁定" in response.get_data(as_text=True)
    assert "15 分钟" in response.get_data(as_text=True) or "分钟后再试" in response.get_data(as_text=True)
    assert get(client, "/dashboard").status_code == 302
    # time passes: the lock has expired
    locked.locked_until = datetime.now() - timedelta(seconds=1)
    db.session.commit()
    assert attempt(client, "zhangsan", PASSWORD).status_code == 302
    unlocked = reload(db, user)
    assert unlocked.locked_until is None and unlocked.failed_logins == 0


def test_successful_login_resets_failure_count(client, db, org):
    attempt(client, "zhangsan", "wrong-password")
    attempt(client, "zhangsan", "wrong-password")
    assert reload(db, org.users["staff_a"]).failed_logins == 2
    attempt(client, "zhangsan", PASSWORD)
    assert reload(db, org.users["staff_a"]).failed_logins == 0


def test_logout_is_post_only(client, org):
    login(client, org.users["staff_a"])
    assert get(client, "/logout").status_code == 405
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
