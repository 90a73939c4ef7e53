"""Walk the URL map: every route answers the anonymous public and every role as its checks say.

The app has whichever plugins the run enables: every installed plugin unless INTRANET_PLUGINS says
otherwise (CI runs with none set, so every installed plugin is walked). No plugin is named here.

For every endpoint except static files:
- anonymous: a view not marked ``@public_view`` sends GET (and any POST/PUT/PATCH/DELETE) to the
  login page or answers 401/403, never 200; a public view never answers 5xx;
- each role: GET with dummy URL arguments (ints → a missing id, strings → "X") never answers 5xx,
  and a view with ``required_roles`` (``roles_required``) answers 403 to every other role, for
  every method.
"""
from __future__ import annotations

import os
import uuid

import pytest
from flask import g
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from intranet.access import public_view, roles_required
from intranet.testing import login

ROLE_USERS = {"admin": "admin", "bureau": "bureau", "dept_admin": "dept_admin_a", "staff": "staff_a",
              "inspector": "inspector"}
CHANGING_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 999999


def view_attr(view, name):
    """An attribute set by a decorator, looked up through the ``__wrapped__`` chain."""
    while view is not None:
        if name in getattr(view, "__dict__", {}):
            return view.__dict__[name]
        view = getattr(view, "__wrapped__", None)
    return None


def walked_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        yield rule


def dummy_url(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, IntegerConverter):
            values[name] = MISSING_ID
        elif isinstance(converter, FloatConverter):
            values[name] = float(MISSING_ID)
        elif isinstance(converter, UUIDConverter):
            values[name] = uuid.UUID(int=MISSING_ID)
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "X"
    built = rule.build(values, append_unknown=False)
    assert built is not None, f"cannot build a URL for {rule.endpoint} ({rule.rule})"
    return built[1]


def request(client, method, url, db):
    """One request; an exception in the view becomes a readable failure, not an aborted walk."""
    g.pop("_login_user", None)  # pytest-flask shares ``g`` between requests
    try:
        return client.open(url, method=method), None
    except Exception as exc:  # noqa: BLE001 - reported with the endpoint below
        db.session.rollback()
        return None, f"{type(exc).__name__}: {exc}"


def is_sent_to_login(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code in (302, 303) and response.headers.get("Location", "").startswith("/login")


def anonymous_problems(app, db) -> list[str]:
    client = app.test_client()
    problems = []
    for rule in walked_rules(app):
        view = app.view_functions[rule.endpoint]
        public = bool(view_attr(view, "public"))
        url = dummy_url(rule)
        for method in ["GET", *CHANGING_METHODS]:
            if method not in rule.methods:
                continue
            response, error = request(client, method, url, db)
            where = f"anonymous {method} {url} ({rule.endpoint})"
            if error:
                problems.append(f"{where}: {error}")
            elif public and response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            elif not public and not is_sent_to_login(response):
                problems.append(f"{where}: {response.status_code}, expected a redirect to /login or 401/403 "
                                "(mark public routes with @public_view)")
    return problems


def role_problems(app, db, user, role) -> list[str]:
    client = app.test_client()
    login(client, user)
    problems = []
    for rule in walked_rules(app):
        view = app.view_functions[rule.endpoint]
        required = view_attr(view, "required_roles")
        refused = required is not None and role not in required
        url = dummy_url(rule)
        methods = ["GET"] if "GET" in rule.methods else []
        if refused:  # refusing happens before the view runs, so changing methods are safe to send
            methods += [m for m in CHANGING_METHODS if m in rule.methods]
        for method in methods:
            response, error = request(client, method, url, db)
            where = f"{role} {method} {url} ({rule.endpoint})"
            if error:
                problems.append(f"{where}: {error}")
            elif response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            elif refused and response.status_code != 403:
                problems.append(f"{where}: {response.status_code}, expected 403 (roles {', '.join(required)})")
            elif not refused and is_sent_to_login(response) and response.status_code != 403:
                problems.append(f"{where}: logged-in user sent to the login page")
    return problems


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
