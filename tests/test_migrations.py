"""Migrations on a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

Every installed plugin is enabled (or those INTRANET_PLUGINS names), plus the sample plugin.
"""
import os
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import exc, inspect, text

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import SOURCES  # noqa: E402

from intranet import create_app  # noqa: E402
from intranet.cli import cli  # noqa: E402
from intranet.extensions import db  # noqa: E402
from intranet.plugins import installed_plugins  # noqa: E402
from intranet.schema import current_revisions, include_object, upgrade  # noqa: E402
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, backends  # noqa: E402


def base_plugins() -> list[str]:
    """The plugins a test run enables: INTRANET_PLUGINS when set, else every installed one."""
    if "INTRANET_PLUGINS" in os.environ:
        return [p.strip() for p in os.environ["INTRANET_PLUGINS"].split(",") if p.strip()]
    return sorted(installed_plugins())


@pytest.fixture(params=backends())
def store(request):
    database = ThrowAwayDatabase(request.param)
    yield database
    database.drop()


def make_app(store, plugins, sources=SOURCES):
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url, "PLUGINS": list(plugins),
                       "PLUGIN_SOURCES": dict(sources)})


class Session:
    """An app on the test database, used as ``with Session(store, plugins) as app:``."""

    def __init__(self, store, plugins, sources=SOURCES):
        self.app = make_app(store, plugins, sources)

    def __enter__(self):
        self.ctx = self.app.app_context()
        self.ctx.push()
        return self.app

    def __exit__(self, *exc_info):
        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()


def run_cli(app, *args):
    return app.test_cli_runner().invoke(cli, list(args))


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def describe(difference) -> str:
    """One line per autogenerate difference, e.g. "add_table certificates_certificate"."""
    if isinstance(difference, list):
        return "; ".join(map(describe, difference))
    op, *args = difference
    names = [getattr(a, "name", None) or (a if isinstance(a, str) else None) for a in args]
    return f"{op} {' '.join(n for n in names if n)}"


def test_fresh_upgrade_matches_the_models(store):
    plugins = base_plugins() + ["sample_notes"]
    with Session(store, plugins) as app:
        result = run_cli(app, "db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "sample_notes_note" in tables()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "migrations and models differ:\n" + "\n".join(map(describe, differences))
        assert "sample_notes_0001" in current_revisions()


def test_enable_disable_and_enable_a_plugin_again(store):
    base = base_plugins()
    with Session(store, base):
        upgrade()
        assert "sample_notes_note" not in tables()
    with Session(store, base + ["sample_notes"]):
        assert "sample_notes" in upgrade()
        assert "sample_notes_0001" in current_revisions()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO department (code, name, kind, path, active, created_at) "
                              "VALUES ('C1', '永安市', '市', '/1/', :t, CURRENT_TIMESTAMP)"), {"t": True})
            conn.execute(text("INSERT INTO sample_notes_note (department_id, title, body, noted_on, active, created_at) "
                              "SELECT id, '保留的笔记', '', '2024-01-01', :t, CURRENT_TIMESTAMP FROM department"), {"t": True})
    with Session(store, base):                     # disabled, still installed: upgrade works, data stays
        assert "sample_notes" not in upgrade()
        assert "sample_notes_0001" in current_revisions()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT title FROM sample_notes_note")).scalar() == "保留的笔记"
    with Session(store, base + ["sample_notes"]):  # enabled again
        upgrade()
        assert "sample_notes_0001" in current_revisions()


def test_purge_a_disabled_plugin(store):
    base = base_plugins()
    with Session(store, base + ["sample_notes"]) as app:
        upgrade()
        refused = run_cli(app, "plugins", "purge", "sample_notes", "--yes")
        assert refused.exit_code != 0 and "仍处于启用状态" in refused.stderr
        assert "sample_notes_note" in tables()
    with Session(store, base) as app:
        result = run_cli(app, "plugins", "purge", "sample_notes", "--yes")
        assert result.exit_code == 0, result.output
        assert "已删除 1 张数据表：sample_notes_note" in result.output
        assert "sample_notes_note" not in tables()
        assert not [r for r in current_revisions() if r.startswith("sample_notes_")]
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT summary FROM audit_event WHERE action = 'purge'")).scalar().startswith(
                "清除插件 sample_notes")
    with Session(store, base, sources={}) as app:   # uninstalled altogether
        assert run_cli(app, "db", "upgrade").exit_code == 0
    with Session(store, base + ["sample_notes"]) as app:
        assert run_cli(app, "db", "upgrade").exit_code == 0
        assert "sample_notes_note" in tables()


def test_revision_of_an_uninstalled_plugin_stops_the_upgrade(store):
    base = base_plugins()
    with Session(store, base) as app:
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('ghost_0001')"))
        result = run_cli(app, "db", "upgrade")
        assert result.exit_code != 0
        assert "插件 'ghost' 的迁移版本 ghost_0001，但该插件未安装" in result.stderr
        assert "intranet plugins purge ghost" in result.stderr
        assert run_cli(app, "plugins", "purge", "ghost", "--yes").exit_code == 0
        assert run_cli(app, "db", "upgrade").exit_code == 0


def test_audit_log_is_append_only_in_the_database(store):
    with Session(store, base_plugins()):
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_event (actor_name, action, object_type, object_id, summary, reason, ip, at) "
                              "VALUES ('系统', 'create', 'test', '1', '原始记录', '', '', CURRENT_TIMESTAMP)"))
        for statement in ("UPDATE audit_event SET summary = '篡改'", "DELETE FROM audit_event"):
            with pytest.raises(exc.DBAPIError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT summary FROM audit_event")).scalars().all() == ["原始记录"]


def test_submitted_reports_are_frozen_in_the_migrated_database(store):
    """core_0005's triggers: a frozen report version is never updated or deleted (create_all: the same)."""
    from intranet.schema import FROZEN_REPORT_TABLES, _triggers
    with Session(store, base_plugins()):
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO department (code, name, kind, path, active, created_at) "
                              "VALUES ('T1', '测试', '市', '/1/', true, CURRENT_TIMESTAMP)"))
            dept = conn.execute(text("SELECT id FROM department")).scalar()
            conn.execute(text("INSERT INTO report_draft (year, department_id, texts, status, updated_at) "
                              "VALUES (2025, :d, '{}', 'submitted', CURRENT_TIMESTAMP)"), {"d": dept})
            draft = conn.execute(text("SELECT id FROM report_draft")).scalar()
            conn.execute(text("INSERT INTO report_version (draft_id, year, department_id, number, data, content_hash, "
                              "submitted_at, submitted_by_name, note) VALUES (:r, 2025, :d, 1, '{}', 'h', "
                              "CURRENT_TIMESTAMP, '测试', '')"), {"r": draft, "d": dept})
            migrated = _triggers(conn, FROZEN_REPORT_TABLES)
        for statement in ("UPDATE report_version SET content_hash = 'x'", "DELETE FROM report_version"):
            with pytest.raises(exc.DBAPIError, match="frozen"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT content_hash FROM report_version")).scalars().all() == ["h"]
    other = ThrowAwayDatabase(store.backend)
    try:
        with Session(other, base_plugins()) as app:
            from intranet.schema import create_all
            create_all(app)
            with db.engine.connect() as conn:
                assert _triggers(conn, FROZEN_REPORT_TABLES) == migrated and migrated
    finally:
        other.drop()


def test_purge_a_plugin_that_is_no_longer_installed(store):
    base = base_plugins()
    with Session(store, base + ["sample_notes"]):
        upgrade()
    with Session(store, base, sources={}) as app:     # its code is gone, its revision is not
        refused = run_cli(app, "db", "upgrade")
        assert refused.exit_code != 0 and "intranet plugins purge sample_notes" in refused.stderr
        result = run_cli(app, "plugins", "purge", "sample_notes", "--yes")
        assert result.exit_code == 0, result.output
        assert "sample_notes_note" not in tables()
        assert not [r for r in current_revisions() if r.startswith("sample_notes_")]
        # The core stays migrated: its revision is stored, or implied by a plugin revision that
        # depends on it. Either way the next upgrade must not try to create the core tables again.
        assert current_revisions()
        assert "department" in tables()
        upgraded = run_cli(app, "db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output


def test_purge_refuses_the_core_unknown_names_and_names_with_nothing_to_purge(store):
    """Bad input: each is a clear message on stderr, and no table, revision or audit row changes."""
    with Session(store, base_plugins()) as app:
        upgrade()
        before, revisions = tables(), current_revisions()
        refusals = {
            "core": "不能清除核心数据表",
            "audit": "以它为前缀的是核心数据表（audit_event）",          # used to drop audit_event
            "report": "以它为前缀的是核心数据表（report_draft、report_review、report_snapshot、report_version、report_version_file）",
            "user": "核心数据表（user_account）",
            "person": "核心数据表（person）",
            "alembic": "核心数据表（alembic_version）",
            "nope": "未知的插件 'nope'",
            "sample_remarks": "插件 'sample_remarks' 在数据库中没有数据表，也没有迁移版本，无需清除",
        }
        for name, message in refusals.items():
            result = run_cli(app, "plugins", "purge", name, "--yes")
            assert result.exit_code != 0, name
            assert message in result.stderr, (name, result.stderr)
        assert tables() == before and current_revisions() == revisions
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM audit_event WHERE action = 'purge'")).scalar() == 0


def test_truncate_audit_event_is_refused_on_postgresql(store):
    with Session(store, base_plugins()):
        upgrade()
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE; its DELETE trigger covers DELETE FROM")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_event (actor_name, action, object_type, object_id, summary, reason, ip, at) "
                              "VALUES ('系统', 'create', 'test', '1', '原始记录', '', '', CURRENT_TIMESTAMP)"))
        for statement in ("TRUNCATE audit_event", "TRUNCATE audit_event CASCADE"):
            with pytest.raises(exc.DBAPIError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT summary FROM audit_event")).scalars().all() == ["原始记录"]


def test_create_all_guards_the_audit_log_like_the_migrations(store):
    """Tests build their schema with create_all: it must install the same audit triggers as upgrade."""
    from intranet.schema import audit_triggers, create_all
    with Session(store, base_plugins()):
        upgrade()
        with db.engine.connect() as conn:
            migrated = audit_triggers(conn)
    other = ThrowAwayDatabase(store.backend)
    try:
        with Session(other, base_plugins()) as app:
            create_all(app)
            with db.engine.connect() as conn:
                created = audit_triggers(conn)
    finally:
        other.drop()
    assert migrated == created and len(migrated) >= 2
