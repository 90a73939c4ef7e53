"""The report page as people read it: percentages, dict figures as tables, the previous year and the
change, scope words, charts (server-drawn, Chinese), empty years and unknown departments."""
import re
import subprocess
import sys
from datetime import date
from types import SimpleNamespace

import pytest

from intranet.hookspecs import ReportChart, ReportFragment, hookimpl
from intranet.plugins import get_pm
from intranet.reports import charts, formatting
from intranet.reports.assemble import assemble, contract
from intranet.testing import login

YEAR = date.today().year - 1


def dept(kind, name):
    return SimpleNamespace(kind=kind, name=name)


@pytest.mark.parametrize("kind,name,word", [
    ("市", "永安市", "全市"), ("县(区)", "永安县", "全县"), ("县(区)", "城关区", "全区"), ("县(区)", "达旗", "全旗"),
    ("县(区)", "龙泉市", "全市"), ("乡镇(街道)", "甲镇", "全镇"), ("乡镇(街道)", "青田乡", "全乡"),
    ("乡镇(街道)", "高川街道", "全街道"), ("市直部门", "永安市司法局", "永安市司法局"), ("其他", "", "本单位"),
])
def test_scope_word(kind, name, word):
    assert formatting.scope_word(dept(kind, name)) == word


def test_numbers_rates_and_changes():
    assert formatting.pct(0.6561) == "65.6%" and formatting.pct(1) == "100.0%" and formatting.pct(None) == "—"
    assert formatting.number(12345) == "12,345" and formatting.number(3.25) == "3.2" and formatting.number(4.0) == "4"
    assert formatting.wan(123456) == "12.3万" and formatting.wan(9999) == "9,999"
    assert formatting.figure_kind("certified_rate") == "rate" and formatting.figure_kind("sat") == "count"
    assert formatting.figure_kind("hours", {"hours": "number"}) == "number"
    assert formatting.format_value(0.5, "rate") == "50.0%" and formatting.format_value(7, "count", "人") == "7人"
    assert formatting.change(12, 10) == "+2（+20.0%）" and formatting.change(8, 10) == "−2（−20.0%）"
    assert formatting.change(5, 0) == "+5" and formatting.change(3, 3) == "持平"
    assert formatting.change(0.656, 0.6, "rate") == "+5.6个百分点" and formatting.change(0.5, 0.5, "rate") == "持平"
    assert formatting.change(3, None) == "—" and formatting.change({"a": 1}, {"a": 1}) == "—"
    assert formatting.short_label("参考率（参考人数 ÷ 应考人数）") == "参考率"


def test_dict_figures_become_tables():
    flat = formatting.sub_table({"市直部门": 9, "乡镇(街道)": 13}, {}, "holders")
    assert flat == {"columns": ["项目", "数值"], "rows": [["市直部门", "9"], ["乡镇(街道)", "13"]]}
    nested = formatting.sub_table({"普法考试": {"sat": 5, "pass_rate": 0.8}}, {"sat": "参考人数（已结束）"}, "by_kind")
    assert nested == {"columns": ["项目", "参考人数", "pass_rate"], "rows": [["普法考试", "5", "80.0%"]]}


class Figures:
    """A fragment with a count, a rate, a number, a dict and a chart; its figures depend on the year."""

    @hookimpl
    def report_fragments(self, year, department):
        n = 10 if year == YEAR else 8
        return ReportFragment("fig", "fig", "样例", order=1,
                              figures={"people": n, "held_rate": 0.6561 if year == YEAR else 0.6, "hours": 2.5,
                                       "by_kind": {"讲座": n}},
                              labels={"people": "参训人数", "held_rate": "举办率", "hours": "人均学时", "by_kind": "按类型",
                                      "讲座": "讲座"},
                              kinds={"hours": "number"}, units={"people": "人"}, drilldown={"people": "/x?people"},
                              charts=[ReportChart("参训人数（按类型）", ["讲座", "会前学法"], [n, 3], unit="人")])


@pytest.fixture
def figures_plugin(app):
    get_pm().register(Figures(), name="figures_sample")
    yield
    get_pm().unregister(name="figures_sample")


def test_page_reads_right(db, client, org, figures_plugin):
    login(client, org.users["bureau"])
    html = client.get(f"/reports/?year={YEAR}&department={org.city.id}").get_data(as_text=True)
    body = html.split('<article class="report">')[1]
    assert '<td class="label">举办率</td><td class="num">65.6%</td><td class="num">60.0%</td>' \
           '<td class="num change">+5.6个百分点</td>' in body
    assert 'href="/x?people"' in body and ">10人</a></td><td class=\"num\">8人</td>" in body
    assert "+2（+25.0%）" in body and "0.6561" not in body
    assert "<caption>按类型</caption>" in body and "{" not in body
    assert f"<th>{YEAR}年</th><th>{YEAR - 1}年</th><th>增减</th>" in body
    chart = re.search(r'<img src="([^"]+)" alt="参训人数（按类型）"', body)    # the chart, drawn on the server
    assert chart and client.get(chart.group(1).replace("&amp;", "&")).data.startswith(b"<?xml")
    data = client.get(f"/reports/?year={YEAR}&department={org.city.id}&format=json").get_json()
    assert set(data) == {"year", "department", "generated_at", "fragments"}
    assert set(data["fragments"][0]) == {"plugin", "key", "title", "figures", "paragraphs", "tables"}


def test_extras_stay_out_of_the_contract(db, org, figures_plugin, app):
    with app.test_request_context():
        report = assemble(YEAR, org.city, with_labels=True, with_previous=True)
    assert report["previous"]["fig.fig"]["people"] == 8 and report["drilldown"]["fig.fig"] == {"people": "/x?people"}
    assert report["charts"][0]["title"] == "参训人数（按类型）" and report["charts"][0]["values"] == [10, 3]
    assert set(contract(report)) == {"year", "department", "generated_at", "fragments"}
    assert assemble(2000, org.city, with_previous=True)["previous"] == {}    # before FIRST_YEAR: nothing


def test_charts_svg_and_png_draw_chinese(figures_plugin, app, org, db):
    with app.test_request_context():
        report = assemble(YEAR, org.city, with_labels=True)
    chart = report["charts"][0]
    svg = charts.svg(chart)
    assert svg.startswith("<svg") and "<path" in svg and "DejaVu" not in svg
    [(title, png)] = charts.report_charts(report)
    assert title == "参训人数（按类型）" and png.startswith(b"\x89PNG")
    from matplotlib import font_manager
    found = font_manager.findfont(font_manager.FontProperties(family=charts.FONT_FAMILIES))
    assert "CJK" in found or "Han" in found or "WenQuanYi" in found, found   # a font that has 汉字
    many = {**chart, "labels": [f"单位{i}" for i in range(40)], "values": list(range(40)), "by": "department"}
    assert charts.render(many, "png").startswith(b"\x89PNG")
    assert charts.render({**chart, "kind": "line"}, "svg") and charts.render({**chart, "kind": "pie"}, "png")
    assert charts.render({**chart, "unit": "%", "values": [0.5, 0.25]}, "svg")


def test_matplotlib_is_not_imported_at_start_up():
    code = "import intranet, intranet.cli, intranet.reports.views, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_year_without_data_is_an_honest_empty_report(db, client, org):
    login(client, org.users["bureau"])
    response = client.get(f"/reports/?year=2001&department={org.city.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for p in (chunk.split("</p>")[0] for chunk in html.split('<article class="report">')[1].split("<p>")[1:]):
        assert not p.startswith(("0个", "2001年度全市暂无")) and "0个单位" not in p and "0.0%" not in p, p
    assert formatting.is_empty({"fragments": [{"figures": {"a": 0, "b": {"x": 0}}, "tables": [{"rows": []}]}]})
    assert not formatting.is_empty({"fragments": [{"figures": {"a": 0, "b": {"x": 1}}, "tables": []}]})


def test_unknown_department_is_a_clear_message(db, client, org):
    login(client, org.users["bureau"])
    response = client.get(f"/reports/?year={YEAR}&department=987654")
    assert response.status_code == 404 and "所选单位不存在" in response.get_data(as_text=True)
    response = client.get(f"/reports/?year={YEAR}&department=987654&format=json")
    assert response.status_code == 404 and "所选单位不存在" in response.get_json()["error"]
    assert client.get(f"/reports/?year={YEAR}&department=abc").status_code == 400


def test_dashboard_shows_the_report_charts(db, client, org, figures_plugin):
    login(client, org.users["bureau"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "工作图表" in html and "查看完整年度报告" in html
    chart = re.search(r'<img src="(/reports/chart/[^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(chart).mimetype == "image/svg+xml"
    login(client, org.users["staff_a"])
    assert "工作图表" not in client.get("/dashboard").get_data(as_text=True)


def test_dashboard_charts_of_the_top_unit_follow_a_renamed_unit(db, client, org, figures_plugin):
    """A user without a department gets the charts of the top of the tree, kept between views
    (intranet.counts) and read again once a department is written."""
    login(client, org.users["bureau"])
    assert f"年度{org.city.name}工作图表" in client.get("/dashboard").get_data(as_text=True)
    assert f"年度{org.city.name}工作图表" in client.get("/dashboard").get_data(as_text=True)
    org.city.name = "新永安市"
    db.session.commit()
    assert "年度新永安市工作图表" in client.get("/dashboard").get_data(as_text=True)


def test_money_reads_to_the_fen():
    from intranet.reports import formatting
    assert formatting.format_value(92000.55, "money", "元") == "92,000.55元"
    assert formatting.format_value(92000.0, "money", "元") == "92,000元"
    assert formatting.figure_text("fees_total", 92000.55, "服务费", {"fees_total": "money"}) == "92,000.55"


def test_a_font_cache_from_before_the_cjk_fonts_is_completed(monkeypatch):
    """matplotlib caches its font list on first use: fonts installed later (fonts-noto-cjk after a
    first run) are added when the charts start, rather than Chinese drawn as boxes."""
    from matplotlib import font_manager
    cjk = set(charts.FONT_FAMILIES[:-1])
    if not any(f.name in cjk for f in font_manager.fontManager.ttflist) and not any(
            "CJK" in p or "wqy" in p.lower() for p in font_manager.findSystemFonts()):
        pytest.skip("no CJK font on this machine (CI installs fonts-noto-cjk)")
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist if f.name not in cjk])
    monkeypatch.setattr(charts, "_pyplot", None)
    charts._plt()
    assert any(f.name in cjk for f in font_manager.fontManager.ttflist)
