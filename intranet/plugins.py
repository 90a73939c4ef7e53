"""Plugin discovery, the allow-list, load order and one PluginManager per app."""
from __future__ import annotations

import importlib
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


def resolve_plugins(config) -> tuple[list[PluginInfo], dict[str, object]]:
    """Work out which plugins are installed and which are enabled; load the enabled ones.

    Returns (infos for every installed or enabled plugin, {name: module} of enabled plugins).
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
    """Call a hook implementation by implementation and return [(plugin name, result)]."""
    pm = get_pm(app)
    caller = getattr(pm.hook, hook_name)
    out = []
    for impl in reversed(caller.get_hookimpls()):
        out.append((impl.plugin_name, impl.function(**{k: kwargs[k] for k in impl.argnames})))
    return out


def plugin_of_table(table_name: str, names) -> str | None:
    for name in names:
        if table_name.startswith(f"{name}_"):
            return name
    return None
