"""One plugin cannot take the site down, and what a plugin returns is escaped unless it is Markup.

A throw-away plugin (``fake_plugin``) is enabled next to every installed plugin; its hooks raise.
"""
import logging
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from markupsafe import Markup
from sqlalchemy import select, text

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import fake_plugin  # noqa: E402

from intranet.cli import cli  # noqa: E402
from intranet.hookspecs import ScheduledJob, Widget  # noqa: E402
from intranet.models import AuditEvent  # noqa: E402
from intranet.testing import login  # noqa: E402

NOTICE = "「faulty」插件出错，此部分暂不可用"
YEAR = date.today().year


def boom(*_args, **_kwargs):
    raise RuntimeError("插件内部错误")


def bad_sql(*_args, **_kwargs):
    """A database error: on PostgreSQL it aborts the transaction for every later statement."""
    from intranet.extensions import db
    db.session.execute(text("SELECT * FROM no_such_table"))


def nav_items(user):
    boom()


def dashboard_widgets(user):
    bad_sql()


def person_sections(person, viewer):
    boom()


def report_fragments(year, department):
    bad_sql()


@pytest.fixture
def app_config(monkeypatch):
    return {"PLUGIN_SOURCES": fake_plugin(monkeypatch, "faulty", nav_items=nav_items,
                                          dashboard_widgets=dashboard_widgets,
                                          person_sections=person_sections,
                                          report_fragments=report_fragments)}


def notices(html: str) -> list[str]:
    return re.findall(r'class="plugin-error" data-plugin="faulty"[^>]*>(.*?)</(?:p|span)>', html)


def test_every_page_renders_with_a_notice_in_place_of_the_failing_part(client, org, caplog):
    login(client, org.users["bureau"])
    with caplog.at_level(logging.ERROR, logger="intranet.plugins"):
        pages = {
            "dashboard": client.get("/dashboard"),
            "record": client.get(f"/people/{org.staff_person.id}"),
            "report": client.get(f"/reports/?year={YEAR}&department={org.county.id}"),
            "people": client.get("/people/"),
        }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert NOTICE in html, name
        assert "错误编号" not in html, name           # only an admin sees the reference
    dashboard = pages["dashboard"].get_data(as_text=True)
    assert len(notices(dashboard)) == 2              # its nav item and its widget
    assert 'class="mainnav"' in dashboard and ">人员</a>" in dashboard   # the core's nav still there
    record = pages["record"].get_data(as_text=True)
    assert "基本信息" in record and "张三" in record
    report = pages["report"].get_data(as_text=True)
    assert 'class="report-fragment missing-fragment" data-plugin="faulty"' in report
    assert "不完整，不能报送" in report
    assert ">报送</button>" not in report            # an incomplete report cannot be submitted
    assert any("faulty" in r.getMessage() and "report_fragments" in r.getMessage() for r in caplog.records)


def test_an_admin_sees_the_error_reference_that_is_in_the_log(client, org, caplog):
    login(client, org.users["admin"])
    with caplog.at_level(logging.ERROR, logger="intranet.plugins"):
        html = client.get("/dashboard").get_data(as_text=True)
    references = re.findall(r"错误编号 ([0-9a-f]{8})", html)
    assert len(references) == 2
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert all(ref in logged for ref in references) and "插件 faulty 的 dashboard_widgets 出错" in logged


def test_submitting_an_incomplete_report_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    response = client.post(f"/reports/submissions/{org.town_a.id}/{YEAR}/submit", data={})
    page = client.get(response.headers["Location"]).get_data(as_text=True) if response.status_code == 302 \
        else response.get_data(as_text=True)
    assert "插件「faulty」" in page and "报告不完整" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submit")) is None


def test_report_build_exits_non_zero_naming_the_plugin(app, org, tmp_path):
    out = tmp_path / "report.json"
    result = app.test_cli_runner().invoke(cli, ["report", "build", "--year", str(YEAR), "--department", "X01",
                                                "--output", str(out)])
    assert result.exit_code != 0
    assert "插件「faulty」" in result.stderr and "报告不完整" in result.stderr
    assert not out.exists()


def test_the_json_report_says_which_fragment_is_missing(client, org):
    login(client, org.users["bureau"])
    data = client.get(f"/reports/?year={YEAR}&department={org.county.id}&format=json").get_json()
    assert [m["plugin"] for m in data["missing_fragments"]] == ["faulty"]


# --- scheduled jobs ---------------------------------------------------------------------------

def test_one_failing_job_does_not_stop_the_others(app, monkeypatch, db, org):
    from intranet import create_app
    from intranet.testing import BASE_CONFIG
    ran = []

    def good():
        ran.append("good")
        return "完成 1 项"

    def jobs():
        return [ScheduledJob("jobs", "first", boom), ScheduledJob("jobs", "second", good)]

    def broken_jobs():
        boom()

    sources = fake_plugin(monkeypatch, "jobs", scheduled_jobs=jobs) | fake_plugin(
        monkeypatch, "nojobs", scheduled_jobs=broken_jobs)
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "PLUGINS": ["jobs", "nojobs"], "PLUGIN_SOURCES": sources})
    with other.app_context():
        result = other.test_cli_runner().invoke(cli, ["jobs", "run"])
        assert ran == ["good"]
        assert result.exit_code != 0
        assert "jobs.second: 完成 1 项" in result.stdout
        assert "任务 jobs.first 失败" in result.stderr
        assert "2 个任务失败：nojobs（列出任务）、jobs.first" in result.stderr
        assert "jobs.second" not in result.stderr
        only_good = other.test_cli_runner().invoke(cli, ["jobs", "run", "jobs.second"])
        assert only_good.exit_code == 0 and "插件「nojobs」无法列出定时任务" in only_good.stderr
        assert "jobs.second: 今日已运行，跳过" in only_good.stdout and ran == ["good"]  # once a day


# --- escaping ----------------------------------------------------------------------------------

def test_plain_strings_from_a_plugin_are_escaped_and_markup_is_not(app, monkeypatch, db, org):
    from intranet import create_app
    from intranet.hookspecs import NavItem
    from intranet.testing import BASE_CONFIG

    def widgets(user):
        return [Widget("xss", "纯文本", html="<script>alert(1)</script>"),
                Widget("xss", "标记", html=Markup("<em>强调</em>"))]

    def nav(user):
        return [NavItem("xss", "<b>导航</b>", "dashboard.index")]

    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "PLUGINS": ["xss"], "PLUGIN_SOURCES": fake_plugin(monkeypatch, "xss", dashboard_widgets=widgets,
                                                                          nav_items=nav)})
    with other.app_context(), other.test_client() as client:
        login(client, org.users["bureau"])
        html = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<em>强调</em>" in html
    assert "&lt;b&gt;导航&lt;/b&gt;" in html


def test_a_hook_returning_the_wrong_type_is_a_failure_of_that_plugin(app, monkeypatch, db, org):
    from intranet import create_app
    from intranet.testing import BASE_CONFIG
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "PLUGINS": ["wrong"], "PLUGIN_SOURCES": fake_plugin(
                            monkeypatch, "wrong", dashboard_widgets=lambda user: {"title": "不是 Widget"})})
    with other.app_context(), other.test_client() as client:
        login(client, org.users["bureau"])
        response = client.get("/dashboard")
    assert response.status_code == 200 and "「wrong」插件出错，此部分暂不可用" in response.get_data(as_text=True)
