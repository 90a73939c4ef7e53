"""The report page stays small: charts are <img> served apart (cached, ETag), long department tables
fold to 20 rows with a paged view of the whole table; both check role and scope."""
import re
import shutil
from datetime import date

import pytest

from intranet.hookspecs import ReportChart, ReportFragment, hookimpl
from intranet.plugins import get_pm
from intranet.testing import login

YEAR = date.today().year


class LongTable:
    @hookimpl
    def report_fragments(self, year, department):
        rows = [[f"单位{i:03d}", i] for i in range(45)]
        return ReportFragment("long", "long", "长表格", figures={"n": 45}, labels={"n": "单位数"},
                              tables=[{"title": "各单位情况", "columns": ["单位", "数"], "rows": rows}],
                              charts=[ReportChart("各单位数", [r[0] for r in rows[:5]], [r[1] for r in rows[:5]])])


@pytest.fixture
def app_config(tmp_path):
    return {"REPORT_CACHE_FOLDER": str(tmp_path / "pieces")}


@pytest.fixture
def long_plugin(app):
    get_pm().register(LongTable(), name="long_sample")
    yield
    get_pm().unregister(name="long_sample")


def page(client, department):
    return client.get(f"/reports/?year={YEAR}&department={department.id}").get_data(as_text=True)


def links(html):
    table = re.search(r'<p class="table-more"><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    chart = re.search(r'<img src="([^"]+)" alt="各单位数"', html).group(1).replace("&amp;", "&")
    return table, chart


def test_long_table_folds_and_pages(db, client, org, long_plugin):
    login(client, org.users["bureau"])
    html = page(client, org.city)
    assert "单位019" in html and "单位020" not in html and "共 45 行" in html and "<svg" not in html
    table, _chart = links(html)
    first = client.get(table).get_data(as_text=True)
    assert "单位000" in first and "单位039" in first and "单位040" not in first and "第 1 / 2 页" in first
    second = client.get(table + "&page=2").get_data(as_text=True)
    assert "单位044" in second and "单位039" not in second


def test_chart_image_cached(db, client, org, long_plugin, app):
    login(client, org.users["bureau"])
    _table, chart = links(page(client, org.city))
    response = client.get(chart)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<?xml") and "immutable" in response.headers["Cache-Control"]
    etag = response.headers["ETag"].strip('"')
    assert client.get(chart, headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    assert client.get(chart.replace(".svg?", ".png?")).data.startswith(b"\x89PNG")
    shutil.rmtree(app.config["REPORT_CACHE_FOLDER"])    # not kept any more: found again in the report
    assert client.get(chart).data.startswith(b"<?xml")


def test_pieces_check_role_and_scope(db, client, org, long_plugin):
    login(client, org.users["bureau"])
    table, chart = links(page(client, org.city))
    other_table, other_chart = links(page(client, org.town_a))
    login(client, org.users["dept_admin_b"])     # town B's admin: neither the city's nor town A's
    for url in (table, chart, other_table, other_chart):
        assert client.get(url).status_code == 403
    etag = re.search(r"/chart/(\w+)", chart).group(1)
    assert client.get(chart, headers={"If-None-Match": f'"{etag}"'}).status_code == 403
    login(client, org.users["staff_a"])          # staff never see reports
    assert client.get(other_table).status_code == 403
    login(client, org.users["dept_admin_a"])
    assert client.get(other_table).status_code == 200
    # the key belongs to town A's report: asked as the city's, or tampered, it is not served
    assert client.get(other_table.replace(f"department={org.town_a.id}", f"department={org.town_b.id}")).status_code == 403
    forged = re.sub(r"/table/\w+", "/table/" + "0" * 32, other_table)
    assert client.get(forged).status_code == 404
    assert client.get(other_chart.replace(".svg?", ".gif?")).status_code == 404
    assert client.get(other_table.replace(f"year={YEAR}", "year=abc")).status_code == 400


def test_unit_list_shows_governments_and_the_chosen_units_own(db, client, org):
    """The unit list holds the units with units below them and the chosen unit's own units (a
    province's every unit would be most of the page)."""
    login(client, org.users["bureau"])
    options = lambda html: set(re.findall(r'<option[^>]*value="(\d+)"', html))  # noqa: E731
    city = options(page(client, org.city))
    assert {str(org.city.id), str(org.county.id), str(org.market.id)} <= city
    assert str(org.town_a.id) not in city
    county = options(page(client, org.county))
    assert {str(org.town_a.id), str(org.town_b.id)} <= county
    assert "甲镇" in page(client, org.town_a)      # a unit chosen is always in the list
