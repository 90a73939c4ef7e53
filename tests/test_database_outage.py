"""A database that goes away and comes back: a clear Chinese 503 page (not a traceback), and the
next request works without restarting the app."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intranet import create_app
from intranet.extensions import db as _db
from intranet.schema import create_all
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, login, make_department, make_user

OUTAGE = "数据库暂时无法访问"


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def logged_in(client, db):
    user = make_user("dept_admin", make_department())
    db.session.commit()
    login(client, user)
    assert client.get("/people/").status_code == 200
    return client


def get(client, path="/people/"):
    """A request as a worker sees it: no user cached in g or in the session's identity map from
    the test's shared context (the page's counts may be kept, intranet.counts: the user must be read)."""
    g.pop("_login_user", None)
    _db.session.expunge_all()
    return client.get(path)


def admin_engine(url):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def terminate_backends(url) -> int:
    engine = admin_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"),
                                {"n": make_url(url).database}).scalar()
    finally:
        engine.dispose()


def allow_connections(url, allowed: bool) -> None:
    engine = admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{make_url(url).database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
    finally:
        engine.dispose()


def test_postgresql_backends_killed_next_request_works(logged_in, database, db):
    """The pool's pre-ping replaces connections the server dropped while idle: no failed request."""
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    db.session.remove()   # as at the end of a request outside tests: the connection goes back to the pool
    assert terminate_backends(database.url) >= 1
    assert get(logged_in).status_code == 200


def test_postgresql_down_then_back(logged_in, database):
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    allow_connections(database.url, False)
    try:
        terminate_backends(database.url)
        response = get(logged_in)
        assert response.status_code == 503
        body = response.get_data(as_text=True)
        assert OUTAGE in body and "Traceback" not in body
        assert response.headers["Retry-After"]
        json_answer = get(logged_in, "/people/?format=json")
        assert json_answer.status_code == 503 and json_answer.get_json()["error"].startswith(OUTAGE)
    finally:
        allow_connections(database.url, True)
    assert get(logged_in).status_code == 200


def test_sqlite_file_gone_then_back(database):
    """On a SQLite file of its own: moving the test run's shared file would break every later test
    whenever another engine (another app of the run) still holds it open."""
    if database.backend != "sqlite":
        pytest.skip("SQLite only")
    store = ThrowAwayDatabase("sqlite")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url, "PROPAGATE_EXCEPTIONS": False})
    path = Path(make_url(store.url).database)
    away = path.with_name("moved-away.db")
    try:
        with app.app_context():
            create_all(app)
            user = make_user("dept_admin", make_department())
            _db.session.commit()
            client = app.test_client()
            login(client, user)
            assert get(client).status_code == 200
            _db.session.remove()
            _db.engine.dispose()          # the last connection closes: the WAL is folded into the file
            shutil.move(path, away)
            try:
                response = get(client)
                assert response.status_code == 503
                assert OUTAGE in response.get_data(as_text=True)
            finally:
                _db.session.remove()
                _db.engine.dispose()
                path.unlink(missing_ok=True)   # the empty file SQLite made in its place
                shutil.move(away, path)
            assert get(client).status_code == 200
            _db.session.remove()
            _db.engine.dispose()
    finally:
        store.drop()
