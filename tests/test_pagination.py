"""paginate_grouped gives exactly the pages of paginate (OFFSET), whatever the page."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from intranet.models import Department, Person
from intranet.pagination import paginate, paginate_grouped
from intranet.testing import make_department, make_person


@pytest.fixture
def units(db, org):
    """Units of 0 to 7 people, in a tree order that is not their id order."""
    sizes = [3, 0, 7, 1, 2, 5, 0, 4]
    made = []
    for i, size in enumerate(sizes):
        parent = made[i // 3] if i >= 3 else org.county
        unit = make_department(parent=parent)
        for n in range(size):
            make_person(unit, f"人员{(n * 7) % 5}{n}", status="在岗" if n % 3 else "退休")
        made.append(unit)
    db.session.commit()
    return made


def people():
    return select(Person).join(Person.department).order_by(Department.path, Person.name_key, Person.name, Person.id)


@pytest.mark.parametrize("per_page", [1, 2, 3, 5, 50])
def test_every_page_is_the_offset_page(app, units, per_page):
    for condition in (None, Person.status == "在岗"):
        stmt = people() if condition is None else people().where(condition)
        with app.test_request_context("/"):
            pages = paginate(stmt, per_page=per_page).pages
        for number in [*range(1, pages + 2), 0, "x"]:
            with app.test_request_context(f"/?page={number}"):
                expected = paginate(stmt, per_page=per_page)
                got = paginate_grouped(stmt, Department.id, [Department.path], per_page=per_page,
                                       options=[contains_eager(Person.department)])
            assert [p.id for p in got.items] == [p.id for p in expected.items], (per_page, number)
            assert (got.page, got.total, got.pages) == (expected.page, expected.total, expected.pages)


def test_an_empty_list(app, units):
    with app.test_request_context("/?page=3"):
        page = paginate_grouped(people().where(Person.name == "无此人"), Department.id, [Department.path])
    assert (page.items, page.page, page.total, page.pages) == ([], 1, 0, 1)


def test_rows_as_tuples(app, units):
    stmt = (select(Person.id, Department.name).join(Department, Department.id == Person.department_id)
            .order_by(Department.path, Person.name_key, Person.name, Person.id))
    with app.test_request_context("/?page=2"):
        expected = paginate(stmt, per_page=4, scalars=False)
        got = paginate_grouped(stmt, Department.id, [Department.path], per_page=4, scalars=False)
    assert [tuple(r) for r in got.items] == [tuple(r) for r in expected.items]


@pytest.mark.parametrize("per_page", [1, 3, 50])
def test_counts_from_group_counts_give_the_offset_pages(app, units, per_page):
    from intranet.pagination import group_counts
    for condition in (None, Person.status == "在岗"):
        counted = select(Person) if condition is None else select(Person).where(condition)
        stmt = people() if condition is None else people().where(condition)
        with app.test_request_context("/"):
            pages = paginate(stmt, per_page=per_page).pages
        for number in range(1, pages + 2):
            with app.test_request_context(f"/?page={number}"):
                expected = paginate(stmt, per_page=per_page)
                got = paginate_grouped(stmt, Person.department_id, per_page=per_page,
                                       counts=group_counts(counted, Person.department_id))
            assert [p.id for p in got.items] == [p.id for p in expected.items], (per_page, number)
            assert (got.page, got.total, got.pages) == (expected.page, expected.total, expected.pages)


@pytest.mark.parametrize("per_page", [1, 3, 50])
def test_statements_built_once_with_bound_values_give_the_offset_pages(app, units, per_page):
    """``params`` and a ``rows`` statement built once (the groups, limit and offset bound per
    call): the pages of paginate over the same statement with the values written in."""
    from sqlalchemy import bindparam
    from intranet.pagination import PAGE_LIMIT, PAGE_OFFSET, group_counts
    counted = select(Person).where(Person.status == bindparam("status"))
    rows = (people().where(Person.status == bindparam("status"),
                           Person.department_id.in_(bindparam("groups", expanding=True)))
            .with_only_columns(Person.id, Person.name).limit(PAGE_LIMIT).offset(PAGE_OFFSET))
    for status in ("在岗", "退休"):
        stmt = people().where(Person.status == status)
        with app.test_request_context("/"):
            pages = paginate(stmt, per_page=per_page).pages
        for number in range(1, pages + 2):
            with app.test_request_context(f"/?page={number}"):
                expected = paginate(stmt, per_page=per_page)
                params = {"status": status}
                got = paginate_grouped(counted, Person.department_id, per_page=per_page, rows=rows, scalars=False,
                                       params=params, counts=group_counts(counted, Person.department_id, params))
                grouped = paginate_grouped(people().where(Person.status == bindparam("status")), Department.id,
                                           [Department.path], per_page=per_page, params=params)
            assert [r.id for r in got.items] == [p.id for p in expected.items], (status, per_page, number)
            assert [p.id for p in grouped.items] == [p.id for p in expected.items]
            assert (got.page, got.total, got.pages) == (expected.page, expected.total, expected.pages)


def test_group_counts_count_the_listed_table_alone(app, db, units):
    from intranet.pagination import group_counts
    from intranet.testing import count_queries
    with app.test_request_context("/"), count_queries(db) as queries:
        counts = group_counts(select(Person).where(Person.status == "在岗"), Person.department_id)
    assert sum(n for _, n in counts) == db.session.scalar(
        select(db.func.count()).select_from(Person).where(Person.status == "在岗"))
    (statement,) = queries.statements
    inner = statement[statement.index("(SELECT"):statement.index("GROUP BY")]
    assert "JOIN" not in inner and "department" not in inner.split("FROM", 1)[1], statement


def people_list_count_plan(db) -> str:
    """The plan of the people list's per-unit count (group_counts' inner query) with its usual
    filters, ix_person_list the only candidate index on PostgreSQL (see query_plan)."""
    from intranet.testing import query_plan
    stmt = select(Person).where(Person.status == "在岗", Person.staffing == "行政编制")
    counted = (stmt.with_only_columns(Person.department_id, db.func.count(), maintain_column_froms=True)
               .group_by(Person.department_id))
    return query_plan(db, counted, only_index=("person", "ix_person_list"))


def test_the_people_list_count_reads_ix_person_list_alone(app, db, units):
    plan = people_list_count_plan(db)
    assert "ix_person_list" in plan, plan
    assert ("Index Only Scan" in plan) if db.engine.dialect.name == "postgresql" else ("COVERING INDEX" in plan), plan


def test_group_counts_spanning_is_the_rows_of_the_page():
    """Against a plain walk over the rows, groups of 0 rows included (callers may pass them)."""
    import random
    from intranet.pagination import GroupCounts
    rng = random.Random(7)
    for _ in range(200):
        sizes = [rng.choice([0, 0, 1, 2, 3, 7]) for _ in range(rng.randint(0, 8))]
        counts = GroupCounts((f"g{i}", n) for i, n in enumerate(sizes))
        rows = [(f"g{i}", r) for i, n in enumerate(sizes) for r in range(n)]
        assert counts.total == len(rows)
        per_page = rng.randint(1, 5)
        for start in range(0, len(rows) + per_page, per_page):
            groups, skip = counts.spanning(start, start + per_page)
            wanted = rows[start:start + per_page]
            got = [(g, r) for g, r in rows if g in groups][skip:skip + per_page]
            assert got == wanted, (sizes, per_page, start, groups, skip)


def test_url_pattern_builds_the_same_links_as_url_for(app):
    """A list's rows link to one view with different ids: url_pattern gives url_for's URLs."""
    from flask import url_for
    from intranet.templating import UrlPattern
    with app.test_request_context("/people/"):
        record = UrlPattern("people.record", "person_id")
        for pid in (1, 42, 2147483647):
            assert record(pid) == url_for("people.record", person_id=pid)
        create = UrlPattern("people.create", "department_id")   # the value in the query string
        assert create(7) == url_for("people.create", department_id=7)
        with pytest.raises(ValueError):
            record("1 or 1=1")


def test_filter_macros_write_what_the_wtforms_widgets_write(app):
    """The filter bar's fields (macros/ui.html filter_input, filter_select) give the WTForms
    widgets' elements: the same attributes, the value kept and escaped, the chosen option selected."""
    import re
    from flask import render_template_string, request
    from intranet.people.forms import PeopleFilterForm

    def attributes(html):
        return [sorted(re.findall(r'(\w+)(?:="([^"]*)")?', tag)) for tag in re.findall(r"<(?:input|select|option)\b[^>]*>", html)]

    with app.test_request_context("/people/?q=%3Cscript%3E%22x&unit=a%27b&status=在岗&enforcement=0"):
        form = PeopleFilterForm(request.args)
        for name, macro in (("q", "filter_input"), ("unit", "filter_input"), ("status", "filter_select"),
                            ("staffing", "filter_select"), ("enforcement", "filter_select")):
            mine = render_template_string('{% from "macros/ui.html" import ' + macro + ' %}{{ ' + macro + '(f, placeholder="p") }}',
                                          f=form[name])
            theirs = str(form[name](placeholder="p"))
            assert attributes(mine) == attributes(theirs), name
            assert "<script>" not in mine
