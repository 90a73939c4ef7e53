"""Stored figures (intranet.stored): computed once by the worker, read by the dashboard.

The app here queues for real (no inline computing, no immediate queue): a test runs the queued
refreshes itself, as the worker would.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from intranet import stored
from intranet.access import apply_scope
from intranet.extensions import db as _db
from intranet.hookspecs import Widget, hookimpl
from intranet.jobs.queue import get_queue
from intranet.models import Person, StoredFigure
from intranet.plugins import get_pm
from intranet.stored import (PENDING_TEXT, Computed, batch, claim, computed, forget_unread, read, refresh, scope_key,
                             scope_user)
from intranet.testing import count_queries, login, make_person, run_in_parallel

CALLS: list = []


@computed
def doubled(x):
    CALLS.append(x)
    return {"x": x * 2, "call": len(CALLS)}


@computed
def broken(x):
    raise RuntimeError("boom")


@computed(version=1)
def people_in_scope(scope):
    return _db.session.scalar(apply_scope(select(func.count(Person.id)), Person.department_id, scope_user(scope)))


@pytest.fixture
def app_config():
    return {"STORED_FIGURES_INLINE": False, "QUEUE_IMMEDIATE": False}


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()


def run_worker() -> list:
    """Run every queued task, as the worker would; what each returned."""
    huey, results = get_queue().huey, []
    while (task := huey.dequeue()) is not None:
        results.append(huey.execute(task))
    return results


def queued() -> int:
    return len(get_queue().huey.pending())


def row(func, *args) -> StoredFigure:
    _db.session.expire_all()
    return _db.session.scalar(select(StoredFigure).where(StoredFigure.key == stored.key_of(func.name, list(args))))


def age(func, *args, seconds: float, column: str = "computed_at") -> None:
    """Move the stored figure's ``column`` ``seconds`` into the past."""
    key = stored.key_of(func.name, list(args))
    with _db.engine.begin() as conn:
        conn.execute(update(StoredFigure.__table__).where(StoredFigure.key == key)
                     .values({column: datetime.now() - timedelta(seconds=seconds)}))


def test_first_read_queues_one_refresh_the_worker_stores_it(app, db):
    first = read(doubled, 3)
    assert first.value is None and not first.ready and first.label == PENDING_TEXT
    assert "统计中，稍后刷新" in first.note()
    assert queued() == 1
    assert read(doubled, 3).value is None and queued() == 1    # claimed: no second refresh
    assert run_worker() == ["done"] and CALLS == [3]
    figure = read(doubled, 3)
    assert figure.ready and figure.value == {"x": 6, "call": 1}
    assert figure.label == f"统计于 {figure.at:%H:%M}"
    assert read(doubled, 3).value == {"x": 6, "call": 1} and queued() == 0   # fresh: no refresh
    assert row(doubled, 3).claim is None and row(doubled, 3).seconds is not None


def test_arguments_are_part_of_the_key(app, db):
    read(doubled, 1), read(doubled, 2)
    assert queued() == 2
    run_worker()
    assert read(doubled, 1).value["x"] == 2 and read(doubled, 2).value["x"] == 4


def test_a_stale_value_is_served_while_one_refresh_runs(app, db):
    read(doubled, 5)
    run_worker()
    age(doubled, 5, seconds=301)
    stale = read(doubled, 5)
    assert stale.value == {"x": 10, "call": 1} and stale.ready    # the old value, at once
    assert queued() == 1
    assert read(doubled, 5).value == {"x": 10, "call": 1} and queued() == 1
    run_worker()
    assert read(doubled, 5).value == {"x": 10, "call": 2}



def test_views_of_a_figure_being_computed_write_nothing(app, db):
    """While the refresh of a stale figure runs, a view reads its row and writes nothing (no claim
    attempt per view); once the refresh is done and the figure stale again, a view claims it."""
    read(doubled, 6)
    run_worker()
    age(doubled, 6, seconds=301)
    read(doubled, 6)                                     # claims the refresh
    assert queued() == 1
    with count_queries(_db) as q:
        assert read(doubled, 6).value == {"x": 12, "call": 1}
    assert [s for s in q.statements if not s.lstrip().upper().startswith("SELECT")] == []
    run_worker()
    age(doubled, 6, seconds=301)
    read(doubled, 6)
    assert queued() == 1

def test_freshness_follows_the_setting(app, db):
    app.config["STORED_FIGURES_SECONDS"] = 10
    read(doubled, 5)
    run_worker()
    age(doubled, 5, seconds=11)
    read(doubled, 5)
    assert queued() == 1


def test_one_claim_at_a_time_until_it_expires(app, db):
    read(doubled, 7)
    first_token = row(doubled, 7).claim
    assert claim(doubled, [7]) is None                   # held
    age(doubled, 7, seconds=601, column="claimed_at")    # its worker died
    read(doubled, 7)
    second_token = row(doubled, 7).claim
    assert second_token != first_token and queued() == 2
    key = stored.key_of(doubled.name, [7])
    assert refresh(key, first_token) == "skipped"        # the expired claim's worker computes nothing
    assert CALLS == []
    assert refresh(key, second_token) == "done" and CALLS == [7]


def test_parallel_readers_claim_once(app, db):
    results = run_in_parallel(app, 6, lambda i, _: claim(doubled, [11]))
    assert not any(isinstance(r, BaseException) for r in results), results
    assert sum(r is not None for r in results) == 1


def test_a_failed_computation_is_recorded_and_retried_when_its_claim_expires(app, db):
    assert read(broken, 1).value is None
    assert run_worker() == ["failed"]
    assert "boom" in row(broken, 1).error and row(broken, 1).claim is not None
    read(broken, 1)
    assert queued() == 0                                 # no retry on every page view
    age(broken, 1, seconds=601, column="claimed_at")
    read(broken, 1)
    assert queued() == 1


def test_a_value_of_another_version_is_never_served(app, db):
    read(doubled, 4)
    run_worker()
    newer = Computed(doubled.func, version=2)            # same name, new shape of value
    assert newer.name == doubled.name
    assert read(newer, 4).value is None and queued() == 1


def test_an_unreachable_queue_gives_the_claim_back(app, db, monkeypatch):
    def down(key, token):
        raise ConnectionError("redis down")
    monkeypatch.setattr(get_queue(), "refresh_figures", down)
    assert read(doubled, 9).value is None
    assert row(doubled, 9).claim is None                 # the next read tries again


def test_unread_figures_are_forgotten(app, db):
    read(doubled, 1), read(doubled, 2)
    run_worker()
    age(doubled, 1, seconds=31 * 86400, column="read_at")
    assert forget_unread() == 1
    assert row(doubled, 1) is None and row(doubled, 2) is not None


def test_only_registered_json_figures(app, db):
    with pytest.raises(TypeError):
        read(lambda: 1)
    with pytest.raises(TypeError):
        read(doubled, object())
    with pytest.raises(TypeError):
        def local():
            return 1
        computed(local)


def test_inline_when_testing(app, db):
    app.config["STORED_FIGURES_INLINE"] = None           # the default: inline under TESTING
    figure = read(doubled, 2)
    assert figure.value == {"x": 4, "call": 1} and figure.ready and queued() == 0
    assert read(doubled, 2).value["call"] == 2           # computed again: tests see their data at once
    assert db.session.scalar(select(func.count(StoredFigure.id))) == 0


def test_the_scope_is_part_of_the_key(app, db, org):
    make_person(org.town_b, "李四")
    db.session.commit()
    a, everyone = scope_key(org.users["dept_admin_a"]), scope_key(org.users["bureau"])
    assert a == org.town_a.id and everyone == "all" and scope_key(org.users["dept_admin_b"]) == org.town_b.id
    read(people_in_scope, a), read(people_in_scope, everyone)
    run_worker()
    assert read(people_in_scope, a).value == 1 and read(people_in_scope, everyone).value == 2
    assert read(people_in_scope, None).value is None
    run_worker()
    assert read(people_in_scope, None).value == 0        # a user who sees nothing counts nothing


def test_dashboard_shows_pending_then_the_time(app, db, client, org):
    login(client, org.users["bureau"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert PENDING_TEXT in html
    assert queued() >= 1
    assert set(run_worker()) == {"done"}
    html = client.get("/dashboard").get_data(as_text=True)
    assert PENDING_TEXT not in html and "统计于 " in html
    assert "学时未达标人数" in html and "有效证件" in html and "法律顾问覆盖率" in html


def test_dashboard_figures_are_kept_per_department(app, db, client, org):
    """A unit admin's cards read figures of the unit's own subtree only, never the whole tree's."""
    login(client, org.users["dept_admin_a"])
    client.get("/dashboard")
    rows = db.session.scalars(select(StoredFigure)).all()
    assert rows
    for figure in rows:
        if figure.name.endswith("report_charts"):
            assert figure.args[1] == org.town_a.id
        else:
            assert org.town_a.id in figure.args and "all" not in figure.args, figure.name


def stored_reads(queries) -> list[str]:
    return [s for s in queries.statements if s.lstrip().upper().startswith("SELECT") and "stored_figures" in s]


def test_a_batch_reads_what_the_last_one_read_in_one_select(app, db):
    with batch():
        read(doubled, 21), read(doubled, 22), read(doubled, 23)
    assert queued() == 3
    run_worker()
    with count_queries(db) as queries, batch():
        values = [read(doubled, x).value["x"] for x in (21, 22, 23)]
    assert values == [42, 44, 46] and len(stored_reads(queries)) == 1
    with count_queries(db) as queries, batch():
        read(doubled, 21), read(doubled, 24)       # a key not read with 21 before: a SELECT of its own
    assert len(stored_reads(queries)) == 2
    with count_queries(db) as queries:            # outside a batch: a SELECT each
        read(doubled, 22), read(doubled, 23)
    assert len(stored_reads(queries)) == 2


def test_a_batch_keeps_freshness_and_claims(app, db):
    with batch():
        read(doubled, 31), read(doubled, 32)
    run_worker()
    age(doubled, 32, seconds=301)
    with batch():
        assert read(doubled, 31).value["x"] == 62 and queued() == 0
        assert read(doubled, 32).value["x"] == 64 and queued() == 1    # stale: served, one refresh
        assert read(doubled, 32).value["x"] == 64 and queued() == 1    # claimed
    run_worker()
    with batch():
        read(doubled, 31)
        assert read(doubled, 32).value == {"x": 64, "call": 3}


class ExtraCards:
    """Cards of a plugin the dashboard does not know, each with a stored figure."""

    def __init__(self, count: int):
        self.count = count

    @hookimpl
    def dashboard_widgets(self, user):
        cards = []
        for i in range(self.count):
            figure = read(doubled, 100 + i)
            cards.append(Widget("extra", f"附加卡片{i}", order=90 + i,
                                figures=[("值", figure.value["x"])] if figure.ready else [], html=figure.note()))
        return cards


@pytest.mark.parametrize("extra", [0, 1, 6])
def test_dashboard_reads_its_stored_figures_in_one_statement(app, db, client, org, extra):
    get_pm().register(ExtraCards(extra), name="extra_cards")
    login(client, org.users["bureau"])
    client.get("/dashboard")
    assert set(run_worker()) == {"done"}
    client.get("/dashboard")                      # learns which figures the page reads
    with count_queries(db) as queries:
        html = client.get("/dashboard").get_data(as_text=True)
    assert PENDING_TEXT not in html and html.count("统计于 ") == 4 + extra
    assert len(stored_reads(queries)) == 1, stored_reads(queries)
