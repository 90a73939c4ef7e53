"""The plugin host: discovery, the allow-list, errors, one manager per app, cross-plugin hooks."""
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import SOURCES, fake_plugin, plugin_config  # noqa: E402

import intranet.plugins as plugins_module  # noqa: E402
from intranet import create_app  # noqa: E402
from intranet.cli import cli  # noqa: E402
from intranet.plugins import PluginError, enabled_plugin_names, get_pm  # noqa: E402
from intranet.testing import BASE_CONFIG  # noqa: E402


def fake_entry_point(name, value, version):
    return SimpleNamespace(name=name, value=value, dist=SimpleNamespace(version=version))


@pytest.fixture
def installed(monkeypatch):
    """Pretend the two test plugins are installed distributions (entry points)."""
    eps = [fake_entry_point("sample_notes", SOURCES["sample_notes"], "1.2.3"),
           fake_entry_point("sample_remarks", SOURCES["sample_remarks"], "0.9.0")]
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: eps if group == "intranet.plugins" else [])
    return eps


def make_app(tmp_path, **config):
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/plugins.db", **config})


def infos(app):
    return {i.name: (i.version, i.enabled) for i in app.extensions["intranet_plugins"]}


def test_discovery_through_entry_points(installed, tmp_path):
    app = make_app(tmp_path, PLUGINS=None)        # None: every installed plugin
    assert infos(app) == {"sample_notes": ("1.2.3", True), "sample_remarks": ("0.9.0", True)}
    assert get_pm(app).get_plugin("sample_notes") is not None
    assert "sample_notes" in app.blueprints


def test_allow_list_enables_only_what_it_names(installed, tmp_path):
    app = make_app(tmp_path, PLUGINS=["sample_remarks"])
    assert infos(app) == {"sample_notes": ("1.2.3", False), "sample_remarks": ("0.9.0", True)}
    assert get_pm(app).get_plugin("sample_notes") is None
    assert "sample_notes" not in app.blueprints
    assert enabled_plugin_names(app) == ["sample_remarks"]
    assert infos(make_app(tmp_path, PLUGINS="")) == {"sample_notes": ("1.2.3", False),
                                                     "sample_remarks": ("0.9.0", False)}


def test_allow_list_from_the_environment(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("INTRANET_PLUGINS", " sample_notes , ")
    config = {k: v for k, v in BASE_CONFIG.items()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/env.db"})
    assert enabled_plugin_names(app) == ["sample_notes"]


def test_unknown_plugin_name_stops_the_start(installed, tmp_path):
    with pytest.raises(PluginError, match="未安装的插件 'nope'.*已安装: sample_notes, sample_remarks"):
        make_app(tmp_path, PLUGINS=["sample_notes", "nope"])


def test_duplicate_name_in_the_allow_list_stops_the_start(installed, tmp_path):
    with pytest.raises(PluginError, match="插件 'sample_notes' 在 INTRANET_PLUGINS 中重复出现"):
        make_app(tmp_path, PLUGINS=["sample_notes", "sample_notes"])


def test_two_distributions_with_the_same_plugin_name_stop_the_start(installed, tmp_path):
    installed.append(fake_entry_point("sample_notes", "other_notes.plugin", "2.0"))
    with pytest.raises(PluginError, match="插件名 'sample_notes' 重复"):
        make_app(tmp_path, PLUGINS=None)


def test_plugin_that_cannot_be_imported(tmp_path):
    with pytest.raises(PluginError, match="插件 'broken' 无法加载"):
        make_app(tmp_path, PLUGINS=["broken"], PLUGIN_SOURCES={"broken": "no_such_module.plugin"})


def test_cli_reports_a_bad_plugin_list_on_stderr(tmp_path):
    env = {"INTRANET_PLUGINS": "nope", "INTRANET_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    result = CliRunner().invoke(cli, ["plugins", "list"], env=env)
    assert result.exit_code != 0
    assert "未安装的插件 'nope'" in result.stderr
    assert "Traceback" not in result.output


def test_plugins_list_shows_installed_and_enabled_with_versions(installed, tmp_path):
    app = make_app(tmp_path, PLUGINS=["sample_notes"])
    result = app.test_cli_runner().invoke(cli, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines == ["sample_notes\t1.2.3\t已启用\tsample_notes.plugin",
                     "sample_remarks\t0.9.0\t已安装未启用\tsample_remarks.plugin"]


def test_plugins_list_without_plugins(tmp_path, monkeypatch):
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: [])
    app = make_app(tmp_path, PLUGINS=[])
    assert app.test_cli_runner().invoke(cli, ["plugins", "list"]).output.strip() == "没有安装任何插件"


def test_one_plugin_manager_per_app(tmp_path):
    with_notes = make_app(tmp_path, **plugin_config("sample_notes"))
    without = make_app(tmp_path, **plugin_config("sample_remarks"))
    assert get_pm(with_notes) is not get_pm(without)
    assert get_pm(without).get_plugin("sample_notes") is None
    assert get_pm(without).hook.sample_notes_remarks.spec is None          # only an unverified impl
    assert "sample_notes" in with_notes.blueprints and "sample_notes" not in without.blueprints
    assert "SAMPLE_NOTES_TITLE" not in without.config
    # The command group forgets the first app's plugin commands when another app uses it.
    assert with_notes.test_cli_runner().invoke(cli, ["sample-notes", "--help"]).exit_code == 0
    assert without.test_cli_runner().invoke(cli, ["sample-notes", "--help"]).exit_code != 0


# --- hooks between plugins ------------------------------------------------------------------

@pytest.fixture
def app_config():
    return plugin_config("sample_notes", "sample_remarks")


def test_cross_plugin_hook_is_answered_when_both_are_enabled(app, db, org):
    from intranet.reports.assemble import assemble
    from intranet.schema import create_all
    create_all(app)
    report = assemble(date.today().year, org.county)
    [fragment] = [f for f in report["fragments"] if f["plugin"] == "sample_notes"]
    assert fragment["paragraphs"][-1] == f"附言：永安县{date.today().year}年笔记由样例附言插件复核。"


def test_answering_plugin_loads_without_the_defining_one(tmp_path):
    app = make_app(tmp_path, **plugin_config("sample_remarks"))       # optionalhook: no error
    assert enabled_plugin_names(app) == ["sample_remarks"]
    alone = make_app(tmp_path, **plugin_config("sample_notes"))
    assert get_pm(alone).hook.sample_notes_remarks(year=2024, department=None) == []


@pytest.mark.parametrize("name, tables", [("audit", "audit_event"), ("report", "report_draft、report_review、report_snapshot、report_version、report_version_file"),
                                          ("person", "person"), ("user", "user_account")])
def test_a_plugin_named_after_core_tables_is_refused_at_start(tmp_path, monkeypatch, name, tables):
    sources = fake_plugin(monkeypatch, name, nav_items=lambda user: [])
    with pytest.raises(PluginError, match=f"插件名 '{name}' 与核心数据表 {tables} 冲突"):
        make_app(tmp_path, PLUGINS=[name], PLUGIN_SOURCES=sources)


def test_a_plugin_named_core_is_refused_at_start(tmp_path, monkeypatch):
    with pytest.raises(PluginError, match="插件不能命名为 'core'"):
        make_app(tmp_path, PLUGINS=["core"], PLUGIN_SOURCES=fake_plugin(monkeypatch, "core"))


def test_the_core_tables_come_from_the_core_models():
    from sample_notes.models import Note

    from intranet.models import core_tables
    assert {"department", "person", "user_account", "audit_event", "setting", "report_snapshot"} <= core_tables()
    assert Note.__tablename__ not in core_tables()       # a plugin's model is not the core's
