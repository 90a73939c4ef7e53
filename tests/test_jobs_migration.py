"""core_0010: an import job's row errors move from a JSON value in the job's row to job_row_error
(and back on downgrade), on SQLite and PostgreSQL, with jobs already in the database."""
import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from intranet import create_app
from intranet.extensions import db
from intranet.schema import REPO_ROOT
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, backends

MIGRATIONS = str(REPO_ROOT / "migrations")


@pytest.fixture(params=backends())
def core_app(request):
    store = ThrowAwayDatabase(request.param)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url, "PLUGINS": []})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    store.drop()


def columns(table):
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def add_job(conn, job_id, errors):
    conn.execute(text(
        "INSERT INTO job (id, kind, name, label, params, state, done, total, message, result_name, row_errors) "
        "VALUES (:id, 'import', 'people', '人员', '{}', '失败', 0, 0, '', '', :errors)"),
        {"id": job_id, "errors": None if errors is None else json.dumps(errors, ensure_ascii=False)})


def test_row_errors_move_to_their_table_and_back(core_app):
    upgrade(directory=MIGRATIONS, revision="core_0007")
    many = [[i + 2, "身份证号", f"第{i}个错误：校验位不符"] for i in range(2500)]
    with db.engine.begin() as conn:
        add_job(conn, 1, many)
        add_job(conn, 2, [[None, "", "文件无法读取"]])
        add_job(conn, 3, None)            # a job without errors
        add_job(conn, 4, [])

    upgrade(directory=MIGRATIONS, revision="core_0010")
    assert "row_errors" not in columns("job") and "error_count" in columns("job")
    with db.engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT id, error_count FROM job ORDER BY id")).all())
        assert counts == {1: 2500, 2: 1, 3: 0, 4: 0}
        rows = conn.execute(text('SELECT job_id, "row", "column", message FROM job_row_error ORDER BY id')).all()
    assert [tuple(r) for r in rows] == [(1, *e) for e in many] + [(2, None, "", "文件无法读取")]

    from intranet.jobs.runner import row_errors
    assert row_errors(1, 2490) == [tuple(e) for e in many[2490:]]
    db.session.rollback()

    downgrade(directory=MIGRATIONS, revision="core_0007")
    assert "job_row_error" not in inspect(db.engine).get_table_names()
    assert "row_errors" in columns("job") and "error_count" not in columns("job")
    with db.engine.connect() as conn:
        back = {i: (json.loads(v) if isinstance(v, str) else v)
                for i, v in conn.execute(text("SELECT id, row_errors FROM job ORDER BY id"))}
    assert back == {1: many, 2: [[None, "", "文件无法读取"]], 3: None, 4: None}

    upgrade(directory=MIGRATIONS, revision="core_0010")   # and up again
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM job_row_error")).scalar() == 2501
