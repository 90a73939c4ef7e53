"""No input gives a 500: ids beyond the database's integer range, NUL characters, implausible dates.

The walks use the app with every bundled plugin, so the plugins' routes are covered too.
"""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.imports import get_import_kind, run_import
from intranet.inputs import DB_INT_MAX, IdConverter, latest_date
from intranet.models import AuditEvent, Person
from intranet.testing import login, make_id, xlsx_bytes

HUGE = (2**31, 2**63)
PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]


def rules(app, methods=("GET",)):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static" and set(methods) & (r.methods or set())]


def build(rule, fill):
    """The rule's path with each <arg> replaced by ``fill(converter_name)``."""
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: str(fill(m.group(1) or "default")), rule.rule)


def no_500(client, method, url, **kwargs):
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception as exc:  # TESTING propagates the exception a user would see as a 500
        return f"{method} {url}: {type(exc).__name__}: {exc}"[:300]
    return f"{method} {url}: 500" if response.status_code >= 500 else None


def test_plugins_are_in_the_walk(app):
    endpoints = {r.endpoint.split(".")[0] for r in app.url_map.iter_rules()}
    assert {"people", "certificates", "certificates_public", "exams"} <= endpoints


@pytest.mark.parametrize("big", HUGE)
def test_ids_beyond_the_integer_range_are_404_on_every_route(app, client, org, big):
    login(client, org.users["admin"])
    walked, failures = 0, []
    for rule in rules(app, ("GET", "POST")):
        if not any(isinstance(c, IdConverter) for c in rule._converters.values()):
            continue
        url = build(rule, lambda conv: big if conv == "int" else "1")
        for method in sorted({"GET", "POST"} & rule.methods):
            walked += 1
            failures.append(no_500(client, method, url))
            if method == "GET":
                assert client.get(url).status_code == 404, url
    assert walked > 50 and not [f for f in failures if f]


def test_the_largest_id_is_routed_and_its_successor_is_not(app, client, org):
    login(client, org.users["admin"])
    assert client.get(f"/people/{DB_INT_MAX}").status_code == 404   # the view ran: no such person
    assert client.get(f"/people/{org.staff_person.id}").status_code == 200
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/people/{DB_INT_MAX}")[1] == {"person_id": DB_INT_MAX}
    with pytest.raises(Exception):
        adapter.match(f"/people/{DB_INT_MAX + 1}")


# Ids first (each a 404 on its own), then the other numbers and dates (which an id's 404 would hide).
QUERY_ARGS = ({"department_id": 2**63, "department": 2**63, "person": 2**63, "exam": 2**63, "exam_id": 2**63,
               "campaign": 2**63},
              {"page": 10**30, "year": 10**30, "date_from": "0001-01-01", "date_to": "9999-12-31", "status": "x",
               "q": "1"})


@pytest.mark.parametrize("role", ["admin", "dept_admin_a"])
def test_huge_numeric_query_arguments_never_give_a_500(app, client, org, role):
    login(client, org.users[role])
    urls = [r.rule for r in rules(app) if not r.arguments]
    failures = [no_500(client, "GET", url, query_string=args) for url in urls for args in QUERY_ARGS]
    assert len(urls) > 20 and not [f for f in failures if f]


def test_page_beyond_the_end_shows_the_last_page(client, org):
    login(client, org.users["admin"])
    response = client.get("/people/", query_string={"page": str(10**30)})
    assert response.status_code == 200 and "张三" in response.get_data(as_text=True)


def test_huge_department_filter_is_404(client, org):
    login(client, org.users["admin"])
    assert client.get("/people/", query_string={"department_id": str(2**63)}).status_code == 404


def test_huge_id_in_a_form_is_a_form_error(client, db, org):
    login(client, org.users["admin"])
    response = client.post("/people/new", data={"name": "李四", "id_number": make_id(), "department_id": str(2**63),
                                                "staffing": "行政编制"})
    assert response.status_code in (400, 404)
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


# --- NUL characters -------------------------------------------------------------------------

NUL_MESSAGE = "请求中含有无效字符（空字符）"


def test_nul_anywhere_in_a_get_is_400_on_every_route(app, client, org):
    login(client, org.users["admin"])
    failures, walked = [], 0
    for rule in rules(app):
        if not rule.arguments:
            url = rule.rule
            response_url = (url, {"q": "\x00", "number": "\x00"})
        else:
            url = build(rule, lambda conv: 1 if conv == "int" else "\x00")
            response_url = (url, {"q": "\x00"})
        walked += 1
        failure = no_500(client, "GET", response_url[0], query_string=response_url[1])
        failures.append(failure)
        if not failure:
            assert client.get(response_url[0], query_string=response_url[1]).status_code == 400, url
    assert walked > 50 and not [f for f in failures if f]


@pytest.mark.parametrize("url", ["/verify/%00", "/verify/abc%00", "/roster?q=%00", "/verify?number=%00", "/roster?%00=1"])
def test_anonymous_nul_is_a_chinese_400(client, db, url):
    response = client.get(url)
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)


def test_nul_in_a_posted_form_changes_nothing(client, db, org):
    login(client, org.users["admin"])
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post("/people/new", data={"name": "李\x00四", "id_number": make_id(),
                                                "department_id": org.town_a.id, "staffing": "行政编制"})
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)
    response = client.post("/people/new", data={"name": "李四", "id_number": make_id(), "title\x00": "x",
                                                "department_id": org.town_a.id, "staffing": "行政编制"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_nul_in_a_json_body_is_a_json_400(client, org):
    login(client, org.users["admin"])
    response = client.post("/people/new", json={"answer": ["A\u0000"]})
    assert response.status_code == 400 and NUL_MESSAGE in response.get_json()["error"]


def test_nul_in_an_uploaded_file_name_is_400(client, org):
    login(client, org.users["admin"])
    response = client.post("/imports/people", data={"file": (io.BytesIO(b"PK\x03\x04"), "a\x00.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and NUL_MESSAGE in response.get_data(as_text=True)


# --- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("day", ["1899-12-31", (latest_date() + timedelta(days=1)).isoformat(), "9999-12-31"])
def test_implausible_date_in_a_form_is_refused(client, db, org, day):
    login(client, org.users["dept_admin_a"])
    person = org.staff_person
    response = client.post(f"/people/{person.id}/status", data={"status": "退休", "changed_on": day, "reason": "退休"})
    assert response.status_code == 200 and "日期超出合理范围" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "在岗"


def test_plausible_dates_at_the_edges_are_accepted(client, db, org):
    login(client, org.users["dept_admin_a"])
    person = org.staff_person
    for day, status in (("1900-01-01", "退休"), (latest_date().isoformat(), "在岗")):
        response = client.post(f"/people/{person.id}/status", data={"status": status, "changed_on": day, "reason": "测试"})
        assert response.status_code == 302, day
    db.session.expire_all()
    assert db.session.get(Person, person.id).status_changed_on == latest_date()


@pytest.mark.parametrize("day", [date(1850, 1, 1), "1899-12-31", "3000-01-01", latest_date() + timedelta(days=1)])
def test_implausible_date_in_an_import_is_refused(db, org, day):
    rows = [["李四", make_id(), "X01-A", "科员", "行政编制", "是", "退休", day, "否"]]
    result = run_import(get_import_kind("people"), io.BytesIO(xlsx_bytes(PEOPLE_HEADER, rows)), user=org.users["admin"])
    assert not result.ok
    assert any(e.column == "状态变更日期" and "日期超出合理范围" in e.message for e in result.errors), result.errors
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_huge_integer_in_a_form_field_is_a_form_error(app, client, org):
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict

    from intranet.forms import IntegerField

    class YearForm(FlaskForm):
        class Meta:
            csrf = False
        year = IntegerField("年度")

    with app.test_request_context("/"):
        form = YearForm(MultiDict({"year": str(2**63)}))
        assert form.year.data is None  # even unvalidated, the value never reaches a query
        assert not form.validate() and form.year.errors == ["数值超出范围"]
    login(client, org.users["admin"])
    assert client.get("/exams/", query_string={"year": str(2**63)}).status_code == 200


def test_wtforms_own_messages_are_chinese(app):
    """A tampered select or an empty required field: WTForms' built-in message, in Chinese."""
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict
    from wtforms import SelectField, StringField
    from wtforms.validators import InputRequired

    from intranet.forms import options

    class Form(FlaskForm):
        class Meta:
            csrf = False
        kind = SelectField(choices=options([("a", "甲")]))
        name = StringField(validators=[InputRequired()])

    with app.test_request_context(method="POST"):
        form = Form(formdata=MultiDict({"kind": "zzz"}))
        assert not form.validate()
    assert form.kind.errors == ["不是有效的选择。"]
    assert form.name.errors == ["该字段是必填字段。"]


# --- query strings over MAX_QUERY_BYTES -------------------------------------------------------

LONG_QUERY = "q=" + "x" * 8191           # 8193 bytes: one over the limit
LONG_MESSAGE = "网址过长"


def long_query_problems(app, client) -> tuple[int, list[str]]:
    """Every route, each of its methods, with a query string one byte over the limit: 414 each."""
    walked, problems = 0, []
    for rule in rules(app, ("GET", "POST", "PUT", "PATCH", "DELETE")):
        url = build(rule, lambda conv: 1 if conv == "int" else "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            walked += 1
            response = client.open(f"{url}?{LONG_QUERY}", method=method)
            text = response.get_json()["error"] if response.is_json else response.get_data(as_text=True)
            if response.status_code != 414 or LONG_MESSAGE not in text:
                problems.append(f"{method} {url}: {response.status_code}")
    return walked, problems


def test_a_long_query_is_414_on_every_route(app, client, org):
    login(client, org.users["admin"])
    walked, problems = long_query_problems(app, client)
    assert walked > 100 and problems == []


def test_a_long_query_is_414_for_anonymous_users_too(app, client, db):
    walked, problems = long_query_problems(app, client)
    assert walked > 100 and problems == []     # before the login redirect and the CSRF check


def test_the_longest_query_reaches_the_page(client, org):
    login(client, org.users["admin"])
    assert client.get(f"/people/?q={'x' * 8190}").status_code == 200       # "q=" + 8190: 8192 bytes
    assert client.get("/people/", query_string={"q": "长" * 800}).status_code == 200   # 7,202 bytes encoded
    assert client.get("/people/", query_string={"q": "长" * 911}).status_code == 414   # 8,201 bytes


def test_a_long_query_is_a_json_414_for_json_callers(client, org):
    login(client, org.users["admin"])
    response = client.get(f"/people/?{LONG_QUERY}", headers={"Accept": "application/json"})
    assert response.status_code == 414 and LONG_MESSAGE in response.get_json()["error"]


@pytest.mark.parametrize("app_config", [{"MAX_QUERY_BYTES": 100}])
def test_the_limit_is_the_config_key(client, org):
    login(client, org.users["admin"])
    assert client.get(f"/people/?q={'x' * 98}").status_code == 200
    assert client.get(f"/people/?q={'x' * 99}").status_code == 414
