"""The ``intranet`` command: users, report build, jobs, export (exit status and stderr)."""
import json
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import plugin_config  # noqa: E402

from intranet.cli import cli  # noqa: E402
from intranet.models import AuditEvent, User  # noqa: E402
from intranet.schema import create_all  # noqa: E402
from intranet.testing import make_department  # noqa: E402

YEAR = date.today().year


@pytest.fixture
def app_config():
    return plugin_config("sample_notes")


@pytest.fixture(autouse=True)
def sample_tables(app):
    create_all(app)


def run(app, *args):
    return app.test_cli_runner().invoke(cli, [str(a) for a in args])


# --- users ----------------------------------------------------------------------------------

def test_create_admin(app, db):
    result = run(app, "users", "create-admin", "--username", "boss", "--password", "long-enough-1")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user.role == "admin" and user.check_password("long-enough-1")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "user")).object_id == str(user.id)


def test_create_admin_refuses_duplicates_and_short_passwords(app, db):
    run(app, "users", "create-admin", "--username", "boss", "--password", "long-enough-1")
    duplicate = run(app, "users", "create-admin", "--username", "boss", "--password", "long-enough-2")
    assert duplicate.exit_code != 0 and "用户名 boss 已存在" in duplicate.stderr
    for password, message in (("short-pw9", "密码至少10位"), ("password123", "过于简单"),
                              ("other-other-1", "不能包含用户名")):
        refused = run(app, "users", "create-admin", "--username", "other", "--password", password)
        assert refused.exit_code != 0 and message in refused.stderr
    assert db.session.scalar(select(User).where(User.username == "other")) is None


# --- report build ---------------------------------------------------------------------------

def test_report_build_json(app, db, org, tmp_path):
    out = tmp_path / "report.json"
    result = run(app, "report", "build", "--year", YEAR, "--department", "X01", "--format", "json", "--output", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"year", "department", "generated_at", "fragments"}
    assert data["year"] == YEAR and data["department"] == {"code": "X01", "name": "永安县"}
    assert [f["plugin"] for f in data["fragments"]] == ["sample_notes"]
    assert set(data["fragments"][0]) == {"plugin", "key", "title", "figures", "paragraphs", "tables"}


def test_report_build_html_for_the_root(app, org, tmp_path):
    out = tmp_path / "report.html"
    result = run(app, "report", "build", "--year", YEAR, "--format", "html", "--output", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and f"{YEAR}年度永安市" in html and "样例笔记" in html


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_report_build_word_and_excel(app, org, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = run(app, "report", "build", "--year", YEAR, "--department", "X01", "--format", fmt, "--output", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("args, message", [
    (["--year", YEAR, "--department", "NOPE", "--format", "json"], "单位编码 NOPE 不存在"),
    (["--year", 1990, "--format", "json"], "年度 1990 超出范围"),
    (["--year", YEAR, "--format", "pdf"], "Invalid value for '--format'"),
])
def test_report_build_errors(app, org, tmp_path, args, message):
    out = tmp_path / "out"
    result = run(app, "report", "build", *args, "--output", out)
    assert result.exit_code != 0
    assert message in result.stderr
    assert not out.exists()


def test_report_build_with_several_roots_asks_for_a_department(app, db, org, tmp_path):
    make_department("C02", "另一市", "市")
    db.session.commit()
    result = run(app, "report", "build", "--year", YEAR, "--format", "json", "--output", tmp_path / "r.json")
    assert result.exit_code != 0 and "--department" in result.stderr


# --- jobs and export ------------------------------------------------------------------------

def test_jobs_list_and_run(app, db, org):
    listing = run(app, "jobs", "list")
    assert listing.exit_code == 0 and listing.output.startswith("sample_notes.archive\tdaily\t")
    result = run(app, "jobs", "run")
    assert result.exit_code == 0 and "sample_notes.archive: 归档 0 条" in result.output


def test_jobs_run_unknown_job(app):
    result = run(app, "jobs", "run", "nope")
    assert result.exit_code != 0 and "未知的任务 nope" in result.stderr


def test_export_unknown_kind(app, tmp_path):
    result = run(app, "export", "nope", "--output", tmp_path / "x.xlsx")
    assert result.exit_code != 0
    assert "未知的导出类型 nope" in result.stderr and "sample_notes" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_export_unknown_department(app, tmp_path):
    result = run(app, "export", "sample_notes", "--output", tmp_path / "x.xlsx", "--department", "NOPE")
    assert result.exit_code != 0 and "单位编码 NOPE 不存在" in result.stderr


# --- start-up: help without building the app -----------------------------------------------

# What only the app's start imports: Alembic (Flask-Migrate), Flask-Limiter, the blueprints.
APP_ONLY_MODULES = ("flask_migrate", "alembic", "flask_limiter", "flask_wtf", "intranet.schema", "intranet.auth")
SHOW_MODULES = """
import sys
from intranet.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print("MODULES", " ".join(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def intranet(tmp_path, *args, plugins=None):
    """``intranet ARGS`` in a fresh interpreter: (exit code, stdout, the modules it had imported)."""
    import os
    import subprocess
    env = {**os.environ, "INTRANET_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    env.pop("INTRANET_PLUGINS", None)
    if plugins is not None:
        env["INTRANET_PLUGINS"] = plugins
    done = subprocess.run([sys.executable, "-c", SHOW_MODULES, *args], env=env, capture_output=True,
                          text=True, timeout=120)
    modules = set(next(line for line in done.stderr.splitlines() if line.startswith("MODULES")).split()[1:])
    return done.returncode, done.stdout, done.stderr, modules


def app_only(modules):
    return sorted(m for m in modules if m.split(".")[0] in APP_ONLY_MODULES or m.startswith(APP_ONLY_MODULES))


# What only a command that runs imports: the database layer, the core's models and the plugins'.
DATABASE_MODULES = ("sqlalchemy", "flask_sqlalchemy", "intranet.extensions", "intranet.models", "intranet.access")


def database_layer(modules):
    return sorted(m for m in modules if m.split(".")[0] in DATABASE_MODULES or m.startswith(DATABASE_MODULES)
                  or m.endswith(".models") or ".models." in m)


def test_help_lists_the_plugins_commands_without_building_the_app(tmp_path):
    code, out, err, modules = intranet(tmp_path, "--help")
    assert code == 0, err
    listed = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()}
    assert {"db", "users", "import", "export", "worker", "run", "limiter", "certificates", "exams"} <= listed
    assert app_only(modules) == []
    assert {"intranet_certificates.plugin", "intranet_exams.plugin"} <= modules   # the plugins, not their models
    assert database_layer(modules) == []


def test_help_without_plugins_does_not_import_the_models(tmp_path):
    code, out, err, modules = intranet(tmp_path, "--help", plugins="")
    assert code == 0, err
    assert "certificates" not in out and "users" in out
    assert app_only(modules) == [] and not [m for m in modules if m.startswith("intranet.models")]


def test_a_plugins_group_help_does_not_build_the_app(tmp_path):
    code, out, err, modules = intranet(tmp_path, "certificates", "--help")
    assert code == 0, err
    assert "expire" in out and app_only(modules) == [] and database_layer(modules) == []
    code, out, err, modules = intranet(tmp_path, "db", "--help")
    assert code == 0 and "upgrade" in out and app_only(modules) == []


def test_a_command_still_builds_the_app(tmp_path):
    code, out, err, modules = intranet(tmp_path, "plugins", "list")
    assert code == 0, err
    assert "certificates" in out and "已启用" in out
    assert {"flask_migrate", "flask_limiter", "intranet.schema"} <= modules
    assert {"sqlalchemy", "intranet.models", "intranet_certificates.models"} <= set(database_layer(modules))


def test_help_reports_a_bad_plugin_list_on_stderr(tmp_path):
    code, out, err, _modules = intranet(tmp_path, "--help", plugins="nope")
    assert code == 1 and "未安装的插件 'nope'" in err and "Traceback" not in err


def test_help_and_the_plugin_commands_from_the_configuration(tmp_path):
    """Without a test app, the CLI reads the plugin list from instance/config.py (as ``intranet`` does)."""
    from click.testing import CliRunner
    config = plugin_config("sample_notes")
    (tmp_path / "config.py").write_text(f"SECRET_KEY = 'x' * 40\nPLUGINS = {config['PLUGINS']!r}\n"
                                        f"PLUGIN_SOURCES = {config['PLUGIN_SOURCES']!r}\n", encoding="utf-8")
    env = {"INTRANET_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
           "INTRANET_PLUGINS": None}
    result = CliRunner().invoke(cli, ["--help"], env=env)
    assert result.exit_code == 0, result.output
    assert "sample-notes" in result.output and "certificates" not in result.output
    result = CliRunner().invoke(cli, ["sample-notes", "--help"], env=env)
    assert result.exit_code == 0 and "count" in result.output


def test_progress_bar_follows_a_changing_total():
    import click
    from click.testing import CliRunner

    from intranet.cli import _progress_bar

    @click.command()
    def work():
        with _progress_bar("处理中") as progress:
            for done, total in ((0, 1), (5, 10), (10, 40), (40, 40), (50, 40)):
                progress(done, total)

    result = CliRunner().invoke(work)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("处理中")   # not a terminal: click shows the label only
