"""Alembic branches per plugin: where they live, which heads to upgrade, how to purge one.

Revision ids are prefixed with their branch: ``core_0001``, ``certificates_0001``. Plugin tables
are prefixed ``<plugin>_``. Those two conventions let a removed plugin be purged without its code.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import current_app
from sqlalchemy import MetaData, inspect, text

from .config import REPO_ROOT
from .extensions import db, migrate
from .plugins import core_tables_claimed_by, flatten, installed_plugins, protected_tables

CORE_VERSIONS = REPO_ROOT / "migrations" / "versions"


class SchemaError(RuntimeError):
    pass


def _conventional_dir(module_path: str) -> Path | None:
    """<plugin package>/migrations/versions, found without importing the plugin's modules."""
    package = module_path.split(":")[0].split(".")[0]
    try:
        spec = importlib.util.find_spec(package)
    except ValueError:   # a module made at run time (tests) has no spec
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(list(spec.submodule_search_locations)[0]) / "migrations" / "versions"
    return candidate if _has_revisions(candidate) else None


def _has_revisions(folder: Path) -> bool:
    """A versions folder with at least one revision file (an empty one has nothing to migrate)."""
    return folder.is_dir() and any(p.name != "__init__.py" for p in folder.glob("*.py"))


def plugin_version_dirs(app=None) -> dict[str, list[Path]]:
    """name -> version folders, for every installed plugin (enabled or not) and every enabled one.

    A disabled plugin's folder is found by convention (``<package>/migrations/versions``) so that
    the revisions it left in ``alembic_version`` stay known to alembic.
    """
    app = app or current_app
    dirs: dict[str, list[Path]] = {}
    modules = {name: module for name, (module, _version, _ep) in installed_plugins().items()}
    modules.update({i.name: i.module for i in app.extensions.get("intranet_plugins", [])})
    for name, module in modules.items():
        found = _conventional_dir(module)
        if found:
            dirs[name] = [found]
    for plugin_name, result in _call_migration_dirs(app):
        found = [Path(p) for p in flatten([result]) if _has_revisions(Path(p))]
        if found:
            dirs[plugin_name] = found
    return dirs


def _call_migration_dirs(app):
    from .plugins import call_each
    return call_each("migration_dirs", app=app)


def version_locations(app=None) -> list[str]:
    locations = [str(CORE_VERSIONS)]
    for paths in plugin_version_dirs(app).values():
        locations.extend(str(p) for p in paths if str(p) not in locations)
    return locations


def enabled_branches(app=None) -> list[str]:
    app = app or current_app
    with_migrations = plugin_version_dirs(app)
    return ["core"] + [i.name for i in app.extensions["intranet_plugins"] if i.enabled and i.name in with_migrations]


@migrate.configure
def _configure_alembic(config):
    import os
    from alembic import __version__ as alembic_version
    newer = tuple(int(p) for p in alembic_version.split(".")[:2]) >= (1, 16)
    config.set_main_option("path_separator" if newer else "version_path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(version_locations()))
    return config


def current_revisions() -> list[str]:
    insp = inspect(db.engine)
    if not insp.has_table("alembic_version"):
        return []
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def check_unknown_revisions(app=None) -> None:
    """Refuse to upgrade over a revision whose plugin is no longer installed, with advice."""
    known_branches = {"core", *plugin_version_dirs(app)}
    for rev in current_revisions():
        branch = rev.rsplit("_", 1)[0]
        if branch not in known_branches:
            raise SchemaError(
                f"数据库中有插件 {branch!r} 的迁移版本 {rev}，但该插件未安装。"
                f"请重新安装该插件，或运行 `intranet plugins purge {branch}` 删除其数据表。"
            )


def upgrade(app=None) -> list[str]:
    """Upgrade the core and every enabled plugin to its head. Returns the branches upgraded."""
    from flask_migrate import upgrade as alembic_upgrade
    app = app or current_app
    check_unknown_revisions(app)
    branches = enabled_branches(app)
    for branch in branches:
        alembic_upgrade(directory=str(REPO_ROOT / "migrations"), revision=f"{branch}@head")
    _record_branch_heads(branches)
    return branches


# --- purging a plugin ----------------------------------------------------------------------
#
# alembic keeps only the heads in alembic_version. A plugin's first revision ``depends_on`` a
# core revision, so while the core stays there the plugin's row stands for both: removing the
# plugin's row alone would make the core look unmigrated. Purging therefore recomputes the heads
# of everything applied except the plugin. Where the plugin's scripts are gone (uninstalled),
# the branch heads recorded by ``upgrade`` fill the gap.

BRANCH_HEADS_KEY = "schema.branch_heads"


def _branch(revision: str) -> str:
    return revision.rsplit("_", 1)[0]


def _script_directory():
    from alembic.script import ScriptDirectory
    config = current_app.extensions["migrate"].migrate.get_config(str(REPO_ROOT / "migrations"))
    return ScriptDirectory.from_config(config)


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _ancestors(script, revision: str) -> set[str]:
    """Every revision ``revision`` stands for in alembic_version: parents and dependencies."""
    seen: set[str] = set()
    todo = [revision]
    while todo:
        rev = script.revision_map.get_revision(todo.pop())
        for parent in _as_tuple(rev.down_revision) + _as_tuple(rev.dependencies):
            parent_id = script.revision_map.get_revision(parent).revision
            if parent_id not in seen:
                seen.add(parent_id)
                todo.append(parent_id)
    return seen


def _heads(script, applied: set[str]) -> set[str]:
    implied = set().union(*(_ancestors(script, r) for r in applied)) if applied else set()
    return applied - implied


def _record_branch_heads(branches: list[str]) -> None:
    from .models import Setting
    script = _script_directory()
    recorded = dict(Setting.get(BRANCH_HEADS_KEY) or {})
    for branch in branches:
        recorded[branch] = script.revision_map.get_revision(f"{branch}@head").revision
    Setting.put(BRANCH_HEADS_KEY, recorded)
    db.session.commit()


def _heads_without(name: str, rows: list[str]) -> set[str]:
    """The alembic heads once plugin ``name``'s revisions are gone."""
    from alembic.script.revision import RevisionError

    from .models import Setting
    script = _script_directory()
    try:
        applied = set()
        for rev in rows:
            applied |= {rev} | _ancestors(script, rev)
        return _heads(script, {r for r in applied if _branch(r) != name})
    except RevisionError:
        pass
    # The plugin's scripts are gone: keep the other rows, and restore recorded branch heads that
    # only the plugin's rows stood for.
    recorded = Setting.get(BRANCH_HEADS_KEY) or {}
    kept = {r for r in rows if _branch(r) != name}
    applied = set()
    for rev in kept:
        try:
            applied |= {rev} | _ancestors(script, rev)
        except RevisionError:
            applied.add(rev)
    for branch, rev in recorded.items():
        if branch != name and not any(_branch(r) == branch for r in applied):
            try:
                applied |= {rev} | _ancestors(script, rev)
            except RevisionError:
                continue
    if not any(_branch(r) == "core" for r in applied):
        raise SchemaError(f"无法确定清除插件 {name!r} 后核心数据表的迁移版本：请先重新安装该插件，再运行本命令")
    known = {r for r in applied if _known(script, r)}
    return _heads(script, known) | (applied - known)


def _known(script, revision: str) -> bool:
    from alembic.script.revision import RevisionError
    try:
        script.revision_map.get_revision(revision)
        return True
    except RevisionError:
        return False


def _plugin_tables(name: str, others: set[str]) -> list:
    """The plugin's tables (prefix ``<name>_``), not those of a plugin named ``<name>_more``, and
    never a core table."""
    longer = [o for o in others if o != name and o.startswith(f"{name}_")]
    protected = protected_tables()
    meta = MetaData()
    meta.reflect(bind=db.engine)
    return [t for t in reversed(meta.sorted_tables)
            if t.name.startswith(f"{name}_") and t.name not in protected
            and not any(t.name.startswith(f"{o}_") for o in longer)]


def purge_plugin(name: str, app=None) -> list[str]:
    """Drop a disabled plugin's tables and forget its revisions. Returns the dropped tables.

    ``name`` must be a plugin that is installed, or was: its branch has revisions in the
    database or recorded heads. The core, names whose prefix covers a core table and names
    with nothing to purge are refused before anything changes.
    """
    from .models import Setting
    app = app or current_app
    if name == "core":
        raise SchemaError("不能清除核心数据表")
    claimed = core_tables_claimed_by(name)
    if claimed:
        raise SchemaError(f"{name!r} 不是插件名：以它为前缀的是核心数据表（{'、'.join(claimed)}），不能清除")
    enabled = [i.name for i in app.extensions["intranet_plugins"] if i.enabled]
    if name in enabled:
        raise SchemaError(f"插件 {name!r} 仍处于启用状态，请先从 INTRANET_PLUGINS 中移除后再清除")
    rows = current_revisions()
    recorded = dict(Setting.get(BRANCH_HEADS_KEY) or {})
    installed = {i.name for i in app.extensions["intranet_plugins"]} | set(installed_plugins())
    branch_rows = [r for r in rows if _branch(r) == name]
    if name not in installed and not branch_rows and name not in recorded:
        raise SchemaError(f"未知的插件 {name!r}：它既未安装，数据库中也没有它的迁移版本，没有可清除的内容")
    tables = _plugin_tables(name, installed | {_branch(r) for r in rows} | set(recorded))
    if not tables and not branch_rows and name not in recorded:
        raise SchemaError(f"插件 {name!r} 在数据库中没有数据表，也没有迁移版本，无需清除")
    heads = _heads_without(name, rows) if branch_rows else set(rows)
    with db.engine.begin() as conn:
        for table in tables:
            table.drop(conn)
        if set(rows) != heads:
            conn.execute(text("DELETE FROM alembic_version"))
            for rev in sorted(heads):
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": rev})
    if recorded.pop(name, None) is not None:
        Setting.put(BRANCH_HEADS_KEY, recorded)
    return [t.name for t in tables]


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate's filter: the tables of the branch being written (or the core's and those of
    enabled plugins)."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    if table_name is None:
        return True
    branch = current_app.config.get("INTRANET_AUTOGENERATE_BRANCH")
    if branch == "core":
        return table_name in protected_tables()
    if branch:
        return table_name.startswith(f"{branch}_")
    return table_belongs_to_app(table_name)


def table_belongs_to_app(table_name: str, app=None) -> bool:
    """Core tables and tables of enabled plugins (used by create_all in tests and autogenerate)."""
    app = app or current_app
    if table_name in protected_tables():
        return True
    enabled = [i.name for i in app.extensions["intranet_plugins"] if i.enabled]
    return any(table_name.startswith(f"{n}_") for n in enabled)


def app_tables(app=None):
    return [t for t in db.metadata.sorted_tables if table_belongs_to_app(t.name, app)]


# The audit log's database guards, as the core migrations (core_0001, core_0002) leave them;
# create_all installs the same, and a test compares the two.
AUDIT_GUARDS_PG = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql""",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]
AUDIT_GUARDS_SQLITE = [
    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]


FROZEN_REPORT_TABLES = ("report_version", "report_version_file", "report_review")


def frozen_report_guards(dialect: str) -> list[str]:
    """Triggers refusing UPDATE and DELETE on a submitted report's frozen rows (core_0005 and
    create_all install the same)."""
    if dialect == "postgresql":
        return ["""CREATE OR REPLACE FUNCTION report_frozen_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a submitted report is frozen';
END;
$$ LANGUAGE plpgsql""", *[f"CREATE TRIGGER {t}_frozen BEFORE UPDATE OR DELETE ON {t} "
                          "FOR EACH ROW EXECUTE FUNCTION report_frozen_refuse()" for t in FROZEN_REPORT_TABLES]]
    return [f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} "
            "BEGIN SELECT RAISE(ABORT, 'a submitted report is frozen'); END"
            for t in FROZEN_REPORT_TABLES for verb in ("UPDATE", "DELETE")]


def create_all(app=None) -> None:
    """Create the app's tables directly (tests); real databases use ``upgrade``."""
    db.metadata.create_all(db.engine, tables=app_tables(app))
    with db.engine.begin() as conn:
        guards = AUDIT_GUARDS_PG if conn.dialect.name == "postgresql" else AUDIT_GUARDS_SQLITE
        existing = set(audit_triggers(conn)) | set(_triggers(conn, FROZEN_REPORT_TABLES))
        for statement in [*guards, *frozen_report_guards(conn.dialect.name)]:
            name = statement.split()[2]   # a trigger's name; "OR" for CREATE OR REPLACE FUNCTION
            if name not in existing:
                conn.exec_driver_sql(statement)


def _triggers(conn, tables) -> list[str]:
    names = ", ".join(f"'{t}'" for t in tables)
    if conn.dialect.name == "postgresql":
        sql = (f"SELECT tgname FROM pg_trigger WHERE tgrelid::regclass::text IN ({names}) "
               "AND NOT tgisinternal ORDER BY tgname")
    else:
        sql = f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({names}) ORDER BY name"
    return list(conn.exec_driver_sql(sql).scalars())


def audit_triggers(conn) -> list[str]:
    """The names of the triggers on audit_event (sorted)."""
    if conn.dialect.name == "postgresql":
        sql = ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
               "AND NOT tgisinternal ORDER BY tgname")
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event' ORDER BY name"
    return list(conn.exec_driver_sql(sql).scalars())
