"""The admin pages: overview, plugins, audit log (filters, scope, no edit or delete)."""
from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import insert

from intranet import audit
from intranet.models import AuditEvent
from intranet.testing import login, make_user

FAKE_PLUGINS = {"zz_enabled_test": "intranet_zz_enabled_test", "zz_disabled_test": "intranet_zz_disabled_test"}


def get(client, url, **kwargs):
    g.pop("_login_user", None)
    return client.get(url, **kwargs)


def body(response) -> str:
    return response.get_data(as_text=True)


# --- overview and plugins ----------------------------------------------------------------------

@pytest.mark.parametrize("role,code", [("admin", 200), ("bureau", 200), ("inspector", 403),
                                       ("dept_admin_a", 403), ("staff_a", 403)])
def test_overview_and_plugins_page_roles(client, org, role, code):
    login(client, org.users[role])
    assert get(client, "/admin/").status_code == code
    assert get(client, "/admin/plugins").status_code == code


def test_overview_links(client, org):
    login(client, org.users["admin"])
    html = body(get(client, "/admin/"))
    for url in ("/users/", "/admin/plugins", "/admin/audit"):
        assert f'href="{url}"' in html
    assert "正常账户" in html


@pytest.fixture
def fake_plugins():
    """Two importable modules standing in for plugins (one enabled, one installed but not enabled)."""
    for module in FAKE_PLUGINS.values():
        mod = types.ModuleType(module)
        mod.DESCRIPTION = f"测试插件 {module}"
        sys.modules[module] = mod
    yield
    for module in FAKE_PLUGINS.values():
        sys.modules.pop(module, None)


@pytest.fixture
def app_config(request):
    if "fake_plugins" in request.fixturenames:
        request.getfixturevalue("fake_plugins")  # the modules must exist before the app is made
        return {"PLUGIN_SOURCES": FAKE_PLUGINS, "PLUGINS": ["zz_enabled_test"]}
    return {}


def test_plugins_page_mirrors_the_cli(app, client, org, fake_plugins, monkeypatch):
    login(client, org.users["admin"])
    html = body(get(client, "/admin/plugins"))
    infos = app.extensions["intranet_plugins"]
    assert {"zz_enabled_test", "zz_disabled_test"} <= {i.name for i in infos}
    from intranet.cli import cli as intranet_cli
    # Flask's CLI sets FLASK_RUN_FROM_CLI for the process, which would stop later live servers.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    cli = app.test_cli_runner().invoke(intranet_cli, ["plugins", "list"])
    assert cli.exit_code == 0
    for info in infos:
        state = "已启用" if info.enabled else "已安装未启用"
        row = html.split(f'data-plugin="{info.name}"')[1].split("</tr>")[0]
        assert info.version in row and state in row
        assert f"{info.name}\t{info.version}\t{state}" in cli.output
    enabled = html.split('data-plugin="zz_enabled_test"')[1].split("</tr>")[0]
    disabled = html.split('data-plugin="zz_disabled_test"')[1].split("</tr>")[0]
    assert "已启用" in enabled and "已安装未启用" not in enabled
    assert "已安装未启用" in disabled
    assert "测试插件" in enabled


# --- audit log ---------------------------------------------------------------------------------

def add_events(db, org, **common):
    """A few events in different departments, by different actors, on different days."""
    now = datetime.now()
    rows = [
        dict(actor_id=org.users["admin"].id, actor_name="系统管理员甲", action="create", object_type="user",
             object_id="11", department_id=org.town_a.id, summary="新建账户 alpha", reason="",
             before=None, after={"role": "staff"}, at=now - timedelta(days=10)),
        dict(actor_id=org.users["bureau"].id, actor_name="司法局乙", action="update", object_type="person",
             object_id="22", department_id=org.town_b.id, summary="修改人员 beta", reason="岗位调整",
             before={"title": "科员"}, after={"title": "副科长"}, at=now - timedelta(days=2)),
        dict(actor_id=org.users["bureau"].id, actor_name="司法局乙", action="deactivate", object_type="department",
             object_id="33", department_id=org.market.id, summary="停用单位 gamma", reason="",
             before={"active": True}, after={"active": False}, at=now),
        dict(actor_id=None, actor_name="系统", action="purge", object_type="plugin", object_id="old",
             department_id=None, summary="清除插件 delta", reason="", before=None, after=None, at=now),
    ]
    db.session.execute(insert(AuditEvent), [{"ip": "", **r, **common} for r in rows])
    db.session.commit()


def summaries(html) -> set[str]:
    return {s for s in ("alpha", "beta", "gamma", "delta") if s in html}


@pytest.mark.parametrize("role,code", [("admin", 200), ("bureau", 200), ("inspector", 200),
                                       ("dept_admin_a", 403), ("staff_a", 403)])
def test_audit_log_roles(client, org, role, code):
    login(client, org.users[role])
    assert get(client, "/admin/audit").status_code == code


def test_audit_filters(client, db, org):
    add_events(db, org)
    login(client, org.users["admin"])
    assert summaries(body(get(client, "/admin/audit"))) == {"alpha", "beta", "gamma", "delta"}
    assert summaries(body(get(client, "/admin/audit?actor=司法局"))) == {"beta", "gamma"}
    assert summaries(body(get(client, "/admin/audit?actor=sfj"))) == {"beta", "gamma"}  # by username too
    assert summaries(body(get(client, "/admin/audit?action=update"))) == {"beta"}
    assert summaries(body(get(client, "/admin/audit?object_type=department"))) == {"gamma"}
    assert summaries(body(get(client, f"/admin/audit?department={org.county.id}"))) == {"alpha", "beta"}
    assert summaries(body(get(client, f"/admin/audit?department={org.town_a.id}"))) == {"alpha"}
    today = datetime.now().date()
    assert summaries(body(get(client, f"/admin/audit?date_from={today - timedelta(days=3)}"))) == {"beta", "gamma", "delta"}
    assert summaries(body(get(client, f"/admin/audit?date_to={today - timedelta(days=5)}"))) == {"alpha"}
    assert summaries(body(get(client, f"/admin/audit?date_from={today}&date_to={today}"))) == {"gamma", "delta"}
    assert summaries(body(get(client, "/admin/audit?q=岗位调整"))) == {"beta"}  # the reason
    assert summaries(body(get(client, "/admin/audit?q=gamma"))) == {"gamma"}
    assert summaries(body(get(client, "/admin/audit?q=33"))) == {"gamma"}  # the object id
    assert summaries(body(get(client, "/admin/audit?q=100%"))) == set()  # LIKE characters are literal
    # the choices offer what is in the log, in Chinese
    html = body(get(client, "/admin/audit"))
    assert '<option value="deactivate">停用</option>' in html and '<option value="person">人员</option>' in html


def test_audit_shows_before_and_after(client, db, org):
    add_events(db, org)
    login(client, org.users["admin"])
    html = body(get(client, "/admin/audit?action=update"))
    assert "科员" in html and "副科长" in html and "修改前" in html


@pytest.mark.parametrize("query,message", [
    ("date_from=2024-13-45", "起始日期格式应为 YYYY-MM-DD"),
    ("date_to=yesterday", "截止日期格式应为 YYYY-MM-DD"),
    ("date_from=2024-05-02&date_to=2024-05-01", "截止日期不能早于起始日期"),
])
def test_audit_bad_dates_get_a_chinese_message(client, db, org, query, message):
    add_events(db, org)
    login(client, org.users["admin"])
    response = get(client, "/admin/audit?" + query)
    assert response.status_code == 200 and message in body(response)


def test_audit_odd_parameters_are_not_errors(client, db, org):
    login(client, org.users["admin"])
    assert get(client, "/admin/audit?department=abc").status_code == 404
    assert get(client, "/admin/audit?department=999999").status_code == 404
    assert get(client, "/admin/audit?action=nope&page=-3").status_code == 200


@pytest.mark.parametrize("app_config", [{"PER_PAGE": 2}])
def test_audit_paginates_newest_first(client, db, org):
    login(client, org.users["admin"])  # the login is the oldest event, on the last page
    add_events(db, org)
    first = body(get(client, "/admin/audit"))
    assert "第 1 / 3 页" in first and summaries(first) == {"gamma", "delta"}
    assert summaries(body(get(client, "/admin/audit?page=2"))) == {"alpha", "beta"}
    assert "登录成功" in body(get(client, "/admin/audit?page=3"))


def test_audit_scope_for_a_scoped_reader(client, db, org):
    add_events(db, org)
    inspector = make_user("inspector", org.county, username="county_dc")
    db.session.commit()
    login(client, inspector)
    html = body(get(client, "/admin/audit"))
    assert summaries(html) == {"alpha", "beta"}  # not the 市直 department, not the department-less event
    assert get(client, f"/admin/audit?department={org.market.id}").status_code == 403
    assert "永安市市场监督管理局" not in html  # not offered as a filter either
    events = {e.summary: e.id for e in db.session.scalars(db.select(AuditEvent))}
    assert get(client, f"/admin/audit/{events['新建账户 alpha']}").status_code == 200
    assert get(client, f"/admin/audit/{events['停用单位 gamma']}").status_code == 403
    assert get(client, f"/admin/audit/{events['清除插件 delta']}").status_code == 403
    assert get(client, "/admin/audit/999999").status_code == 404


def test_audit_event_page(client, db, org):
    add_events(db, org)
    login(client, org.users["bureau"])
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "update"))
    html = body(get(client, f"/admin/audit/{event.id}"))
    assert "岗位调整" in html and "副科长" in html and "乙镇" in html


def test_the_audit_log_has_no_edit_or_delete_route(app, client, db, org):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    add_events(db, org)
    login(client, org.users["admin"])
    event_id = db.session.scalar(db.select(AuditEvent.id).limit(1))
    for method in ("post", "put", "patch", "delete"):
        g.pop("_login_user", None)
        assert getattr(client, method)(f"/admin/audit/{event_id}").status_code == 405
        g.pop("_login_user", None)
        assert getattr(client, method)("/admin/audit").status_code == 405
    db.session.expire_all()
    assert db.session.get(AuditEvent, event_id) is not None


def test_recorded_events_appear_in_the_log(client, db, org):
    with client.application.test_request_context():
        audit.record("update", "setting", "x", summary="修改设置 epsilon", before={"a": 1}, after={"a": 2},
                     actor=org.users["admin"])
    db.session.commit()
    login(client, org.users["bureau"])
    html = body(get(client, "/admin/audit?object_type=setting"))
    assert "epsilon" in html and "设置" in html


def test_audit_queries_do_not_grow_with_rows(client, db, org):
    from intranet.testing import count_queries
    add_events(db, org)
    login(client, org.users["admin"])
    db.session.expire_all()
    with count_queries(db) as few:
        get(client, "/admin/audit")
    add_events(db, org)
    add_events(db, org)
    db.session.expire_all()
    with count_queries(db) as many:
        get(client, "/admin/audit")
    assert len(many) == len(few)


@pytest.mark.parametrize("role,link", [("inspector", True), ("bureau", False), ("dept_admin_a", False)])
def test_audit_log_link_in_the_navigation(client, org, role, link):
    """Admin and bureau reach the log through 系统管理; the read-only inspector has its own link."""
    login(client, org.users[role])
    html = body(get(client, "/dashboard"))
    assert ('href="/admin/audit"' in html) is link
