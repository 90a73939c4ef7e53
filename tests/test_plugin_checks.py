"""Checks at start: no collisions with the core or between plugins, and the naming rules.

Each test enables throw-away plugins (``fake_plugin``) and expects the start to stop with a
PluginError naming both sides.
"""
import sys
from pathlib import Path

import click
import pytest
from flask import Blueprint
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import SOURCES, fake_plugin  # noqa: E402

from intranet import create_app  # noqa: E402
from intranet.extensions import db  # noqa: E402
from intranet.hookspecs import ExportKind  # noqa: E402
from intranet.imports import Column, ImportKind  # noqa: E402
from intranet.plugins import PluginError  # noqa: E402
from intranet.testing import BASE_CONFIG  # noqa: E402


def start(tmp_path, sources, plugins=None):
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/checks.db",
                       "PLUGINS": list(plugins or sources), "PLUGIN_SOURCES": {**SOURCES, **sources}})


def import_kind(plugin, name):
    return lambda: [ImportKind(plugin, name, "人员", [Column("姓名")], lambda rows, ctx: None)]


def test_two_plugins_offering_the_import_kind_people(tmp_path, monkeypatch):
    sources = fake_plugin(monkeypatch, "alpha", import_kinds=import_kind("alpha", "people")) | fake_plugin(
        monkeypatch, "beta", import_kinds=import_kind("beta", "people"))
    with pytest.raises(PluginError, match="导入类型 'people' 冲突：核心 与插件 '(alpha|beta)' 都提供了它"):
        start(tmp_path, sources)


def test_two_plugins_offering_the_same_import_kind(tmp_path, monkeypatch):
    sources = fake_plugin(monkeypatch, "alpha", import_kinds=import_kind("alpha", "notes")) | fake_plugin(
        monkeypatch, "beta", import_kinds=import_kind("beta", "notes"))
    with pytest.raises(PluginError) as refused:
        start(tmp_path, sources)
    assert "导入类型 'notes' 冲突" in str(refused.value)
    assert "'alpha'" in str(refused.value) and "'beta'" in str(refused.value)


def test_two_plugins_offering_the_same_export_kind(tmp_path, monkeypatch):
    def kinds(plugin):
        return lambda: [ExportKind(plugin, "roster", "名册", lambda path, department: None)]
    sources = fake_plugin(monkeypatch, "alpha", export_kinds=kinds("alpha")) | fake_plugin(
        monkeypatch, "beta", export_kinds=kinds("beta"))
    with pytest.raises(PluginError, match="导出类型 'roster' 冲突：插件 '(alpha|beta)' 与插件 '(alpha|beta)'"):
        start(tmp_path, sources)


def test_a_plugin_command_named_like_a_core_command(tmp_path, monkeypatch):
    def commands(cli):
        cli.add_command(click.Command("db", callback=lambda: None))
    with pytest.raises(PluginError, match="命令 'db' 冲突：核心 与插件 'alpha'"):
        start(tmp_path, fake_plugin(monkeypatch, "alpha", register_cli_commands=commands))


def test_two_plugins_with_the_same_command(tmp_path, monkeypatch):
    def commands(cli):
        cli.add_command(click.Command("tidy", callback=lambda: None))
    sources = fake_plugin(monkeypatch, "alpha", register_cli_commands=commands) | fake_plugin(
        monkeypatch, "beta", register_cli_commands=commands)
    with pytest.raises(PluginError, match="命令 'tidy' 冲突：插件 '(alpha|beta)' 与插件 '(alpha|beta)'"):
        start(tmp_path, sources)


def test_a_plugin_blueprint_named_like_a_core_blueprint(tmp_path, monkeypatch):
    def blueprints(app):
        app.register_blueprint(Blueprint("admin", __name__, url_prefix="/alpha"))
    with pytest.raises(PluginError, match=r"蓝图（blueprint）名 'admin' 冲突：核心 与插件 'alpha'"):
        start(tmp_path, fake_plugin(monkeypatch, "alpha", register_blueprints=blueprints))


def test_two_plugins_with_the_same_blueprint_name(tmp_path, monkeypatch):
    def blueprints(app):
        app.register_blueprint(Blueprint("shared", __name__, url_prefix=f"/{len(app.blueprints)}"))
    sources = fake_plugin(monkeypatch, "alpha", register_blueprints=blueprints) | fake_plugin(
        monkeypatch, "beta", register_blueprints=blueprints)
    with pytest.raises(PluginError, match="'shared' 冲突：插件 '(alpha|beta)' 与插件 '(alpha|beta)'"):
        start(tmp_path, sources)


class Stray(db.Model):
    """A model of the throw-away plugin ``gamma`` whose table lacks the prefix ``gamma_``."""
    __tablename__ = "stray_record"
    __module__ = "fake_gamma"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(20))


class Forgotten(db.Model):
    """A model of the throw-away plugin ``delta`` that its register_models leaves out."""
    __tablename__ = "delta_forgotten"
    __module__ = "fake_delta"
    id: Mapped[int] = mapped_column(primary_key=True)


def test_a_plugin_whose_table_lacks_its_prefix(tmp_path, monkeypatch):
    sources = fake_plugin(monkeypatch, "gamma", register_models=lambda: [Stray])
    with pytest.raises(PluginError, match="插件 'gamma' 的数据表 'stray_record'（模型 Stray）没有以“gamma_”开头"):
        start(tmp_path, sources)


def test_a_plugin_model_that_is_not_registered(tmp_path, monkeypatch):
    sources = fake_plugin(monkeypatch, "delta", register_models=lambda: [])
    with pytest.raises(PluginError, match="插件 'delta' 的模型 Forgotten 没有由 register_models 返回"):
        start(tmp_path, sources)


REVISION = '''
revision = "{revision}"
down_revision = None
branch_labels = {labels!r}
depends_on = "core_0001"


def upgrade():
    pass


def downgrade():
    pass
'''


@pytest.mark.parametrize("revision, labels, message", [
    ("omega_0001", ("other",), "插件 'omega' 的迁移 omega_0001.py 是该插件的第一个迁移，branch_labels 应为 ('omega',)"),
    ("first_0001", ("omega",), "插件 'omega' 的迁移 omega_0001.py 的版本号 'first_0001' 应为“omega_编号”"),
])
def test_a_plugin_whose_migration_branch_is_not_its_name(tmp_path, monkeypatch, revision, labels, message):
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "omega_0001.py").write_text(REVISION.format(revision=revision, labels=labels), encoding="utf-8")
    sources = fake_plugin(monkeypatch, "omega", migration_dirs=lambda: [versions])
    with pytest.raises(PluginError, match=message.replace("(", r"\(").replace(")", r"\)")):
        start(tmp_path, sources)


def test_the_sample_plugin_passes_every_check(tmp_path):
    app = start(tmp_path, {}, plugins=["sample_notes", "sample_remarks"])
    assert "sample-notes" in app.extensions["intranet_cli_commands"]
