"""intranet.counts: the pagers' counts are reused until a table they read is written."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from sqlalchemy import select, text, update

from intranet import counts
from intranet.models import Person
from intranet.testing import BASE_CONFIG, count_queries, login, make_department, make_person, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def unit(db, org):
    unit = make_department(parent=org.county)
    for n in range(3):
        make_person(unit, f"人员{n}")
    db.session.commit()
    return unit


@pytest.fixture
def admin(client, db, org):
    user = make_user("admin", org.county)
    db.session.commit()
    login(client, user)
    return user


def total_on_page(client, path="/people/") -> tuple[int, int]:
    """(people listed, statements run) of the people list's page; the total is read from the pager."""
    from intranet.extensions import db
    with count_queries(db) as q:
        html = client.get(path).get_data(as_text=True)
    import re
    found = re.search(r"共\s*([\d,]+)\s*(?:条|人|项|个)", html)
    assert found, "the pager shows no total"
    return int(found.group(1).replace(",", "")), len(q)


def counting(q) -> int:
    return sum(1 for s in q.statements if "count(" in s.lower())


def test_a_second_view_reuses_the_count(app, client, db, unit, admin):
    from intranet.extensions import db as _db
    first_total, _ = total_on_page(client)
    with count_queries(_db) as q:
        client.get("/people/")
    assert counting(q) == 0, q.statements
    assert total_on_page(client)[0] == first_total


def test_an_orm_write_counts_again(app, client, db, unit, admin):
    before, _ = total_on_page(client)
    make_person(unit, "新人员")
    db.session.commit()
    assert total_on_page(client)[0] == before + 1


def test_a_raw_connection_write_counts_again(app, client, db, unit, admin):
    before, _ = total_on_page(client, "/people/?status=在岗")
    first, second = db.session.scalars(select(Person.id).where(Person.department_id == unit.id)
                                       .order_by(Person.id).limit(2))
    with db.engine.begin() as conn:   # not through the ORM session
        conn.execute(update(Person.__table__).where(Person.__table__.c.id == first).values(status="退休"))
    assert total_on_page(client, "/people/?status=在岗")[0] == before - 1
    with db.engine.begin() as conn:   # text SQL: its table is not known, every count is taken again
        conn.execute(text("UPDATE person SET status = '退休' WHERE id = :id"), {"id": second})
    assert total_on_page(client, "/people/?status=在岗")[0] == before - 2


def test_a_rolled_back_write_keeps_the_count_right(app, client, db, unit, admin):
    before, _ = total_on_page(client)
    make_person(unit, "撤回的人员")
    db.session.flush()
    db.session.rollback()
    assert total_on_page(client)[0] == before


def test_counts_are_kept_per_scope(app, client, db, org, unit):
    other = make_department(parent=org.county)
    make_person(other, "别处的人员")
    mine = make_user("dept_admin", unit)
    theirs = make_user("dept_admin", other)
    db.session.commit()
    login(client, mine)
    assert total_on_page(client)[0] == 3
    client.get("/logout")
    login(client, theirs)
    assert total_on_page(client)[0] == 1


def test_counts_expire(app, client, db, unit, admin, monkeypatch):
    total_on_page(client)
    later = counts.time.monotonic() + app.config["COUNT_CACHE_SECONDS"] + 1
    monkeypatch.setattr(counts.time, "monotonic", lambda: later)
    from intranet.extensions import db as _db
    with count_queries(_db) as q:
        client.get("/people/")
    assert counting(q) >= 1


@pytest.mark.parametrize("app_config", [{"COUNT_CACHE_SECONDS": 0}])
def test_zero_seconds_counts_every_time(app, client, db, unit, admin, app_config):
    from intranet.extensions import db as _db
    total_on_page(client)
    with count_queries(_db) as q:
        client.get("/people/")
    assert counting(q) >= 1


def test_a_finished_job_seen_counts_again(app, client, db, unit, admin):
    """The queue's worker is another process: its writes reach this one's versions when its job
    is seen finished."""
    cache = app.extensions["intranet_counts"]
    before = cache.versions.get(())
    with app.test_request_context():
        counts.changed_elsewhere()
    assert cache.versions.get(()) != before



def test_a_change_named_counts_again_once(app):
    """A finished job's page is polled many times: its writes make this process count again once."""
    cache = app.extensions["intranet_counts"]
    with app.test_request_context():
        counts.changed_elsewhere(("job", 1))
        after_first = cache.versions.get(())
        counts.changed_elsewhere(("job", 1))
        assert cache.versions.get(()) == after_first
        counts.changed_elsewhere(("job", 2))
        assert cache.versions.get(()) != after_first


def test_text_sql_writes_bump_every_table(app, db, unit):
    cache = app.extensions["intranet_counts"]
    before = cache.versions.get(())
    db.session.execute(text("SELECT count(*) FROM person")).scalar()
    db.session.commit()
    assert cache.versions.get(()) == before   # a read changes nothing
    db.session.execute(text("UPDATE person SET name = name WHERE id < 0"))
    db.session.commit()
    assert cache.versions.get(()) != before

# --- several workers: the versions in Redis ----------------------------------------------------

WRITER = r"""
import json, sys
from intranet import create_app
from intranet.extensions import db
from sqlalchemy import text
config = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context():
    db.session.execute(text("UPDATE person SET status = '退休' WHERE id = (SELECT min(id) FROM person)"))
    db.session.commit()
"""


def write_in_another_process(database, config):
    config = {**BASE_CONFIG, **config, "SQLALCHEMY_DATABASE_URI": database.url}
    done = subprocess.run([sys.executable, "-c", WRITER, json.dumps(config)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


SHARED = {"COUNT_CACHE_REDIS_URL": REDIS_URL, "COUNT_CACHE_KEY_PREFIX": f"intranet-test-{uuid.uuid4().hex[:8]}:"}


@pytest.fixture
def clean_redis():
    yield
    r = redis.Redis.from_url(REDIS_URL)
    for key in r.scan_iter(SHARED["COUNT_CACHE_KEY_PREFIX"] + "*"):
        r.delete(key)


@pytest.mark.parametrize("app_config", [SHARED])
def test_a_write_in_another_worker_counts_again_with_shared_versions(app, client, db, database, unit, admin,
                                                                     app_config, clean_redis):
    before, _ = total_on_page(client, "/people/?status=在岗")
    write_in_another_process(database, app_config)
    assert total_on_page(client, "/people/?status=在岗")[0] == before - 1



@pytest.mark.parametrize("app_config", [SHARED])
def test_a_request_reads_the_shared_versions_once(app, db, unit, app_config, clean_redis, monkeypatch):
    """Every count of a request is looked up against one read of the versions; a write of this
    process reads them again, and so does the next request."""
    from sqlalchemy import func
    versions = app.extensions["intranet_counts"].versions
    asked = []
    real = versions._redis.hgetall
    monkeypatch.setattr(versions._redis, "hgetall", lambda key: asked.append(key) or real(key))
    stmts = [select(func.count()).select_from(Person).where(Person.status == s) for s in ("在岗", "退休", "调离")]
    with app.test_request_context("/"):
        for stmt in stmts * 2:
            counts.remember(stmt, lambda: db.session.scalar(stmt))
        assert len(asked) == 1
        before = counts.remember(stmts[0], lambda: db.session.scalar(stmts[0]))
        make_person(unit, "新来的")
        db.session.commit()
        assert counts.remember(stmts[0], lambda: db.session.scalar(stmts[0])) == before + 1
        assert len(asked) == 2
    with app.test_request_context("/"):
        counts.remember(stmts[0], lambda: db.session.scalar(stmts[0]))
        assert len(asked) == 3

def test_without_shared_versions_another_worker_is_seen_when_the_count_expires(
        app, client, db, database, unit, admin, monkeypatch):
    """The embedded default: the count of this process stays until COUNT_CACHE_SECONDS."""
    before, _ = total_on_page(client, "/people/?status=在岗")
    write_in_another_process(database, {})
    assert total_on_page(client, "/people/?status=在岗")[0] == before
    later = counts.time.monotonic() + app.config["COUNT_CACHE_SECONDS"] + 1
    monkeypatch.setattr(counts.time, "monotonic", lambda: later)
    assert total_on_page(client, "/people/?status=在岗")[0] == before - 1


@pytest.mark.parametrize("app_config", [{"COUNT_CACHE_REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_unreachable_redis_counts_every_time(app, client, db, unit, admin, app_config):
    before, _ = total_on_page(client)
    from intranet.extensions import db as _db
    with count_queries(_db) as q:
        assert client.get("/people/").status_code == 200
    assert counting(q) >= 1
    make_person(unit, "新人员")
    db.session.commit()   # the bump fails: logged, and nothing kept
    assert total_on_page(client)[0] == before + 1


def test_bulk_insert_counts_again(app, client, db, unit, admin):
    before, _ = total_on_page(client)
    from intranet.imports.framework import bulk_insert
    from intranet.testing import make_id
    bulk_insert(Person, [{"name": f"批量{n}", "id_number": make_id(9000 + n), "department_id": unit.id, "staffing": "行政编制",
                          "status": "在岗"} for n in range(2)])
    db.session.commit()
    assert total_on_page(client)[0] == before + 2


def test_what_is_kept_is_bounded(app, client, db, unit, admin, monkeypatch):
    monkeypatch.setattr(counts, "KEEP_VALUES", 3)
    cache = app.extensions["intranet_counts"]
    for status in ("在岗", "退休", "调离", "离职"):
        client.get(f"/people/?status={status}")
        assert cache.kept <= 3
    assert len(cache._entries) <= 3


@pytest.mark.parametrize("app_config", [{"COUNT_CACHE_REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_unreachable_redis_is_not_asked_on_every_page(app, client, db, unit, admin, monkeypatch):
    versions = app.extensions["intranet_counts"].versions
    asked = []
    real = versions._redis.hgetall
    monkeypatch.setattr(versions._redis, "hgetall", lambda key: asked.append(key) or real(key))
    versions._down_until = 0   # (the login's commit found it down already)
    for _ in range(3):
        assert client.get("/people/").status_code == 200
    assert len(asked) == 1
    monkeypatch.setattr(counts.time, "monotonic", lambda: 10 ** 9)   # RETRY_SECONDS later
    client.get("/people/")
    assert len(asked) == 2


def test_settings_are_kept_until_the_table_is_written(app, db):
    """Pages read the settings on every view: none while the table is unchanged, and a committed
    change is read by the next transaction; a value changed in one transaction is not seen by another."""
    from intranet.extensions import db as _db
    from intranet.models import Setting
    Setting.put("probe", [1])
    db.session.commit()
    assert Setting.get("probe") == [1]
    db.session.commit()
    with count_queries(_db) as q:
        value = Setting.get("probe")
    assert value == [1] and not any("setting" in s.lower() for s in q.statements)
    value.append(2)                      # a caller changing what it got
    db.session.rollback()
    assert Setting.get("probe") == [1]   # not in the next transaction
    Setting.put("probe", [3])
    db.session.commit()
    assert Setting.get("probe") == [3]


def test_a_transaction_counts_its_own_writes(app, client, db, unit, admin):
    """A kept count never hides what the same transaction has just written (flushed or not)."""
    from intranet.pagination import paginate
    stmt = select(Person).where(Person.department_id == unit.id).order_by(Person.id)
    with app.test_request_context("/"):
        assert paginate(stmt).total == 3
        db.session.commit()
        assert paginate(stmt).total == 3          # kept
        make_person(unit, "新来的")                 # not flushed yet
        assert paginate(stmt).total == 4
        db.session.execute(update(Person).where(Person.name == "新来的").values(title="科员"))
        assert paginate(stmt).total == 4          # written in this transaction: counted again
        db.session.rollback()
        assert paginate(stmt).total == 3


def test_a_value_bound_when_run_is_never_kept(app, db, unit):
    """A statement built once with bindparam("x") has its values only when run: a kept count
    would be shared by every value, so such a statement is counted every time."""
    from sqlalchemy import bindparam, func
    stmt = select(func.count()).select_from(Person).where(Person.department_id == bindparam("unit"))
    with app.test_request_context("/"):
        assert counts.remember(stmt, lambda: db.session.scalar(stmt, {"unit": unit.id})) == 3
        assert counts.remember(stmt, lambda: db.session.scalar(stmt, {"unit": -1})) == 0


def test_values_given_as_params_are_part_of_the_key(app, db, unit):
    """With ``params`` a statement built once is kept per bound value: one value's count is
    never another's, and a write counts it again."""
    from sqlalchemy import bindparam, func
    stmt = select(func.count()).select_from(Person).where(Person.department_id == bindparam("unit"))
    calls = []

    def count(params):
        calls.append(params)
        return db.session.scalar(stmt, params)
    with app.test_request_context("/"):
        mine, nobody = {"unit": unit.id}, {"unit": -1}
        assert counts.remember(stmt, lambda: count(mine), params=mine) == 3
        assert counts.remember(stmt, lambda: count(nobody), params=nobody) == 0
        assert counts.remember(stmt, lambda: count(mine), params=mine) == 3
        assert counts.remember(stmt, lambda: count(nobody), params=nobody) == 0
        assert len(calls) == 2
        for _ in range(2):   # "unit" not among the params: never kept
            assert counts.remember(stmt, lambda: calls.append("x") or 7, params={"other": 1}) == 7
        assert len(calls) == 4
        make_person(unit, "新来的")
        db.session.commit()
        assert counts.remember(stmt, lambda: count(mine), params=mine) == 4
