"""Every query argument, POST form and path argument of the app, sent hostile values by a logged-in
admin and a 单位管理员: never a 5xx, and a refused request changes no table (count + checksum)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hostile_walk import SKIPPED_ENDPOINTS, Snapshots, assert_logged_in, checked_post, discover, sample_ids
from hypothesis import given
from hypothesis import strategies as st
from payloads import BAD_IDS, BAD_STRINGS, any_text
from werkzeug.datastructures import MultiDict

from intranet.access_walk import request, sibling_samples
from intranet.testing import login

pytestmark = pytest.mark.slow

ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-zA-Z_]+)>")
ROLES = {"admin": "admin", "dept_admin": "dept_admin_a"}


def report(problems) -> str:
    return "\n" + "\n".join(problems)


def setup_walk(app, db, org, role):
    """A client logged in as ``role`` and the walk of what it reaches, with 甲镇's samples (in its scope)."""
    samples = sibling_samples(org.town_a)
    user = org.users[ROLES[role]]
    client = app.test_client()
    login(client, user)
    own = f"/users/{user.id}"
    return client, user, samples, discover(app, db, client, samples, skip_paths=(own,))


def field_value(data, form_field):
    """A hostile value, the field's own value, or an option of the form (so the rest passes)."""
    own = form_field.options or [form_field.value]
    if form_field.kind == "file":
        return data.draw(st.binary(max_size=200)), "a.xlsx"
    return data.draw(st.one_of(st.sampled_from(own), any_text))


def form_payload(data, form) -> MultiDict:
    pairs = []
    for name, form_field in form.fields.items():
        choice = data.draw(st.sampled_from(["value", "value", "missing", "repeated"]))
        if choice == "missing":
            continue
        pairs.append((name, field_value(data, form_field)))
        if choice == "repeated":
            pairs.append((name, field_value(data, form_field)))
    if data.draw(st.booleans()):
        pairs.append((data.draw(st.sampled_from(["id", "department_id", "csrf_token", "x" * 300, "状态"])),
                      data.draw(any_text)))
    return MultiDict(pairs)


def query_problems(data, client, db, walk, role) -> list[str]:
    """Every GET page with hostile values in the query arguments seen on it (and common ones)."""
    problems = []
    for endpoint, url in walk.get_urls:
        names = sorted(walk.args.get(url, ()))
        pairs = [(n, data.draw(any_text)) for n in names if data.draw(st.booleans())]
        if names and data.draw(st.booleans()):
            pairs.append((names[0], data.draw(any_text)))   # repeated key
        response, error = request(client, "GET", url + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs), db)
        if error or response.status_code >= 500:
            problems.append(f"{role} GET {url} {pairs!r} ({endpoint}): {error or response.status_code}")
    return problems


def form_problems(data, client, db, walk, role, user, snapshots) -> list[str]:
    """Every form found on the pages, posted with hostile, missing and repeated fields."""
    problems = []
    for action, form in sorted(walk.forms.items()):
        payload = form_payload(data, form)
        problems += checked_post(client, db, action, payload, f"{role} POST {action} ({form.endpoint}) {payload!r:.300}",
                                 multipart=form.multipart, user=user, snapshots=snapshots)
    return problems


@pytest.mark.parametrize("role", list(ROLES))
def test_query_arguments(app, db, org, role):
    client, _user, _samples, walk = setup_walk(app, db, org, role)
    assert len(walk.get_urls) > 50

    @given(data=st.data())
    def fuzz(data):
        problems = query_problems(data, client, db, walk, role)
        assert not problems, report(problems)
    fuzz()


@pytest.mark.parametrize("role", list(ROLES))
def test_forms(app, db, org, role):
    client, user, _samples, walk = setup_walk(app, db, org, role)
    assert walk.forms, "no form found"

    snapshots = Snapshots(db)

    @given(data=st.data())
    def fuzz(data):
        problems = form_problems(data, client, db, walk, role, user, snapshots)
        assert not problems, report(problems)
    fuzz()
    assert_logged_in(client)


@pytest.mark.parametrize("role", list(ROLES))
def test_posts_without_their_form(app, db, org, role):
    """Every POST route, sent an empty body and one of stray keys: no 5xx, a refusal changes nothing."""
    client, user, _samples, walk = setup_walk(app, db, org, role)
    problems, snapshots = [], Snapshots(db)
    for endpoint, url in walk.post_urls:
        if endpoint in SKIPPED_ENDPOINTS:
            continue
        for payload in ({}, {"x": "1", "id": "-1", "status": "<b>", "year": "0"}):
            problems += checked_post(client, db, url, payload, f"{role} POST {url} ({endpoint}) {payload}",
                                     user=user, snapshots=snapshots)
    assert not problems, report(problems)
    assert_logged_in(client)


def bad_url(rule, name, value, ids) -> str:
    """The rule's path with ``value`` (already quoted) for the argument ``name``, ids for the rest."""
    def fill(match):
        arg = match.group(1)
        return value if arg == name else quote(str(ids.get(arg, "X")))
    return ARGUMENT.sub(fill, rule.rule)


@pytest.mark.parametrize("role", list(ROLES))
def test_path_arguments(app, db, org, role):
    """Bad ids and hostile strings in every path argument, on GET and POST."""
    client, user, samples, walk = setup_walk(app, db, org, role)
    problems, snapshots, gets = [], Snapshots(db), []
    for rule in walk.id_rules:
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        ids = sample_ids(app, samples, rule)
        for name in rule.arguments:
            for value in BAD_IDS if name in ids else BAD_STRINGS:
                url = bad_url(rule, name, value, ids)
                if "POST" in rule.methods:
                    problems += checked_post(client, db, url, {}, f"{role} POST {url} ({rule.endpoint})",
                                             user=user, snapshots=snapshots)
                if "GET" in rule.methods:
                    gets.append((rule.endpoint, url))
    for endpoint, url in gets:   # after the POSTs: a GET may log a read (an export) in the audit log
        response, error = request(client, "GET", url, db)
        if error or response.status_code >= 500:
            problems.append(f"{role} GET {url} ({endpoint}): {error or response.status_code}")
    assert not problems, report(problems)
    assert_logged_in(client)
