"""The hostile walk itself catches what it is for: a 5xx on a query argument or a form, and a
refusal that changed data (planted routes on the test app)."""
from __future__ import annotations

import pytest
from flask import flash, redirect, render_template_string, request
from hostile_walk import Snapshots, checked_post, discover, refused
from hypothesis import given, settings
from hypothesis import strategies as st
from test_requests import form_problems, query_problems

from intranet import audit
from intranet.access import roles_required
from intranet.extensions import db as _db
from intranet.testing import login

PAGE = """<form method="get"><input name="n"></form>
<form method="post" action="/test-hostile/leak"><input name="note"><select name="kind"><option value="a">a</option></select></form>"""


@pytest.fixture
def planted(app, db, org):
    @roles_required("admin")
    def page():
        int(request.args.get("n") or 0)          # a 500 on anything but a number
        return render_template_string(PAGE)

    @roles_required("admin")
    def leak():
        audit.record("update", "test", None, summary="写入后又拒绝")
        _db.session.commit()
        return "请求无效", 400                  # refuses, but has already written

    @roles_required("admin")
    def flashing():
        flash("不能这样做", "error")
        return redirect("/dashboard")

    app.add_url_rule("/test-hostile/page", "test_hostile_page", page)
    app.add_url_rule("/test-hostile/leak", "test_hostile_leak", leak, methods=["POST"])
    app.add_url_rule("/test-hostile/flash", "test_hostile_flash", flashing, methods=["POST"])
    client = app.test_client()
    login(client, org.users["admin"])
    return client


def test_a_refusal_that_writes_is_caught(app, db, org, planted):
    problems = checked_post(planted, db, "/test-hostile/leak", {"note": "x"}, "leak")
    assert problems == ["leak: refused (400) but changed audit_event"]


def test_the_walk_finds_the_planted_form_and_argument(app, db, org, planted):
    walk = discover(app, db, planted, [])
    assert "n" in walk.args["/test-hostile/page"]
    assert set(walk.forms["/test-hostile/leak"].fields) == {"note", "kind"}
    walk.get_urls = [("test_hostile_page", "/test-hostile/page")]
    walk.forms = {"/test-hostile/leak": walk.forms["/test-hostile/leak"]}
    found = {"query": [], "form": []}

    @settings(max_examples=25)
    @given(data=st.data())
    def fuzz(data):
        found["query"] += query_problems(data, planted, db, walk, "admin")
        found["form"] += form_problems(data, planted, db, walk, "admin", org.users["admin"], Snapshots(db))
    fuzz()
    assert any("ValueError" in p for p in found["query"]), found
    assert any("refused (400) but changed audit_event" in p for p in found["form"])


def test_refusals_are_recognised(app, db, org, planted):
    assert refused(planted, planted.post("/test-hostile/flash"))
    assert refused(planted, planted.post("/test-hostile/leak"))
    with planted.session_transaction() as session:
        session.pop("_flashes", None)
    assert not refused(planted, planted.get("/dashboard"))
