"""Pytest fixtures for the core and for plugins, loaded by the core's ``pytest11`` entry point.

Every database test runs on SQLite and, when ``TEST_DATABASE_URL`` is set, on PostgreSQL (a
throw-away database is created per test run, so parallel runs never meet). The schema is made
once per backend; after each test every table is emptied.
"""
from __future__ import annotations

import itertools
import os
import signal
import tempfile
import threading
import uuid
import warnings
from datetime import date

import pytest
from flask import g, has_app_context
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

FAST_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
PASSWORD = "test-password-1"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "PASSWORD_HASH_PARAMS": FAST_HASH,
    "SERVER_NAME": None,
    "QUEUE_URL": "memory://",
    "QUEUE_IMMEDIATE": True,   # jobs run inline, in the request or command that queues them
}


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


class ThrowAwayDatabase:
    """A database that exists for one test run: a SQLite file or a fresh PostgreSQL database."""

    def __init__(self, backend: str):
        self.backend = backend
        if backend == "sqlite":
            self.dir = tempfile.mkdtemp(prefix="intranet-test-")
            self.url = f"sqlite:///{self.dir}/test.db"
        else:
            base = make_url(os.environ["TEST_DATABASE_URL"])
            if base.drivername == "postgresql":
                base = base.set(drivername="postgresql+psycopg")
            self.name = f"intranet_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            self.admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = base.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.backend == "postgresql":
            with self.admin.connect() as conn:
                conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
                ), {"n": self.name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}"'))
            self.admin.dispose()


def empty_all_tables(db) -> None:
    """Remove every row from every table (fast; keeps the schema)."""
    db.session.remove()
    engine = db.engine
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    if not names:
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Tests only: skip the triggers (the audit log's refuse TRUNCATE) for this transaction.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # SQLite cannot switch triggers off: drop the append-only guards around the DELETE.
            guards = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                          "AND tbl_name IN ('audit_event', 'report_version', 'report_version_file', 'report_review')").all()
            for name, _sql in guards:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for n in names:
                conn.exec_driver_sql(f'DELETE FROM "{n}"')
            for _name, sql in guards:
                conn.exec_driver_sql(sql)
            if "sqlite_sequence" in [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")]:
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture(scope="session", params=backends())
def database(request):
    """One throw-away database per backend, with the schema of the default app."""
    from intranet import create_app
    from intranet.extensions import db
    from intranet.schema import create_all

    store = ThrowAwayDatabase(request.param)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url})
    with app.app_context():
        create_all(app)
        db.session.remove()
        db.engine.dispose()
    yield store
    store.drop()


@pytest.fixture
def app_config():
    """Override in a test module to change the app's config (e.g. enable CSRF)."""
    return {}


@pytest.fixture
def app(database, app_config):
    from intranet import create_app
    from intranet.extensions import db

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database.url, **app_config})
    with app.app_context():
        yield app
        db.session.rollback()
        empty_all_tables(db)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db(app):
    from intranet.extensions import db as _db
    return _db


_counter = itertools.count(1)


def make_id(sequence: int | None = None, area: str = "130821", born: date = date(1985, 6, 12)) -> str:
    from intranet.idnumber import make_id_number
    n = next(_counter) if sequence is None else sequence
    return make_id_number(area, born.replace(year=1960 + (n // 1000) % 40), n)


def make_department(code=None, name=None, kind="市直部门", parent=None):
    from intranet.org.service import create_department
    n = next(_counter)
    return create_department(code or f"D{n:05d}", name or f"测试单位{n}", kind, parent, record_audit=False)


def make_person(department, name=None, **fields):
    from intranet.extensions import db
    from intranet.models import Person
    n = next(_counter)
    values = dict(name=name or f"测试人员{n}", id_number=make_id(n), department_id=department.id,
                  staffing="行政编制", enforcement_post=True, status="在岗", title="科员")
    values.update(fields)
    person = Person(**values)
    db.session.add(person)
    db.session.flush()
    return person


def make_user(role="admin", department=None, person=None, username=None, password=PASSWORD):
    from intranet.extensions import db
    from intranet.models import User
    n = next(_counter)
    user = User(username=username or f"user{n}", display_name=f"用户{n}", role=role,
                department_id=department.id if department else None, person_id=person.id if person else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def login(client, user, password=PASSWORD):
    """Log ``client`` in as ``user`` through the login form; clears pytest-flask's cached user."""
    g.pop("_login_user", None)
    client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, f"login failed for {user.username}"
    g.pop("_login_user", None)
    return response


@pytest.fixture
def org(db):
    """A small tree: 市 → 县 → 乡镇, plus a 市直部门; one admin per role; committed."""
    city = make_department("C01", "永安市", "市")
    bureau_dept = make_department("C01-SFJ", "永安市司法局", "市直部门", city)
    county = make_department("X01", "永安县", "县(区)", city)
    town_a = make_department("X01-A", "甲镇", "乡镇(街道)", county)
    town_b = make_department("X01-B", "乙镇", "乡镇(街道)", county)
    market = make_department("C01-SJJ", "永安市市场监督管理局", "市直部门", city)
    users = {
        "admin": make_user("admin", username="admin"),
        "bureau": make_user("bureau", username="sfj"),
        "inspector": make_user("inspector", username="dc"),
        "dept_admin_a": make_user("dept_admin", town_a, username="admin_a"),
        "dept_admin_b": make_user("dept_admin", town_b, username="admin_b"),
    }
    staff_person = make_person(town_a, "张三")
    users["staff_a"] = make_user("staff", town_a, staff_person, username="zhangsan")
    db.session.commit()

    class Org:
        pass
    o = Org()
    o.city, o.bureau_dept, o.county, o.town_a, o.town_b, o.market = city, bureau_dept, county, town_a, town_b, market
    o.users, o.staff_person = users, staff_person
    return o


# --- records for the access walk ----------------------------------------------------------

def core_access_samples(department):
    """The core's records of ``department`` for the access walk (``intranet.access_walk``):
    the department itself, a person, a login, an audit event and a submitted report."""
    from intranet.extensions import db
    from intranet.hookspecs import AccessSamples
    from intranet.models import AuditEvent, ReportSnapshot
    person = make_person(department)
    user = make_user("dept_admin", department)
    event = AuditEvent(action="update", object_type="person", object_id=str(person.id), actor_name="测试",
                       department_id=department.id, summary=f"修改人员 {person.name}")
    snapshot = ReportSnapshot(year=date.today().year - 1, department_id=department.id,
                              data={"year": date.today().year - 1, "fragments": [],
                                    "department": {"code": department.code, "name": department.name}}, note="")
    db.session.add_all([event, snapshot])
    version = _submitted_report_sample(department, date.today().year - 1)
    from intranet.models import Job
    from intranet.models.job import DONE
    job = Job(kind="export", name="sample", label="样例", params={}, owner_id=user.id, department_id=department.id,
              state=DONE, message="", result_name="")
    db.session.add(job)
    db.session.flush()

    def grow(n: int) -> None:
        """More people, logins, audit events and sub-units of the department."""
        for _ in range(n):
            make_user("staff", department, make_person(department))
            make_department(parent=department)
            db.session.add(AuditEvent(action="update", object_type="person", object_id=str(person.id),
                                      actor_name="测试", department_id=department.id, summary="修改人员"))
        db.session.flush()

    return AccessSamples("core", ids={"dept_id": department.id, "person_id": person.id, "user_id": user.id,
                                      "event_id": event.id, "snapshot_id": snapshot.id, "year": version.year,
                                      "version_id": version.id, "job_id": job.id},
                         values={"kind_name": "people"}, grow=grow)


def _submitted_report_sample(department, year):
    """A submitted (frozen) report of ``department`` for the access walk."""
    from datetime import datetime

    from intranet.extensions import db
    from intranet.models import ReportDraft, ReportVersion
    draft = ReportDraft(year=year, department_id=department.id, texts={}, status="submitted")
    db.session.add(draft)
    db.session.flush()
    version = ReportVersion(draft_id=draft.id, year=year, department_id=department.id, number=1,
                            data={"year": year, "department": {"code": department.code, "name": department.name},
                                  "fragments": [], "texts": {}},
                            content_hash="0" * 64, submitted_at=datetime.now(), submitted_by_name="测试")
    db.session.add(version)
    db.session.flush()
    draft.current_version_id = version.id
    return version


def access_samples(department) -> list:
    """The core's and every enabled plugin's samples of ``department`` (flushed, not committed)."""
    from intranet.plugins import flatten, get_pm
    return [core_access_samples(department), *flatten(get_pm().hook.access_samples(department=department))]


# --- real-browser tests -------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (no browser download). Skips only outside CI."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium at {CHROMIUM} for the browser tests")
        pytest.skip("Chromium is not installed (browser tests run in CI)")
    from playwright.sync_api import sync_playwright
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    # A browser that died during the run (killed, crashed) can leave close() waiting forever on
    # the Playwright driver; the watchdog ends the driver so the test run still finishes.
    watchdog = threading.Timer(60, _kill_playwright_drivers)
    watchdog.daemon = True
    watchdog.start()
    try:
        if browser.is_connected():
            browser.close()
        pw.stop()
    except Exception as exc:  # noqa: BLE001 - teardown: report, never hang or mask the results
        warnings.warn(f"Playwright did not stop cleanly: {exc!r}")
    finally:
        watchdog.cancel()


def _kill_playwright_drivers() -> None:
    """Kill this process's Playwright driver (a ``node … playwright/driver`` child)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"playwright" in cmdline and b"driver" in cmdline:
            os.kill(int(entry), signal.SIGKILL)


def _allow_app_run() -> None:
    """A CLI test run in-process (CliRunner) leaves FLASK_RUN_FROM_CLI set, and then Flask ignores
    the live server's ``app.run()``; clear it."""
    os.environ.pop("FLASK_RUN_FROM_CLI", None)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (desktop size); ``page.base_url`` is the live server's root."""
    _allow_app_run()
    live_server.start()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    p.set_default_timeout(15000)
    p.base_url = live_server.url().rstrip("/")
    yield p
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-width page (375 px), for public and mobile flows."""
    _allow_app_run()
    live_server.start()
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN", is_mobile=True)
    p = context.new_page()
    p.set_default_timeout(15000)
    p.base_url = live_server.url().rstrip("/")
    yield p
    context.close()


def browser_login(page, username, password=PASSWORD):
    page.goto(page.base_url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")


# --- helpers for request-level tests ------------------------------------------------------

def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token on the page at ``path`` (for tests that run with WTF_CSRF_ENABLED)."""
    import re
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class count_queries:
    """``with count_queries(db) as q: ...`` then ``len(q)``: the SQL statements run inside."""

    def __init__(self, db):
        self.engine = db.engine
        self.statements: list[str] = []

    def _listen(self, conn, cursor, statement, params, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._listen)

    def __len__(self):
        return len(self.statements)


def xlsx_bytes(header, rows, sheet: str = "数据") -> bytes:
    """An .xlsx file (first sheet: ``header`` then ``rows``) for import tests."""
    import io

    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- concurrency ----------------------------------------------------------------------------

def query_plan(db, statement, only_index: tuple[str, str] | None = None) -> str:
    """The database's plan of ``statement`` (EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).

    ``only_index=(table, index)``: on PostgreSQL the plan is asked with seq scans off and the
    table's other plain indexes dropped, inside a transaction that is rolled back. A test's few
    rows make every plan cheap, so which index the planner picks is a toss of costs; this asks
    whether that index alone can answer the statement (an "Index Only Scan using …")."""
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    db.session.remove()   # no transaction of the test's may hold the table while its indexes are dropped
    with db.engine.connect() as conn:
        if db.engine.dialect.name != "postgresql":
            return "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        with conn.begin() as transaction:
            if only_index:
                table, index = only_index
                others = conn.execute(text(
                    "SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = CAST(:t AS regclass)"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
                    " AND i.indexrelid::regclass::text <> :i"), {"t": table, "i": index}).scalars().all()
                for name in others:
                    conn.exec_driver_sql(f'DROP INDEX "{name}"')
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            transaction.rollback()
        return plan


def run_in_parallel(app, count: int, action, prepare=None, *, in_app_context: bool = True,
                    timeout: float = 60) -> list:
    """Run ``action(i, prepared)`` in ``count`` threads released together by a ``threading.Barrier``.

    ``prepare(i)`` (optional; e.g. ``logged_in_client``) runs first in each thread and its result
    is passed on. With ``in_app_context`` each thread runs in its own app context (so its own
    database session) — for direct service calls; pass False when the threads only make test
    client requests, so that every request gets a fresh app context of its own, as in production.
    Returns, in thread order, what each ``action`` returned or the exception it raised.
    Commit the test's data before calling: the threads use their own database connections.
    """
    import contextlib
    import sys
    import threading

    barrier = threading.Barrier(count, timeout=timeout)
    results: list = [None] * count

    def run(i: int) -> None:
        with app.app_context() if in_app_context else contextlib.nullcontext():
            try:
                prepared = prepare(i) if prepare else None
                barrier.wait()
                results[i] = action(i, prepared)
            except BaseException as exc:  # reported to the test, not lost in the thread
                barrier.abort()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so that their requests really interleave
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads), "a parallel action did not finish"
    return results


def logged_in_client(app, username: str, password: str = PASSWORD):
    """A fresh test client of ``app`` logged in as ``username`` (usable from any thread)."""
    client = app.test_client()
    if has_app_context():   # pytest-flask's shared request context caches the last user in g
        g.pop("_login_user", None)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login failed for {username}"
    return client
