"""App config enabling the test plugins of this folder (they are not installed packages).

A test module puts this folder on ``sys.path`` and imports ``plugin_config``.
"""
SOURCES = {"sample_notes": "sample_notes.plugin", "sample_remarks": "sample_remarks.plugin"}


def plugin_config(*names: str) -> dict:
    """Config enabling exactly ``names`` (default: sample_notes)."""
    return {"PLUGINS": list(names or ["sample_notes"]), "PLUGIN_SOURCES": dict(SOURCES)}


def fake_plugin(monkeypatch, name: str, **hooks) -> dict:
    """Register a throw-away plugin module named ``fake_<name>`` whose hooks are ``hooks``
    (plain functions, keyed by hook name); returns the ``PLUGIN_SOURCES`` entry enabling it.

    ``PLUGINS`` left unset then enables it together with every installed plugin.
    """
    import importlib.machinery
    import sys
    import types

    from intranet.hookspecs import hookimpl
    module = types.ModuleType(f"fake_{name}")
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None)
    module.DESCRIPTION = f"测试插件 {name}"
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return {name: module.__name__}
