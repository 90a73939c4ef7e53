"""Writing and undoing one branch's migrations: ``intranet db revision`` and ``db downgrade``.

Each branch (``core`` or a plugin's name) has revision ids ``<branch>_NNNN``. A new plugin
revision ``depends_on`` the core's current head, so upgrading the plugin never runs ahead of the
core it was written against. Autogenerate compares only the branch's own tables.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from .config import REPO_ROOT
from .schema import CORE_VERSIONS, SchemaError, _branch, _script_directory, plugin_version_dirs

AUTOGENERATE_BRANCH = "INTRANET_AUTOGENERATE_BRANCH"


def _branch_dir(branch: str) -> Path:
    if branch == "core":
        return CORE_VERSIONS
    enabled = {i.name for i in current_app.extensions["intranet_plugins"] if i.enabled}
    if branch not in enabled:
        raise SchemaError(f"插件 {branch!r} 未启用或未安装：只能为已启用的插件生成迁移")
    dirs = plugin_version_dirs()
    if branch in dirs:
        return dirs[branch][0]
    raise SchemaError(f"插件 {branch!r} 没有迁移目录：请先在其包内建立 migrations/versions/ 并写入第一个迁移"
                      f"（`intranet plugins new` 生成的插件已带有）")


def branch_revisions(branch: str) -> list[str]:
    script = _script_directory()
    return sorted(r.revision for r in script.walk_revisions() if _branch(r.revision) == branch)


@contextmanager
def _only_branch(branch: str):
    current_app.config[AUTOGENERATE_BRANCH] = branch
    try:
        yield
    finally:
        current_app.config.pop(AUTOGENERATE_BRANCH, None)


def new_revision(branch: str, message: str) -> Path:
    """Autogenerate the next revision of ``branch`` from its models; returns the new file."""
    from alembic import command
    folder = _branch_dir(branch)
    existing = branch_revisions(branch)
    if not existing:
        raise SchemaError(f"{branch} 分支还没有迁移，请先写第一个迁移（{branch}_0001）")
    numbers = [int(r.rsplit("_", 1)[1]) for r in existing if r.rsplit("_", 1)[1].isdigit()]
    rev_id = f"{branch}_{max(numbers, default=0) + 1:04d}"
    depends_on = None
    if branch != "core":
        depends_on = _script_directory().revision_map.get_revision("core@head").revision
    config = current_app.extensions["migrate"].migrate.get_config(str(REPO_ROOT / "migrations"))
    with _only_branch(branch):
        script = command.revision(config, message=message, autogenerate=True, head=f"{branch}@head",
                                  version_path=str(folder), rev_id=rev_id, depends_on=depends_on)
    return Path(script.path)


def downgrade(branch: str, target: str) -> str:
    """Downgrade ``branch`` only, to one of its own revisions, ``-N`` steps or ``base``."""
    from flask_migrate import downgrade as alembic_downgrade
    if branch == "core":
        raise SchemaError("核心数据表不能单独降级（插件的表依赖它们）")
    revisions = branch_revisions(branch)
    if not revisions:
        raise SchemaError(f"插件 {branch!r} 没有迁移版本")
    if target == "base" or (target.startswith("-") and target[1:].isdigit()):
        spec = f"{branch}@{target}"
    elif target in revisions:
        spec = target
    else:
        raise SchemaError(f"{target!r} 不是插件 {branch} 的迁移版本；可用：{'、'.join(revisions)}、base 或 -1")
    alembic_downgrade(directory=str(REPO_ROOT / "migrations"), revision=spec)
    return spec
