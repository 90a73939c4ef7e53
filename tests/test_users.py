"""Users (logins): list, create, edit, deactivate/reactivate, reset password, unlock."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from intranet.models import AuditEvent, User
from intranet.testing import PASSWORD, logged_in_client, login, make_department, make_person, make_user

NEW_PASSWORD = "brand-new-pass-9"


@pytest.fixture
def app_config():
    return {"PER_PAGE": 3}


def fetch(client, url, **kwargs):
    """A request as whoever ``client`` is logged in as (pytest-flask shares ``g`` between clients)."""
    g.pop("_login_user", None)
    return client.get(url, **kwargs)


def send(client, url, data=None, **kwargs):
    g.pop("_login_user", None)
    return client.post(url, data=data or {}, **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


def user_named(db, username) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def events(db, action, object_id=None):
    stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_type == "user")
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(db.session.scalars(stmt))


def new_user_data(**overrides):
    data = {"username": "wangwu", "display_name": "王五", "role": "staff", "department": "",
            "person": "", "password": "initial-pass-1", "confirm": "initial-pass-1"}
    data.update(overrides)
    return data


# --- access -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["dept_admin_a", "staff_a", "inspector"])
def test_only_admin_and_bureau_manage_users(client, db, org, role):
    login(client, org.users[role])
    assert fetch(client, "/users/").status_code == 403
    assert fetch(client, "/users/new").status_code == 403
    target = org.users["staff_a"]
    assert send(client, f"/users/{target.id}/deactivate").status_code == 403
    assert send(client, f"/users/{target.id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 403
    user = user_named(db, "zhangsan")
    assert user.active and user.check_password(PASSWORD)


def test_anonymous_is_sent_to_login(client, org):
    response = client.get("/users/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- list ---------------------------------------------------------------------------------

def test_list_search_filter_and_paginate(client, db, org):
    login(client, org.users["admin"])
    body = text(fetch(client, "/users/"))
    assert "第 1 / 2 页" in body and "admin_a" in body and "zhangsan" not in body  # 6 users, 3 a page
    body = text(fetch(client, "/users/?page=2"))
    assert "第 2 / 2 页" in body and "zhangsan" in body and "admin_a" not in body
    body = text(fetch(client, "/users/?q=zhang"))
    assert "zhangsan" in body and "admin_b" not in body
    body = text(fetch(client, "/users/?role=dept_admin"))
    assert "admin_a" in body and "admin_b" in body and "zhangsan" not in body
    body = text(fetch(client, f"/users/?department={org.town_a.id}"))
    assert "admin_a" in body and "zhangsan" in body and "admin_b" not in body
    body = text(fetch(client, f"/users/?department={org.county.id}&role=dept_admin"))
    assert "admin_a" in body and "admin_b" in body
    org.users["staff_a"].active = False
    db.session.commit()
    body = text(fetch(client, "/users/?status=inactive"))
    assert "zhangsan" in body and "admin_a" not in body
    # nonsense filter values are ignored, not a 500
    assert fetch(client, "/users/?role=nope&status=nope&page=abc").status_code == 200


def test_scoped_bureau_sees_and_manages_only_its_subtree(client, db, org):
    county_bureau = make_user("bureau", org.county, username="xsfj")
    outsider = make_user("staff", org.market, username="outsider")
    db.session.commit()
    login(client, county_bureau)
    body = text(fetch(client, "/users/?role=staff"))
    assert "zhangsan" in body and "outsider" not in body
    assert fetch(client, f"/users/{outsider.id}").status_code == 403
    assert send(client, f"/users/{outsider.id}/deactivate").status_code == 403
    assert user_named(db, "outsider").active
    assert fetch(client, f"/users/?department={org.market.id}").status_code == 403
    # cannot create a login outside its subtree, nor one without a department
    before = user_count(db)
    body = text(send(client, "/users/new", new_user_data(department=str(org.market.id))))
    assert "不在您的管理范围内" in body
    body = text(send(client, "/users/new", new_user_data(role="inspector", department="")))
    assert "请选择单位" in body
    assert user_count(db) == before


# --- create -------------------------------------------------------------------------------

def test_create_user_with_person(client, db, org):
    person = make_person(org.town_a, "李四")
    db.session.commit()
    login(client, org.users["admin"])
    assert "新建账户" in text(fetch(client, "/users/new"))
    response = send(client, "/users/new", new_user_data(
        username="lisi", display_name="李四", department=str(org.town_a.id), person=person.id_number))
    assert response.status_code == 302
    user = user_named(db, "lisi")
    assert (user.role, user.department_id, user.person_id, user.active) == ("staff", org.town_a.id, person.id, True)
    assert user.check_password("initial-pass-1")
    [event] = events(db, "create", user.id)
    assert event.actor_id == org.users["admin"].id
    assert event.after["username"] == "lisi" and event.after["person"] == person.id
    dumped = json.dumps([event.before, event.after, event.summary], ensure_ascii=False)
    assert "initial-pass-1" not in dumped and user.password_hash not in dumped and "password" not in dumped
    # the new login works
    g.pop("_login_user", None)
    client2 = client.application.test_client()
    assert send(client2, "/login", {"username": "lisi", "password": "initial-pass-1"}).status_code == 302


def test_create_links_person_by_number_and_prefills_from_person_page(client, db, org):
    person = make_person(org.town_b, "赵六")
    db.session.commit()
    login(client, org.users["bureau"])
    body = text(fetch(client, f"/users/new?person={person.id}"))
    assert 'value="赵六"' in body and f'value="{person.id}"' in body
    send(client, "/users/new", new_user_data(username="zhaoliu", department=str(org.county.id), person=str(person.id)))
    assert user_named(db, "zhaoliu").person_id == person.id  # a person in a sub-unit of the department


BAD_CREATES = [
    ({"password": "short7!", "confirm": "short7!"}, "密码长度应为8"),
    ({"confirm": "something-else"}, "两次输入的密码不一致"),
    ({"username": "王五"}, "用户名只能包含字母"),
    ({"username": "ab"}, "用户名只能包含字母"),
    ({"username": "ZhangSan"}, "已被使用"),
    ({"display_name": ""}, "请输入姓名"),
    ({"role": "root"}, "请选择有效的角色"),
    ({"role": "staff", "department": ""}, "必须指定所属单位"),
    ({"role": "dept_admin", "department": ""}, "必须指定所属单位"),
    ({"department": "999999"}, "所选单位不存在"),
    ({"department": "abc"}, "所选单位不存在"),
    ({"person": "999999"}, "未找到人员"),
    ({"person": "110101199003071234"}, "未找到人员"),
]


@pytest.mark.parametrize("overrides,message", BAD_CREATES)
def test_create_refuses_bad_input(client, db, org, overrides, message):
    login(client, org.users["admin"])
    before = user_count(db)
    data = new_user_data(department=str(org.town_a.id))
    data.update(overrides)
    response = send(client, "/users/new", data)
    assert response.status_code == 200
    assert message in text(response)
    assert user_count(db) == before
    assert not events(db, "create")


def test_create_refuses_person_outside_department_or_already_linked(client, db, org):
    other = make_person(org.town_b, "钱七")
    db.session.commit()
    login(client, org.users["admin"])
    before = user_count(db)
    body = text(send(client, "/users/new", new_user_data(department=str(org.town_a.id), person=str(other.id))))
    assert "不属于所选单位" in body
    body = text(send(client, "/users/new", new_user_data(department=str(org.town_a.id),
                                                        person=str(org.staff_person.id))))
    assert "已关联账户 zhangsan" in body
    assert user_count(db) == before


def test_bureau_cannot_create_or_raise_to_admin(client, db, org):
    login(client, org.users["bureau"])
    body = text(fetch(client, "/users/new"))
    assert 'value="admin"' not in body  # not offered
    before = user_count(db)
    body = text(send(client, "/users/new", new_user_data(role="admin")))
    assert "不能高于您自己的角色" in body
    assert user_count(db) == before
    target = org.users["dept_admin_a"]
    body = text(send(client, f"/users/{target.id}", {"display_name": "x", "role": "admin",
                                                     "department": str(org.town_a.id)}))
    assert "不能高于您自己的角色" in body
    assert user_named(db, "admin_a").role == "dept_admin"
    # a bureau user may create another bureau user (same rank)
    send(client, "/users/new", new_user_data(username="sfj2", role="bureau"))
    assert user_named(db, "sfj2").role == "bureau"


def test_bureau_cannot_manage_admins(client, db, org):
    login(client, org.users["bureau"])
    admin = org.users["admin"]
    assert fetch(client, f"/users/{admin.id}").status_code == 403
    assert send(client, f"/users/{admin.id}", {"display_name": "x", "role": "staff"}).status_code == 403
    assert send(client, f"/users/{admin.id}/deactivate").status_code == 403
    assert send(client, f"/users/{admin.id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 403
    assert send(client, f"/users/{admin.id}/unlock").status_code == 403
    admin = user_named(db, "admin")
    assert admin.active and admin.role == "admin" and admin.check_password(PASSWORD)
    assert not events(db, "deactivate") and not events(db, "reset_password")


# --- edit ---------------------------------------------------------------------------------

def test_edit_role_department_person_is_audited(client, db, org):
    person = make_person(org.town_b, "孙八")
    db.session.commit()
    target = org.users["dept_admin_a"]
    login(client, org.users["bureau"])
    assert "admin_a" in text(fetch(client, f"/users/{target.id}"))
    response = send(client, f"/users/{target.id}", {"display_name": "乙镇管理员", "role": "staff",
                                                    "department": str(org.town_b.id), "person": str(person.id)})
    assert response.status_code == 302
    user = user_named(db, "admin_a")
    assert (user.display_name, user.role, user.department_id, user.person_id) == (
        "乙镇管理员", "staff", org.town_b.id, person.id)
    [event] = events(db, "update", target.id)
    assert event.before["role"] == "dept_admin" and event.after["role"] == "staff"
    assert event.before["department"] == org.town_a.id and event.after["department"] == org.town_b.id
    assert "username" not in event.after  # only what changed
    # saving again without a change records nothing
    send(client, f"/users/{target.id}", {"display_name": "乙镇管理员", "role": "staff",
                                         "department": str(org.town_b.id), "person": str(person.id)})
    assert len(events(db, "update", target.id)) == 1
    # unlinking the person
    send(client, f"/users/{target.id}", {"display_name": "乙镇管理员", "role": "staff",
                                         "department": str(org.town_b.id), "person": ""})
    assert user_named(db, "admin_a").person_id is None


def test_edit_refusal_changes_nothing(client, db, org):
    target = org.users["staff_a"]
    login(client, org.users["admin"])
    body = text(send(client, f"/users/{target.id}", {"display_name": "改名", "role": "staff",
                                                     "department": str(org.town_a.id), "person": "999999"}))
    assert "未找到人员" in body
    user = user_named(db, "zhangsan")
    assert user.display_name != "改名" and user.person_id == org.staff_person.id
    assert not events(db, "update")
    assert fetch(client, "/users/999999").status_code == 404


def test_nobody_edits_themselves_into_another_role_or_scope(client, db, org):
    me = org.users["bureau"]
    login(client, me)
    body = text(send(client, f"/users/{me.id}", {"display_name": "司法局", "role": "inspector", "department": ""}))
    assert "不能修改自己的角色" in body
    body = text(send(client, f"/users/{me.id}", {"display_name": "司法局", "role": "bureau",
                                                 "department": str(org.county.id)}))
    assert "不能修改自己的单位范围" in body
    user = user_named(db, "sfj")
    assert user.role == "bureau" and user.department_id is None
    # the name may change
    send(client, f"/users/{me.id}", {"display_name": "市司法局", "role": "bureau", "department": ""})
    assert user_named(db, "sfj").display_name == "市司法局"
    admin = org.users["admin"]
    login(client, admin)
    body = text(send(client, f"/users/{admin.id}/deactivate", follow_redirects=True))
    assert "不能停用自己的账户" in body
    assert user_named(db, "admin").active


# --- deactivate, reactivate, reset password, unlock -------------------------------------------

def signed_in(app, user):
    """Another browser, logged in as ``user``, whose session works."""
    other = logged_in_client(app, user.username)
    assert fetch(other, "/dashboard").status_code == 200
    return other


def test_deactivate_ends_sessions_and_reactivate_restores(app, client, db, org):
    victim_user = org.users["staff_a"]
    victim = signed_in(app, victim_user)
    login(client, org.users["admin"])
    response = send(client, f"/users/{victim_user.id}/deactivate", {"reason": "调离"})
    assert response.status_code == 302
    user = user_named(db, "zhangsan")
    assert not user.active and user.session_version == 2
    [event] = events(db, "deactivate", user.id)
    assert event.reason == "调离" and event.before == {"active": True} and event.after == {"active": False}
    response = fetch(victim, "/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    g.pop("_login_user", None)
    body = text(victim.post("/login", data={"username": "zhangsan", "password": PASSWORD}, follow_redirects=True))
    assert "该账户已停用" in body
    # reactivate
    send(client, f"/users/{user.id}/activate", {"reason": "回岗"})
    assert user_named(db, "zhangsan").active
    assert events(db, "activate", user.id)[0].reason == "回岗"
    signed_in(app, victim_user)


def test_reset_password_ends_sessions(app, client, db, org):
    victim_user = org.users["dept_admin_b"]
    victim = signed_in(app, victim_user)
    login(client, org.users["bureau"])
    assert "重置账户 admin_b 的密码" in text(fetch(client, f"/users/{victim_user.id}/password"))
    body = text(send(client, f"/users/{victim_user.id}/password", {"password": "short", "confirm": "short"}))
    assert "密码长度应为8" in body
    body = text(send(client, f"/users/{victim_user.id}/password", {"password": NEW_PASSWORD, "confirm": "other-pass-1"}))
    assert "两次输入的密码不一致" in body
    assert user_named(db, "admin_b").check_password(PASSWORD)
    response = send(client, f"/users/{victim_user.id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                                                  "reason": "忘记密码"})
    assert response.status_code == 302
    user = user_named(db, "admin_b")
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    response = fetch(victim, "/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    [event] = events(db, "reset_password", user.id)
    dumped = json.dumps([event.before, event.after, event.summary, event.reason], ensure_ascii=False)
    assert NEW_PASSWORD not in dumped and user.password_hash not in dumped
    fresh = app.test_client()
    g.pop("_login_user", None)
    assert fresh.post("/login", data={"username": "admin_b", "password": NEW_PASSWORD}).status_code == 302
    assert fetch(fresh, "/dashboard").headers["Location"].endswith("/password")   # must choose their own


def test_own_password_is_not_reset_here(client, db, org):
    me = org.users["admin"]
    login(client, me)
    response = send(client, f"/users/{me.id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    assert user_named(db, "admin").check_password(PASSWORD)


def test_unlock(client, db, org):
    target = org.users["staff_a"]
    target.locked_until = datetime.now() + timedelta(minutes=10)
    target.failed_logins = 2
    db.session.commit()
    login(client, org.users["admin"])
    assert "已锁定" in text(fetch(client, "/users/?status=locked"))
    send(client, f"/users/{target.id}/unlock")
    user = user_named(db, "zhangsan")
    assert user.locked_until is None and user.failed_logins == 0
    assert len(events(db, "unlock", target.id)) == 1
    send(client, f"/users/{target.id}/unlock")  # nothing to unlock: no second event
    assert len(events(db, "unlock", target.id)) == 1


def test_user_pages_render_for_new_department_without_users(client, db, org):
    make_department("EMPTY", "空单位", "市直部门", org.city)
    db.session.commit()
    login(client, org.users["admin"])
    assert "空单位" in text(fetch(client, "/users/new"))


@pytest.mark.parametrize("app_config", [{"PER_PAGE": 50}])
def test_list_queries_do_not_grow_with_rows(client, db, org):
    from intranet.testing import count_queries
    login(client, org.users["admin"])
    db.session.expire_all()
    with count_queries(db) as few:
        fetch(client, "/users/")
    for n in range(8):
        dept = make_department(parent=org.county)
        make_user("staff", dept, make_person(dept), username=f"bulk{n}")
    db.session.commit()
    db.session.expire_all()
    with count_queries(db) as many:
        body = text(fetch(client, "/users/"))
    assert "bulk7" in body
    assert len(many) == len(few)


@pytest.mark.browser
@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_create_a_login_in_the_browser(page, org):
    """The main flow with real forms and CSRF: an admin creates a login, which then works."""
    from intranet.testing import browser_login
    browser_login(page, "admin")
    page.goto(page.base_url + "/users/new")
    page.fill("input[name=username]", "browseruser")
    page.fill("input[name=display_name]", "浏览器用户")
    page.select_option("select[name=role]", "staff")
    page.select_option("select[name=department]", str(org.town_b.id))
    page.fill("input[name=password]", "browser-pass-1")
    page.fill("input[name=confirm]", "browser-pass-1")
    page.click("button:has-text('创建')")
    page.wait_for_selector("text=已创建账户 browseruser")
    page.click("text=退出")
    page.wait_for_url("**/login")
    page.fill("input[name=username]", "browseruser")
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/password")            # the administrator chose it: the user must change it
    assert "请先设置只有您自己知道的新密码" in page.content()
    page.fill("input[name=current]", "browser-pass-1")
    page.fill("input[name=new]", "Qing-river-7731")
    page.fill("input[name=confirm]", "Qing-river-7731")
    page.click("form:has(input[name=new]) button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert "浏览器用户" in page.content()


# --- password policy ------------------------------------------------------------------------------

WEAK = [("12345678", "过于简单"), ("password123", "过于简单"), ("aaaaaaaaaa", "过于简单"),
        ("abcdefghij", "过于简单"), ("wangwu-wangwu", "不能包含用户名")]


@pytest.mark.parametrize("password,message", WEAK)
def test_create_refuses_a_weak_password(client, db, org, password, message):
    login(client, org.users["admin"])
    before = user_count(db)
    data = new_user_data(department=str(org.town_a.id), password=password, confirm=password)
    body = text(send(client, "/users/new", data))
    assert message in body
    assert user_count(db) == before and not events(db, "create")


def test_create_takes_eight_characters_for_staff_but_ten_for_bureau(client, db, org):
    login(client, org.users["admin"])
    eight = "Qz7-kpR4"
    assert "密码至少10位" in text(send(client, "/users/new", new_user_data(role="bureau", password=eight,
                                                                        confirm=eight)))
    assert user_named(db, "wangwu") is None
    send(client, "/users/new", new_user_data(department=str(org.town_a.id), password=eight, confirm=eight))
    assert user_named(db, "wangwu").check_password(eight)


@pytest.mark.parametrize("password,message", WEAK)
def test_reset_refuses_a_weak_password(client, db, org, password, message):
    target = make_user("staff", org.town_a, username="wangwu")
    db.session.commit()
    login(client, org.users["admin"])
    body = text(send(client, f"/users/{target.id}/password", {"password": password, "confirm": password}))
    assert message in body
    assert user_named(db, "wangwu").check_password(PASSWORD) and not events(db, "reset_password")
