"""Checks made when the app starts: what plugins register must not collide with the core's or
another plugin's, and each plugin keeps the naming rules the core relies on (table prefix,
migration branch, registered models). A failed check stops the start with a PluginError."""
from __future__ import annotations

from pathlib import Path

import click

from .plugins import PluginError, call_each, flatten, get_pm


def _claim(owners: dict[str, str], what: str, name: str, owner: str) -> None:
    """Record that ``owner`` ("core" or a plugin) offers ``name``; a second owner is refused."""
    if name in owners:
        first = "核心" if owners[name] == "core" else f"插件 {owners[name]!r}"
        raise PluginError(f"{what} {name!r} 冲突：{first} 与插件 {owner!r} 都提供了它，请修改其中一个插件")
    owners[name] = owner


def check_kinds(app) -> None:
    """Import and export kinds are unique across the core and every plugin."""
    from .imports.core_kinds import core_import_kinds
    for hook_name, what, core in (("import_kinds", "导入类型", core_import_kinds()), ("export_kinds", "导出类型", [])):
        owners: dict[str, str] = {}
        for kind in core:
            owners[kind.name] = "core"
        for plugin, result in call_each(hook_name, app=app):
            for kind in flatten([result]):
                _claim(owners, what, kind.name, plugin)


def check_models(app) -> None:
    """Each plugin's tables start with ``<name>_`` and every model of its package is registered."""
    from .extensions import db
    pm = get_pm(app)
    for plugin, result in call_each("register_models", app=app):
        models = flatten([result])
        for model in models:
            table = model.__table__.name
            if not table.startswith(f"{plugin}_"):
                raise PluginError(f"插件 {plugin!r} 的数据表 {table!r}（模型 {model.__name__}）没有以“{plugin}_”开头："
                                  f"插件的数据表名必须以插件名加下划线开头")
        module = pm.get_plugin(plugin)
        package = module.__package__ or module.__name__      # the package the plugin module is in
        unregistered = sorted(m.class_.__name__ for m in db.Model.registry.mappers
                              if (m.class_.__module__ == package or m.class_.__module__.startswith(f"{package}."))
                              and m.class_ not in models)
        if unregistered:
            raise PluginError(f"插件 {plugin!r} 的模型 {'、'.join(unregistered)} 没有由 register_models 返回："
                              f"它们的数据表不会被创建、检查或清除")


def check_branches(app) -> None:
    """Each enabled plugin's revisions are ``<name>_NNNN`` and its first carries the label ``<name>``."""
    from .schema import _branch, _script_directory, plugin_version_dirs
    enabled = {i.name for i in app.extensions["intranet_plugins"] if i.enabled}
    dirs = {name: [p.resolve() for p in paths] for name, paths in plugin_version_dirs(app).items() if name in enabled}
    if not dirs:
        return
    for script in _script_directory().walk_revisions():
        folder = Path(script.path).resolve().parent
        plugin = next((name for name, paths in dirs.items() if folder in paths), None)
        if plugin is None:
            continue
        where = f"插件 {plugin!r} 的迁移 {Path(script.path).name}"
        if _branch(script.revision) != plugin:
            raise PluginError(f"{where} 的版本号 {script.revision!r} 应为“{plugin}_编号”（如 {plugin}_0001）")
        if script.down_revision is None and plugin not in (script.branch_labels or ()):
            raise PluginError(f"{where} 是该插件的第一个迁移，branch_labels 应为 ({plugin!r},)")


def collect_cli_commands(pm, core_names) -> dict[str, tuple[str, click.Command]]:
    """name -> (plugin, command) for every plugin's commands; a name taken twice is refused."""
    owners = {name: "core" for name in core_names}
    commands = {}
    for impl in reversed(pm.hook.register_cli_commands.get_hookimpls()):
        scratch = click.Group()
        impl.function(cli=scratch)
        for name, command in scratch.commands.items():
            _claim(owners, "命令", name, impl.plugin_name)
            commands[name] = (impl.plugin_name, command)
    return commands


def register_blueprints(app) -> None:
    """Call each plugin's ``register_blueprints``; a blueprint name already taken is refused."""
    owners = {name: "core" for name in app.blueprints}
    for impl in reversed(get_pm(app).hook.register_blueprints.get_hookimpls()):
        before = set(app.blueprints)
        original = app.register_blueprint

        def register(blueprint, _plugin=impl.plugin_name, **options):
            name = options.get("name", blueprint.name)
            if name in owners and app.blueprints.get(name) is not blueprint:
                _claim(owners, "蓝图（blueprint）名", name, _plugin)
            return original(blueprint, **options)

        app.register_blueprint = register      # sees each name before Flask's own, anonymous refusal
        try:
            impl.function(app=app)
        finally:
            del app.register_blueprint
        for name in set(app.blueprints) - before:
            owners[name] = impl.plugin_name


def check_at_start(app, core_cli_names) -> None:
    """Every check above, in an app context; stores the plugins' CLI commands on the app."""
    with app.app_context():
        check_kinds(app)
        check_models(app)
        check_branches(app)
        app.extensions["intranet_cli_commands"] = collect_cli_commands(get_pm(app), core_cli_names)
