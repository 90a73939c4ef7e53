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
from .plugins import flatten, get_pm, installed_plugins

CORE_VERSIONS = REPO_ROOT / "migrations" / "versions"
CORE_TABLES = {"department", "person", "user_account", "audit_event", "setting", "report_snapshot"}


class SchemaError(RuntimeError):
    pass


def _conventional_dir(module_path: str) -> Path | None:
    """<plugin package>/migrations/versions, found without importing the plugin's modules."""
    package = module_path.split(":")[0].split(".")[0]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(list(spec.submodule_search_locations)[0]) / "migrations" / "versions"
    return candidate if candidate.is_dir() else None


def plugin_version_dirs(app=None) -> dict[str, list[Path]]:
    """name -> version folders, for every installed plugin (enabled or not) and every enabled one."""
    app = app or current_app
    dirs: dict[str, list[Path]] = {}
    for name, (module, _version, _ep) in installed_plugins().items():
        found = _conventional_dir(module)
        if found:
            dirs[name] = [found]
    for plugin_name, result in _call_migration_dirs(app):
        dirs[plugin_name] = [Path(p) for p in flatten([result])]
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
    config.set_main_option("version_path_separator", "os")
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
    return branches


def purge_plugin(name: str, app=None) -> list[str]:
    """Drop a disabled plugin's tables and forget its revisions. Returns the dropped tables."""
    app = app or current_app
    enabled = [i.name for i in app.extensions["intranet_plugins"] if i.enabled]
    if name in enabled:
        raise SchemaError(f"插件 {name!r} 仍处于启用状态，请先从 INTRANET_PLUGINS 中移除后再清除")
    if name == "core":
        raise SchemaError("不能清除核心数据表")
    prefix = f"{name}_"
    meta = MetaData()
    meta.reflect(bind=db.engine)
    tables = [t for t in reversed(meta.sorted_tables) if t.name.startswith(prefix)]
    with db.engine.begin() as conn:
        for table in tables:
            table.drop(conn)
        if inspect(conn).has_table("alembic_version"):
            for rev in [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]:
                if rev.startswith(prefix):
                    conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": rev})
    return [t.name for t in tables]


def table_belongs_to_app(table_name: str, app=None) -> bool:
    """Core tables and tables of enabled plugins (used by create_all in tests and autogenerate)."""
    app = app or current_app
    if table_name in CORE_TABLES or table_name == "alembic_version":
        return True
    enabled = [i.name for i in app.extensions["intranet_plugins"] if i.enabled]
    return any(table_name.startswith(f"{n}_") for n in enabled)


def app_tables(app=None):
    return [t for t in db.metadata.sorted_tables if table_belongs_to_app(t.name, app)]


def create_all(app=None) -> None:
    """Create the app's tables directly (tests); real databases use ``upgrade``."""
    db.metadata.create_all(db.engine, tables=app_tables(app))
