"""Plugin discovery, the allow-list, load order and one PluginManager per app."""
from __future__ import annotations

import importlib
import logging
import uuid
from dataclasses import dataclass
from importlib.metadata import entry_points

import pluggy
from flask import current_app

from . import hookspecs

ENTRY_POINT_GROUP = "intranet.plugins"


class PluginError(RuntimeError):
    """A plugin configuration that must stop the start."""


@dataclass
class PluginInfo:
    name: str
    version: str
    module: str
    enabled: bool
    description: str = ""


def installed_plugins() -> dict[str, tuple[str, str, object]]:
    """name -> (module path, version, entry point) for every plugin installed via entry points."""
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        version = ep.dist.version if ep.dist else "?"
        if ep.name in found and found[ep.name][0] != ep.value:
            raise PluginError(f"插件名 {ep.name!r} 重复：{found[ep.name][0]} 与 {ep.value} 都使用该名称 "
                              f"(duplicate plugin name)，请卸载其中一个")
        found[ep.name] = (ep.value, version, ep)
    return found


def resolve_plugins(config, check_names: bool = True) -> tuple[list[PluginInfo], dict[str, object]]:
    """Work out which plugins are installed and which are enabled; load the enabled ones.

    Returns (infos for every installed or enabled plugin, {name: module} of enabled plugins).
    ``check_names=False`` skips the check against the core's tables (which imports the models).
    """
    sources = dict(config.get("PLUGIN_SOURCES") or {})
    available = {name: (module, version) for name, (module, version, _) in installed_plugins().items()}
    for name, module in sources.items():
        available[name] = (module, "dev")
    wanted = config.get("PLUGINS")
    if wanted is None:
        wanted = sorted(available)
    elif isinstance(wanted, str):
        wanted = [p.strip() for p in wanted.split(",") if p.strip()]
    seen = set()
    for name in wanted:
        if name in seen:
            raise PluginError(f"插件 {name!r} 在 INTRANET_PLUGINS 中重复出现 (duplicate plugin name)")
        seen.add(name)
        if name not in available:
            raise PluginError(
                f"未安装的插件 {name!r} (unknown plugin); 已安装: {', '.join(sorted(available)) or '无'}"
            )
    for name in wanted if check_names else ():
        check_plugin_name(name)
    loaded = {}
    for name in wanted:
        module_path = available[name][0].split(":")[0]
        try:
            loaded[name] = importlib.import_module(module_path)
        except ImportError as exc:
            raise PluginError(f"插件 {name!r} 无法加载: {exc}") from exc
    infos = []
    for name in sorted(set(available) | set(wanted)):
        module, version = available[name]
        mod = loaded.get(name)
        infos.append(PluginInfo(name=name, version=version, module=module, enabled=name in loaded,
                                description=(getattr(mod, "DESCRIPTION", "") if mod else "")))
    return infos, loaded


def protected_tables() -> frozenset[str]:
    """Tables no plugin may own or purge: the core's (from its models) and alembic's."""
    from .models import core_tables
    return core_tables() | {"alembic_version"}


def core_tables_claimed_by(name: str) -> list[str]:
    """The protected tables a plugin called ``name`` would claim with its prefix ``<name>_``."""
    return sorted(t for t in protected_tables() if t == name or t.startswith(f"{name}_"))


def check_plugin_name(name: str) -> None:
    """A plugin's name is its table prefix and its migration branch: it must not be the core's."""
    if name == "core":
        raise PluginError("插件不能命名为 'core'：这是核心迁移分支的名称，请给插件换一个名称")
    claimed = core_tables_claimed_by(name)
    if claimed:
        raise PluginError(f"插件名 {name!r} 与核心数据表 {'、'.join(claimed)} 冲突（插件的数据表以“{name}_”开头），"
                          f"请给插件换一个名称")


def make_plugin_manager(loaded: dict[str, object]) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("intranet")
    pm.add_hookspecs(hookspecs)
    for name, module in loaded.items():
        # A plugin may define hooks for other plugins to answer (e.g. certificate_prerequisites).
        specs = getattr(module, "hookspecs", None)
        if specs is not None:
            pm.add_hookspecs(specs)
    for name, module in loaded.items():
        pm.register(module, name=name)
    pm.check_pending()
    return pm


def bare_plugin_manager(config) -> pluggy.PluginManager:
    """The enabled plugins' manager without an app, for ``intranet --help``: the app's start
    makes the full checks when a command runs."""
    _infos, loaded = resolve_plugins(config, check_names=False)
    return make_plugin_manager(loaded)


def get_pm(app=None) -> pluggy.PluginManager:
    return (app or current_app).extensions["intranet_pm"]


def hook(app=None):
    return get_pm(app).hook


def enabled_plugin_names(app=None) -> list[str]:
    return [i.name for i in (app or current_app).extensions["intranet_plugins"] if i.enabled]


def flatten(results) -> list:
    """Hooks may return one item, a list, or None; make one flat list."""
    out = []
    for r in results:
        if r is None:
            continue
        if isinstance(r, (list, tuple)):
            out.extend(x for x in r if x is not None)
        else:
            out.append(r)
    return out


def call_each(hook_name: str, app=None, **kwargs) -> list[tuple[str, object]]:
    """Call a hook implementation by implementation and return [(plugin name, result)].

    The order is pluggy's: the last registered implementation first.
    """
    pm = get_pm(app)
    caller = getattr(pm.hook, hook_name)
    out = []
    for impl in reversed(caller.get_hookimpls()):
        out.append((impl.plugin_name, impl.function(**{k: kwargs[k] for k in impl.argnames})))
    return out


log = logging.getLogger("intranet.plugins")


@dataclass
class PluginFailure:
    """A plugin whose hook raised: pages show :func:`failure_notice` in place of its part."""
    plugin: str
    hook: str
    reference: str    # short id, also in the log, so an admin can find the traceback


def failure_notice(plugin: str) -> str:
    return f"「{plugin}」插件出错，此部分暂不可用"


def record_failure(plugin: str, hook_name: str, exc: BaseException) -> PluginFailure:
    """Log ``exc`` (with traceback) under the plugin's name and an error reference."""
    from sqlalchemy.exc import SQLAlchemyError

    from .extensions import db
    if isinstance(exc, SQLAlchemyError):
        db.session.rollback()   # PostgreSQL refuses every later statement of a failed transaction
    failure = PluginFailure(plugin, hook_name, uuid.uuid4().hex[:8])
    log.error("插件 %s 的 %s 出错（错误编号 %s）", plugin, hook_name, failure.reference, exc_info=exc)
    return failure


def call_safely(hook_name: str, app=None, expect: type | None = None,
                **kwargs) -> tuple[list, list[PluginFailure]]:
    """Call each plugin's implementation on its own; one that raises does not stop the others.

    Returns (the flattened results of the plugins that answered, a PluginFailure per plugin that
    raised or, with ``expect``, returned something that is not an ``expect``). Used for what a
    page or a command collects from every plugin.
    """
    pm = get_pm(app)
    results, failures = [], []
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        try:
            found = flatten([impl.function(**{k: kwargs[k] for k in impl.argnames})])
            wrong = [x for x in found if expect is not None and not isinstance(x, expect)]
            if wrong:
                raise TypeError(f"{hook_name} must return {expect.__name__} objects, got {wrong[0]!r}")
        except Exception as exc:  # noqa: BLE001 - any plugin error is contained here
            failures.append(record_failure(impl.plugin_name, hook_name, exc))
        else:
            results.extend(found)
    return results, failures


def plugin_of_table(table_name: str, names) -> str | None:
    for name in names:
        if table_name.startswith(f"{name}_"):
            return name
    return None
