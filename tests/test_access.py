"""Walk the URL map: every route answers the anonymous public, every role and every department
scope as its checks say (the walks are in intranet/access_walk.py).

The app has whichever plugins the run enables: every installed plugin unless INTRANET_PLUGINS says
otherwise (CI runs with none set, so every installed plugin is walked). No plugin is named here.

For every endpoint except static files:
- anonymous: a view not marked ``@public_view`` sends GET (and any POST/PUT/PATCH/DELETE) to the
  login page or answers 401/403, never 200; a public view never answers 5xx;
- each role: GET with dummy URL arguments (ints → a missing id, strings → "X") never answers 5xx,
  and a view with ``required_roles`` (``roles_required``) answers 403 to every other role, for
  every method;
- a 单位管理员 and a 工作人员 of 甲镇: every route taking an id, filled with 乙镇's records (the
  ``access_samples`` hook of the core and each plugin), answers 403 on GET and every changing
  method and changes nothing.
"""
from __future__ import annotations

import os

import pytest

from intranet.access import public_view, roles_required
from intranet.access_walk import (CHANGING_METHODS, MISSING_ID, anonymous_problems, dummy_url, request,
                                  role_problems, scope_problems, sibling_samples, view_attr, walked_rules)
from intranet.testing import login

ROLE_USERS = {"admin": "admin", "bureau": "bureau", "dept_admin": "dept_admin_a", "staff": "staff_a",
              "inspector": "inspector"}
# Users of 甲镇 opening 乙镇's records (the department scope walk).
SCOPED_USERS = {"dept_admin": "dept_admin_a", "staff": "staff_a"}


def report(problems) -> str:
    return "\n" + "\n".join(problems)


def test_the_walk_covers_every_enabled_plugin(app):
    """Without INTRANET_PLUGINS every installed plugin is enabled, so the walk sees all their routes."""
    infos = app.extensions["intranet_plugins"]
    if "INTRANET_PLUGINS" not in os.environ:
        assert all(i.enabled for i in infos), [i.name for i in infos if not i.enabled]
    blueprints = {rule.endpoint.split(".")[0] for rule in walked_rules(app)}
    assert {"auth", "users", "admin"} <= blueprints


def test_anonymous(app, db, org):
    problems = anonymous_problems(app, db)
    assert not problems, report(problems)


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_role(app, db, org, role):
    problems = role_problems(app, db, org.users[ROLE_USERS[role]], role)
    assert not problems, report(problems)


def inspector_write_problems(app, db, user) -> list[str]:
    """Every changing method on every route answers 403 to a 督察, except its own login's (logout, password)."""
    client = app.test_client()
    login(client, user)
    problems = []
    for rule in walked_rules(app):
        if view_attr(app.view_functions[rule.endpoint], "own_account"):
            continue
        url = dummy_url(rule)
        for method in [m for m in CHANGING_METHODS if m in rule.methods]:
            response, error = request(client, method, url, db)
            if error or response.status_code != 403:
                problems.append(f"inspector {method} {url} ({rule.endpoint}): {error or response.status_code}")
    return problems


def test_the_inspector_changes_nothing_anywhere(app, db, org):
    problems = inspector_write_problems(app, db, org.users["inspector"])
    assert not problems, report(problems)


def test_inspector_walk_catches_a_writable_route(app, db, org, monkeypatch):
    app.add_url_rule("/test-open-post", "test_open_post", roles_required("inspector")(lambda: "done"),
                     methods=["POST"])
    own = {e for e in app.view_functions if view_attr(app.view_functions[e], "own_account")}
    assert own == {"auth.login", "auth.logout", "auth.password"}
    monkeypatch.setattr("intranet.access.READ_ONLY_ROLES", ())  # without the core rule
    problems = inspector_write_problems(app, db, org.users["inspector"])
    assert any("(test_open_post)" in p for p in problems)


@pytest.mark.parametrize("role", list(SCOPED_USERS))
def test_scope(app, db, org, role):
    samples = sibling_samples(org.town_b)
    problems = scope_problems(app, db, org.users[SCOPED_USERS[role]], samples, org.town_b)
    assert not problems, report(problems)


def test_public_views_are_few_and_marked(app):
    """Only views marked with @public_view are public; the login page is one of them."""
    public = {rule.endpoint for rule in walked_rules(app) if view_attr(app.view_functions[rule.endpoint], "public")}
    assert "auth.login" in public
    assert not public & {"users.index", "admin.audit", "admin.index", "dashboard.index"}


# --- the walk itself must catch mistakes -------------------------------------------------------

def test_walk_catches_a_route_that_forgot_its_check(app, db, org):
    app.add_url_rule("/test-forgotten/<int:thing_id>", "test_forgotten", lambda thing_id: "secret")
    app.add_url_rule("/test-forgotten-post", "test_forgotten_post", lambda: "done", methods=["POST"])
    app.add_url_rule("/test-public", "test_public", public_view(lambda: "hello"))
    problems = anonymous_problems(app, db)
    assert any("(test_forgotten)" in p for p in problems)
    assert any("(test_forgotten_post)" in p for p in problems)
    assert not any("(test_public)" in p for p in problems)


def test_walk_catches_wrong_roles_and_crashes(app, db, org):
    @roles_required("admin")
    def admin_only():
        return "ok"

    @roles_required("admin", "staff")
    def crashes(name):
        raise RuntimeError("boom")

    def forgets_role_check():
        return "ok"
    forgets_role_check.required_roles = ("admin",)  # claims a check it does not make

    app.add_url_rule("/test-admin-only", "test_admin_only", admin_only, methods=["GET", "POST"])
    app.add_url_rule("/test-crashes/<name>", "test_crashes", crashes)
    app.add_url_rule("/test-claims", "test_claims", forgets_role_check)
    staff = role_problems(app, db, org.users["staff_a"], "staff")
    assert not any("(test_admin_only)" in p for p in staff)  # 403 for GET and POST, as declared
    assert any("GET /test-crashes/X (test_crashes): RuntimeError: boom" in p for p in staff)
    assert any("(test_claims)" in p and "expected 403" in p for p in staff)
    admin = role_problems(app, db, org.users["admin"], "admin")
    assert not any("(test_admin_only)" in p or "(test_claims)" in p for p in admin)


def test_dummy_urls():
    from werkzeug.routing import Map, Rule
    url_map = Map([Rule("/a/<int:n>/<any(foo,bar):kind>/<path:rest>/<name>", endpoint="e")])
    rule = next(url_map.iter_rules())
    assert dummy_url(rule) == f"/a/{MISSING_ID}/bar/X/X"


def test_deployment_admin_is_the_admin_or_a_whole_tree_bureau_user(db, org):
    from intranet.access import is_deployment_admin
    from intranet.testing import make_department, make_user
    city_bureau = make_user("bureau", org.city)
    county_bureau = make_user("bureau", org.county)
    assert is_deployment_admin(org.users["admin"]) and is_deployment_admin(org.users["bureau"])
    assert is_deployment_admin(city_bureau) and not is_deployment_admin(county_bureau)
    assert not any(is_deployment_admin(org.users[k]) for k in ("inspector", "dept_admin_a", "staff_a"))
    make_department("C02", "另一市", "市")  # a second root: the first root no longer covers the whole tree
    assert not is_deployment_admin(city_bureau) and is_deployment_admin(org.users["bureau"])


def test_scope_walk_catches_a_view_without_its_scope_check(app, db, org, monkeypatch):
    """The 学法档案 page stops checking the person's department: the walk names that route only."""
    import intranet.people.views
    monkeypatch.setattr(intranet.people.views, "require_scope", lambda *args, **kwargs: None)
    samples = sibling_samples(org.town_b)
    problems = scope_problems(app, db, org.users["dept_admin_a"], samples, org.town_b)
    assert problems and all("(people.record)" in p for p in problems), report(problems)
    assert any(p.startswith("dept_admin GET ") and "200, expected 403" in p for p in problems)


def test_scope_walk_catches_a_change_and_a_route_without_samples(app, db, org):
    """A route whose id no sample gives is named; a refused request that changed data is named."""
    from intranet.access import roles_required as roles
    from intranet.extensions import db as _db
    from intranet.models import Department

    @roles("dept_admin")
    def renames(dept_id):
        _db.session.get(Department, dept_id).name = "被改名"
        _db.session.commit()
        return "", 403

    app.add_url_rule("/test-renames/<int:dept_id>", "test_renames", renames, methods=["POST"])
    app.add_url_rule("/test-unknown/<int:widget_id>", "test_unknown", roles("dept_admin")(lambda widget_id: "x"))
    samples = sibling_samples(org.town_b)
    problems = scope_problems(app, db, org.users["dept_admin_a"], samples, org.town_b)
    assert any("(test_renames): changed department" in p for p in problems), report(problems)
    assert any(p.startswith("test_unknown (/test-unknown/<int:widget_id>): no access sample gives widget_id")
               for p in problems), report(problems)
