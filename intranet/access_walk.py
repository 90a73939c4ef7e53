"""Test support: walk the URL map and report every route that answers other than its checks say.

Three walks, each returning a list of readable problems (empty: all is well):

- :func:`anonymous_problems`: a view not marked ``@public_view`` sends the anonymous public to the
  login page (or answers 401/403) on every method; a public view never answers 5xx.
- :func:`role_problems`: for one logged-in user, GET with dummy URL arguments never answers 5xx,
  and a view declaring ``required_roles`` (``roles_required``) answers 403 to every other role.
- :func:`scope_problems`: for a user of one department, every route taking an ``<int:>`` id is
  opened with records of a sibling department (the ``access_samples`` hook), on GET and on every
  changing method; each answers 403 and changes nothing. A route whose id no sample gives is a
  problem too, so a new plugin cannot skip the walk.

tests/test_access.py runs them over the whole app; a plugin's tests may run them as well.
"""
from __future__ import annotations

import uuid

from flask import g
from sqlalchemy import func, inspect, select
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from .testing import login

CHANGING_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 999999
SCOPE_ANSWER = 403          # the one answer for a record outside the user's scope (intranet.access)
UNWATCHED_TABLES = {"audit_event"}   # reads may be logged (an export); see data_changes


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


def int_arguments(rule) -> list[str]:
    return sorted(n for n in rule.arguments if isinstance(rule._converters.get(n), IntegerConverter))


def build_url(rule, ids: dict | None = None) -> str:
    """The rule's URL with ``ids`` for its int arguments and dummy values for the rest
    (ints → a missing id, strings → "X")."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, IntegerConverter):
            values[name] = (ids or {}).get(name, MISSING_ID)
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


def dummy_url(rule) -> str:
    return build_url(rule)


def request(client, method, url, db):
    """One request; an exception in the view becomes a readable failure, not an aborted walk."""
    g.pop("_login_user", None)  # pytest-flask shares ``g`` between requests
    try:
        return client.open(url, method=method), None
    except Exception as exc:  # noqa: BLE001 - reported with the endpoint by the caller
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


# --- department scope ------------------------------------------------------------------------

def route_owner(app, endpoint) -> str:
    """The enabled plugin whose package holds the view of ``endpoint``, else "core"."""
    module = getattr(app.view_functions[endpoint], "__module__", "") or ""
    package = module.split(".")[0]
    for info in app.extensions["intranet_plugins"]:
        if info.enabled and info.module.split(":")[0].split(".")[0] == package:
            return info.name
    return "core"


def data_snapshot(db, department) -> dict:
    """Every row of every table (the audit log aside), and the audit events of ``department``'s
    subtree: what a refused request must leave as it was."""
    tables = {}
    with db.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())   # the metadata may know models of other apps
        for table in db.metadata.sorted_tables:
            if table.name in UNWATCHED_TABLES or table.name not in present:
                continue
            tables[table.name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
        audit = db.metadata.tables["audit_event"]
        tables["audit_event (this department)"] = conn.execute(
            select(func.count()).select_from(audit).where(department.subtree_filter(audit.c.department_id))).scalar()
    return tables


def data_changes(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def scope_problems(app, db, user, samples, department) -> list[str]:
    """Open every id-taking route as ``user`` with ``samples`` (AccessSamples of ``department``,
    a department outside the user's scope): each must answer 403 and change nothing.

    Ids are looked up in the samples of the plugin owning the route, then in the core's. An
    endpoint listed in a sample's ``shared`` may answer anything but a 5xx; it must still change
    nothing.
    """
    by_owner = {s.plugin: s.ids for s in samples}
    shared = {endpoint: why for s in samples for endpoint, why in s.shared.items()}
    client = app.test_client()
    login(client, user)
    problems = []
    for rule in walked_rules(app):
        wanted = int_arguments(rule)
        if not wanted:
            continue
        owner = route_owner(app, rule.endpoint)
        ids = {**by_owner.get("core", {}), **by_owner.get(owner, {})}
        missing = [name for name in wanted if name not in ids]
        if missing:
            problems.append(f"{rule.endpoint} ({rule.rule}): no access sample gives {', '.join(missing)} "
                            f"(the access_samples hook of {owner})")
            continue
        url = build_url(rule, ids)
        for method in ["GET", *CHANGING_METHODS]:
            if method not in rule.methods:
                continue
            before = data_snapshot(db, department)
            response, error = request(client, method, url, db)
            changed = data_changes(before, data_snapshot(db, department))
            where = f"{user.role} {method} {url} ({rule.endpoint})"
            if error:
                problems.append(f"{where}: {error}")
            elif response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            elif rule.endpoint not in shared and response.status_code != SCOPE_ANSWER:
                problems.append(f"{where}: {response.status_code}, expected {SCOPE_ANSWER} "
                                f"(a record of {department.name}, outside the user's scope)")
            if changed:
                problems.append(f"{where}: changed {', '.join(changed)}")
    return problems


def sibling_samples(department) -> list:
    """Make and commit the core's and every enabled plugin's samples of ``department``."""
    from .extensions import db
    from .testing import access_samples
    samples = access_samples(department)
    db.session.commit()
    return samples

