"""`intranet plugins new`, `db revision` and `db downgrade` on a fresh database (both backends).

The generated plugin is not pip-installed here: it is enabled through PLUGIN_SOURCES with its
folder on ``sys.path``; each test uses a new name so no module is shared between tests.
"""
import os
import subprocess
import sys
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, String, inspect

from intranet import create_app
from intranet.cli import cli
from intranet.extensions import db
from intranet.schema import current_revisions, upgrade
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, backends, make_department, make_user


@pytest.fixture(params=backends())
def store(request):
    database = ThrowAwayDatabase(request.param)
    yield database
    database.drop()


def new_name() -> str:
    return f"fn{uuid.uuid4().hex[:8]}"


def invoke(app, *args):
    return app.test_cli_runner().invoke(cli, [str(a) for a in args])


def scaffold(tmp_path, store, name, title="外勤记录"):
    """Generate plugin ``name`` under tmp_path and return an app that enables it."""
    maker = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url})
    with maker.app_context():
        result = invoke(maker, "plugins", "new", name, "--path", tmp_path / name, "--title", title)
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(tmp_path / name))
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url,
                       "PLUGIN_SOURCES": {name: f"intranet_{name}.plugin"}})


def test_new_plugin_migrates_shows_its_page_and_report(tmp_path, store):
    name = new_name()
    app = scaffold(tmp_path, store, name)
    try:
        with app.app_context():
            assert name in upgrade()
            assert f"{name}_item" in inspect(db.engine).get_table_names()
            with db.engine.connect() as conn:
                diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert [d for d in diffs if f"{name}_item" in repr(d)] == []   # migration matches the model
            town = make_department("T1", "试点镇", "乡镇(街道)")
            admin = make_user("dept_admin", town, username="scaffold_admin")
            db.session.commit()
            client = app.test_client()
            assert client.post("/login", data={"username": admin.username,
                                               "password": "test-password-1"}).status_code == 302
            url = f"/{name}/"
            assert "外勤记录" in client.get("/dashboard").get_data(as_text=True)   # the nav item
            assert client.post(url + "new", data={"department_id": town.id, "title": "第一条",
                                                  "held_on": "2025-04-01"}).status_code == 302
            assert "第一条" in client.get(url).get_data(as_text=True)
            report = client.get(f"/reports/?year=2025&format=json&department={town.id}").get_json()
            fragment = next(f for f in report["fragments"] if f["plugin"] == name)
            assert fragment["figures"] == {"items": 1, "departments": 1}
            db.session.remove()
            db.engine.dispose()
    finally:
        sys.path.remove(str(tmp_path / name))


def test_new_plugins_module_imports_no_database_layer(tmp_path, store):
    """``intranet --help`` imports every enabled plugin's module: the generated one imports neither
    SQLAlchemy nor the models until a hook runs."""
    name = new_name()
    scaffold(tmp_path, store, name)
    sys.path.remove(str(tmp_path / name))
    code = (f"import sys; import intranet_{name}.plugin; "
            "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'intranet.models', 'intranet.access')) "
            f"or m.endswith('.models')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(tmp_path / name)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_revision_and_downgrade_touch_only_the_plugins_branch(tmp_path, store):
    name = new_name()
    app = scaffold(tmp_path, store, name)
    try:
        with app.app_context():
            upgrade()
            before = set(current_revisions())
            from importlib import import_module
            item = import_module(f"intranet_{name}.models").Item
            item.__table__.append_column(Column("place", String(50), nullable=True))   # the model changed

            result = invoke(app, "db", "revision", name, "-m", "add place")
            assert result.exit_code == 0, result.output
            written = sorted((tmp_path / name / f"intranet_{name}" / "migrations" / "versions").glob(f"{name}_0002*.py"))
            assert len(written) == 1
            source = written[0].read_text(encoding="utf-8")
            assert "add_column" in source and "'place'" in source
            assert f"down_revision = '{name}_0001'" in source and "depends_on = 'core_" in source
            assert "person" not in source and "certificates_" not in source   # other branches untouched

            assert invoke(app, "db", "upgrade").exit_code == 0
            assert "place" in [c["name"] for c in inspect(db.engine).get_columns(f"{name}_item")]
            result = invoke(app, "db", "downgrade", name, f"{name}_0001")
            assert result.exit_code == 0, result.output
            assert "place" not in [c["name"] for c in inspect(db.engine).get_columns(f"{name}_item")]
            assert set(current_revisions()) == before
            db.session.remove()
            db.engine.dispose()
    finally:
        sys.path.remove(str(tmp_path / name))


@pytest.mark.parametrize("args, message", [
    (["db", "downgrade", "core", "base"], "核心数据表不能单独降级"),
    (["db", "downgrade", "no_such_plugin", "base"], "没有迁移版本"),
    (["db", "downgrade", "certificates", "core_0001"], "不是插件 certificates 的迁移版本"),
    (["db", "revision", "no_such_plugin", "-m", "x"], "未启用或未安装"),
])
def test_revision_and_downgrade_refuse_bad_branches(app, args, message):
    result = invoke(app, *args)
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.parametrize("name, message", [
    ("audit", "核心数据表"), ("person", "核心数据表"), ("core", "不能命名为 'core'"),
    ("certificates", "已被使用"), ("Bad-Name", "无效"), ("x", "无效"),
])
def test_new_refuses_bad_names(app, tmp_path, name, message):
    result = invoke(app, "plugins", "new", name, "--path", tmp_path / "out")
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "out").exists()


def test_new_refuses_an_existing_folder(app, tmp_path):
    (tmp_path / "taken").mkdir()
    result = invoke(app, "plugins", "new", "field_log", "--path", tmp_path / "taken")
    assert result.exit_code != 0 and "已存在" in result.output


def test_generated_plugin_passes_its_own_tests(tmp_path):
    """The generated tests run as an author would run them: pytest in the plugin's folder."""
    name = new_name()
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    with app.app_context():
        assert invoke(app, "plugins", "new", name, "--path", tmp_path / name).exit_code == 0
        db.engine.dispose()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / name), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                         cwd=tmp_path / name, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    expected = 5 * (2 if os.environ.get("TEST_DATABASE_URL") else 1)
    assert f"{expected} passed" in run.stdout
