"""No N+1: every GET page issues as many SQL statements with three times the rows as with a few.

The walk opens every GET route of the app (whichever plugins are enabled; no plugin is named here)
with ids and values from the ``access_samples`` hook of the core and each plugin, counts the
statements each request sends (``before_cursor_execute``), then grows the data — the samples'
``grow`` adds rows under every list-heading record, and more departments get samples of their own
— and counts again. A page whose count grows with the rows loads something per row.

A route the walk cannot open (no 2xx for any walking user) fails the test unless it is listed in
``NOT_WALKED`` with the reason.
"""
from __future__ import annotations

from collections import Counter

import pytest

from intranet.access_walk import int_arguments, route_owner, walked_rules
from intranet.testing import access_samples, count_queries, login, make_department

SLACK = 2   # statements a page may add when its data triples (a second page of a list, a lazy group)
SMALL, LARGE = 2, 6     # rows ``grow`` adds under each sample record: the large set has 3×
MORE_DEPARTMENTS = 2    # departments with samples of their own in the large set
WALKERS = ("admin", "staff_a")   # the first answered < 400 opens the route (staff: the "mine" pages)

# Endpoint suffixes not walked, with the reason (matched on ``endpoint.rsplit(".")[-1]``).
NOT_WALKED = {
    "report_records": "a report figure's drill-down takes a figure key and ?year=&department= from the "
                      "report's fragments; tests/test_reports.py opens each figure's list",
    "errors": "an import's error file exists only after a failed import (tests/test_imports.py)",
    "public_report": "a published report's token exists only after publishing (tests/test_report_submissions.py)",
    "favicon": "a static file",
    "photo": "a card's photo file: the samples have none (plugins/certificates/tests)",
    "application_photo": "an application's photo file: the samples have none (plugins/certificates/tests)",
    "scan": "a contract's scan file: the samples have none (plugins/legal_advisers/tests)",
    "paper": "an online paper opens only to its own candidate while the exam is open (plugins/exams/tests)",
    "paper_result": "an online paper's result opens only to its own candidate (plugins/exams/tests)",
    "result": "a job's result file exists only after the job ran (tests/test_jobs.py)",
    "chart": "a report chart is keyed by the hash of an assembled report's figures (tests/test_report_pieces.py)",
    "table": "a folded report table is keyed by the hash of an assembled report's table (tests/test_report_pieces.py)",
}


def not_walked(endpoint: str) -> str | None:
    return NOT_WALKED.get(endpoint.rsplit(".", 1)[-1])


def get_routes(app, only=None):
    return [rule for rule in walked_rules(app) if "GET" in rule.methods and (only is None or rule.endpoint in only)]


def sample_urls(app, samples, only=None) -> dict[str, str]:
    """endpoint → URL, each filled with the samples of the plugin owning it (then the core's)."""
    by_owner = {s.plugin: {**s.values, **s.ids} for s in samples}
    every_value = {k: v for s in samples for k, v in s.values.items()}
    queries = {endpoint: args for s in samples for endpoint, args in s.query.items()}
    urls = {}
    for rule in get_routes(app, only):
        values = {**every_value, **by_owner.get("core", {}), **by_owner.get(route_owner(app, rule.endpoint), {})}
        missing = [name for name in int_arguments(rule) if name not in values]
        if missing:
            continue
        args = {name: values.get(name, next(iter(getattr(rule._converters[name], "items", ["X"])), "X"))
                for name in rule.arguments}
        built = rule.build({**args, **queries.get(rule.endpoint, {})})
        if built:
            urls[rule.endpoint] = built[1]
    return urls


def count(app, db, clients, url, walker=None):
    """(walker, statements) of GET ``url`` with the first walker answered < 400, else (None, answers)."""
    statuses = []
    for name in ([walker] if walker else WALKERS):
        # A fresh app context, so a fresh session, per request, as in production (no identity map carried over).
        with app.app_context(), count_queries(db) as queries:
            try:
                response = clients[name].get(url)
            except Exception as exc:  # noqa: BLE001 - reported with the URL by the caller
                db.session.rollback()
                statuses.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
        if response.status_code < 400:
            return name, list(queries.statements)
        statuses.append(f"{name}: {response.status_code}")
    return None, ", ".join(statuses)


def logged_in_clients(app, org):
    clients = {}
    for name in WALKERS:
        clients[name] = app.test_client()
        login(clients[name], org.users[name])
    return clients


def grow_all(db, samples, n):
    for sample in samples:
        if sample.grow:
            sample.grow(n)


def query_count_problems(app, db, org, only=None) -> list[str]:
    """Problems of every GET route (or of the endpoints in ``only``)."""
    clients = logged_in_clients(app, org)
    county_id = org.county.id
    samples = access_samples(org.town_a)
    grow_all(db, samples, SMALL)
    db.session.commit()
    urls = sample_urls(app, samples, only)
    problems = []
    for rule in get_routes(app, only):
        if rule.endpoint not in urls and not not_walked(rule.endpoint):
            problems.append(f"{rule.endpoint} ({rule.rule}): no sample gives its URL arguments "
                            f"(the access_samples hook of {route_owner(app, rule.endpoint)}), and not in NOT_WALKED")
    small = {}
    for endpoint, url in urls.items():
        if not_walked(endpoint):
            continue
        count(app, db, clients, url)               # warm up (first-use caches)
        walker, n = count(app, db, clients, url)
        if walker is None:
            problems.append(f"GET {url} ({endpoint}): not opened ({n}); give a sample or list it in NOT_WALKED")
        else:
            small[endpoint] = (walker, n)

    grow_all(db, samples, LARGE - SMALL)
    parent = db.session.get(type(org.county), county_id)
    for _ in range(MORE_DEPARTMENTS):
        grow_all(db, access_samples(make_department(kind="乡镇(街道)", parent=parent)), LARGE)
    db.session.commit()
    for endpoint, (walker, before) in small.items():
        count(app, db, clients, urls[endpoint], walker)   # warm again: the kept counts are taken anew after the writes
        _, after = count(app, db, clients, urls[endpoint], walker)
        if not isinstance(after, list):
            problems.append(f"GET {urls[endpoint]} ({endpoint}) as {walker}: {after} with more rows")
        elif len(after) > len(before) + SLACK:
            problems.append(f"GET {urls[endpoint]} ({endpoint}) as {walker}: {len(before)} statements with a few "
                            f"rows, {len(after)} with 3× the rows; repeated: {most_grown(before, after)}")
    return problems


def most_grown(before: list[str], after: list[str]) -> str:
    """The statement whose repetitions grew the most (the query per row), shortened."""
    grown = Counter(after)
    grown.subtract(Counter(before))
    statement, times = grown.most_common(1)[0]
    return f"{times} more × {' '.join(statement.split())[:300]}"


def report(problems) -> str:
    return "\n" + "\n".join(problems)


def test_no_page_issues_a_query_per_row(app, db, org):
    problems = query_count_problems(app, db, org)
    assert not problems, report(problems)


# --- the walk itself must catch mistakes -------------------------------------------------------

def test_walk_catches_a_query_per_row_and_an_unreachable_route(app, db, org):
    from intranet.access import roles_required
    from intranet.extensions import db as _db
    from intranet.models import Department, Person

    @roles_required("admin")
    def per_row():
        people = _db.session.scalars(_db.select(Person).order_by(Person.id)).all()
        return ", ".join(str(_db.session.get(Department, p.department_id, populate_existing=True).name)
                         for p in people)   # a query per person

    app.add_url_rule("/test-per-row", "test_per_row", per_row)
    app.add_url_rule("/test-unknown/<int:widget_id>", "test_unknown", roles_required("admin")(lambda widget_id: "x"))
    app.add_url_rule("/test-gone", "test_gone", roles_required("admin")(lambda: ("", 404)))
    problems = query_count_problems(app, db, org, only={"test_per_row", "test_unknown", "test_gone"})
    assert any("(test_per_row)" in p and "with 3× the rows" in p for p in problems), report(problems)
    assert any(p.startswith("test_unknown (/test-unknown/<int:widget_id>): no sample") for p in problems)
    assert any("(test_gone): not opened" in p for p in problems), report(problems)


@pytest.mark.parametrize("endpoint", sorted(NOT_WALKED))
def test_not_walked_names_real_routes(app, endpoint):
    assert any(rule.endpoint.rsplit(".", 1)[-1] == endpoint for rule in get_routes(app)), endpoint


# --- the long lists: a fixed, small number of statements on every page ---------------------------

PEOPLE_LIST_BUDGET = 4   # the user, the per-unit counts, the page's rows (+ a chosen unit's lookup)


def test_the_people_list_costs_the_same_on_every_page(app, db, org):
    app.config["COUNT_CACHE_SECONDS"] = 0   # the count's SQL on every page (intranet.counts)
    from intranet.testing import count_queries, make_person
    for i, unit in enumerate([org.town_a, org.town_b, org.market] * 15):
        make_person(unit, f"名单{i:02d}", staffing="行政编制" if i % 4 else "合同工")
    db.session.commit()
    client = logged_in_clients(app, org)["admin"]
    seen = {}
    for args in ("staffing=行政编制&status=在岗", "staffing=行政编制&status=在岗&page=2",
                 f"status=在岗&department_id={org.county.id}&page=2", "unit=乙镇&page=1"):
        with app.app_context(), count_queries(db) as queries:
            assert client.get(f"/people/?{args}").status_code == 200
        seen[args] = queries.statements
        assert len(queries.statements) <= PEOPLE_LIST_BUDGET, (args, queries.statements)
        counts = next(s for s in queries.statements if "count(*)" in s)
        inner = counts[counts.index("(SELECT"):counts.index("GROUP BY")]
        assert "JOIN" not in inner, counts   # the pager counts people alone (ix_person_list)
    assert len(seen["staffing=行政编制&status=在岗"]) == len(seen["staffing=行政编制&status=在岗&page=2"])
