"""One scope helper for every view (intranet.access) and one department filter for list pages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from intranet.access import apply_scope, department_filter, scope_filter, visible_get
from intranet.models import Department, Person
from intranet.testing import login, make_person, make_user

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def as_user(app):
    """``as_user(user)``: a request context with ``user`` logged in."""
    contexts = []

    def enter(user):
        ctx = app.test_request_context()
        ctx.push()
        contexts.append(ctx)
        login_user(user)
    yield enter
    for ctx in reversed(contexts):
        ctx.pop()


def test_department_filter_limits_to_the_subtree_and_refuses_outside_scope(db, org, as_user):
    make_person(org.town_b, "乙镇的人")
    db.session.commit()
    as_user(org.users["dept_admin_a"])
    stmt = select(Person.name)
    assert department_filter(stmt, "", Person.department_id) == (stmt, None)
    assert department_filter(stmt, None, Person.department_id) == (stmt, None)
    narrowed, dept = department_filter(stmt, str(org.town_a.id), Person.department_id)
    assert dept == org.town_a and list(db.session.scalars(narrowed)) == ["张三"]
    with pytest.raises(Forbidden):
        department_filter(stmt, str(org.town_b.id), Person.department_id)
    for garbage in ("abc", "999999", "-1"):
        with pytest.raises(NotFound):
            department_filter(stmt, garbage, Person.department_id)


def test_scope_filter_covering_adds_the_departments_above(db, org, as_user):
    as_user(org.users["dept_admin_a"])

    def ids(**kwargs):
        return set(db.session.scalars(select(Department.id).where(scope_filter(Department.id, **kwargs))))
    assert ids() == {org.town_a.id}
    assert ids(covering=True) == {org.city.id, org.county.id, org.town_a.id}
    as_user(org.users["bureau"])
    assert scope_filter(Department.id, covering=True) is None


def test_visible_get_is_404_when_missing_and_403_when_hidden(db, org, as_user):
    other = make_person(org.town_b)
    db.session.commit()
    as_user(org.users["dept_admin_a"])
    visible = apply_scope(select(Person), Person.department_id)
    assert visible_get(visible, Person, org.staff_person.id) == org.staff_person
    with pytest.raises(Forbidden):
        visible_get(visible, Person, other.id)
    with pytest.raises(NotFound):
        visible_get(visible, Person, other.id + 1000)


@pytest.mark.parametrize("page, argument, user_key", [
    ("/people/", "department_id", "dept_admin_a"),
    ("/users/", "department", "county_bureau"),
    ("/admin/audit", "department", "county_bureau"),
])
def test_list_pages_filter_by_department_through_the_helper(client, db, org, page, argument, user_key):
    """Every list page's department filter: inside the scope it filters; outside 403; garbage 404."""
    users = {**org.users, "county_bureau": make_user("bureau", org.county, username="county_sfj")}
    db.session.commit()
    user = users[user_key]
    outside = org.town_b if user.department_id == org.town_a.id else org.market
    login(client, user)
    assert client.get(f"{page}?{argument}={org.town_a.id}").status_code == 200
    assert client.get(f"{page}?{argument}={outside.id}").status_code == 403
    assert client.get(f"{page}?{argument}=abc").status_code == 404
    assert client.get(f"{page}?{argument}=999999").status_code == 404


def test_the_people_and_users_lists_show_only_the_chosen_subtree(client, db, org):
    make_person(org.town_b, "乙镇的人")
    county_bureau = make_user("bureau", org.county, username="county_sfj")
    db.session.commit()
    login(client, county_bureau)
    people = client.get(f"/people/?department_id={org.town_a.id}").get_data(as_text=True)
    assert "张三" in people and "乙镇的人" not in people
    users = client.get(f"/users/?department={org.town_b.id}").get_data(as_text=True)
    assert "admin_b" in users and "admin_a" not in users and "zhangsan" not in users


# Hand-made scope filtering that intranet.access does in one place (apply_scope, scope_filter,
# department_filter, visible_get). Each pattern is a copy that existed before.
HAND_MADE_SCOPE = {
    r"stmt if cond is None else stmt\.where\(cond\)": "apply_scope",
    r"cond = scope_filter\([^\n]*\)\n\s*if cond is not None:\n\s*stmt = stmt\.where\(cond\)": "apply_scope",
    r"root\.subtree_filter\(": "scope_filter / apply_scope",
    r"user\.department\.subtree_filter\(": "scope_filter / apply_scope",
    r"(request\.args|form\.department)[^\n]*\n(?:[^\n]*\n){0,4}[^\n]*\.subtree_filter\(": "department_filter",
}


def test_views_use_the_core_scope_helpers():
    sources = [p for p in (REPO / "intranet").rglob("*.py") if p.name != "access.py"]
    sources += [p for p in (REPO / "plugins").glob("*/intranet_*/**/*.py")]
    sources += list((REPO / "tests" / "plugins").rglob("*.py"))
    found = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for pattern, helper in HAND_MADE_SCOPE.items():
            if re.search(pattern, text):
                found.append(f"{path.relative_to(REPO)}: use intranet.access.{helper}")
    assert not found, "\n".join(found)


def test_statement_scope_keys_statements_built_once_per_scope(db, org):
    """statement_scope: "all" for the whole tree, None for nothing, (id, path) for a subtree
    (a department moved elsewhere gets another key); scoped applies it like apply_scope."""
    from intranet.access import scoped, statement_scope
    make_person(org.town_b, "乙镇的人")
    db.session.commit()
    admin_a = org.users["dept_admin_a"]
    assert statement_scope(org.users["bureau"]) == "all"
    assert statement_scope(admin_a) == (org.town_a.id, org.town_a.path)
    stmt = select(Person.name)
    assert list(db.session.scalars(scoped(stmt, Person.department_id, statement_scope(admin_a)))) == ["张三"]
    assert set(db.session.scalars(scoped(stmt, Person.department_id, "all"))) >= {"张三", "乙镇的人"}
    assert list(db.session.scalars(scoped(stmt, Person.department_id, None))) == []
    from intranet.org.service import move_department
    before = statement_scope(admin_a)
    move_department(org.town_a, org.city)
    db.session.flush()
    assert statement_scope(admin_a) != before
