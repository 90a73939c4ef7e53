"""The annual report: assembly (the JSON contract), files, the /reports/ pages, 报送 and snapshots."""
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import plugin_config  # noqa: E402

from intranet.hookspecs import ReportFragment, ReportTable, hookimpl  # noqa: E402
from intranet.models import ReportSnapshot  # noqa: E402
from intranet.plugins import get_pm  # noqa: E402
from intranet.reports.assemble import (ReportError, assemble, build_report_file, check_year,  # noqa: E402
                                       find_department)
from intranet.schema import create_all  # noqa: E402
from intranet.testing import login, make_department  # noqa: E402

YEAR = date.today().year


@pytest.fixture
def app_config():
    return plugin_config("sample_notes")


@pytest.fixture(autouse=True)
def sample_tables(app):
    create_all(app)


def add_note(db, department, noted_on=None, title="笔记"):
    from sample_notes.models import Note
    db.session.add(Note(department_id=department.id, title=title, noted_on=noted_on or date(YEAR, 1, 15),
                        body="", active=True))
    db.session.commit()


class ManyFragments:
    """Extra hook implementations registered on one test app's manager only."""

    @hookimpl
    def report_fragments(self, year, department):
        return [
            ReportFragment("zeta", "late", "最后", order=500),
            ReportFragment("beta", "first", "首先", order=5, figures={"on": date(year, 3, 1), "n": Decimal("3"),
                                                                      "by_kind": {"甲": 1}},
                           paragraphs=["第一段"],
                           tables=[ReportTable("表", ["日期", "数"], [(date(year, 1, 2), Decimal("1.5"))])]),
            ReportFragment("alpha", "same-order", "同序", order=500),
        ]


class OneFragment:
    @hookimpl
    def report_fragments(self, year, department):
        return ReportFragment("single", "one", "单个", order=1)


def fragments_of(report, plugin):
    return [f for f in report["fragments"] if f["plugin"] == plugin]


# --- assembly -----------------------------------------------------------------------------

def test_assemble_follows_the_json_contract(app, db, org):
    add_note(db, org.town_a)
    report = assemble(YEAR, org.county)
    assert set(report) == {"year", "department", "generated_at", "fragments"}
    assert report["year"] == YEAR
    assert report["department"] == {"code": "X01", "name": "永安县"}
    datetime.fromisoformat(report["generated_at"])
    [fragment] = fragments_of(report, "sample_notes")
    assert set(fragment) == {"plugin", "key", "title", "figures", "paragraphs", "tables"}
    assert fragment["key"] == "notes" and fragment["figures"]["notes"] == 1
    assert set(fragment["tables"][0]) == {"title", "columns", "rows"}
    assert json.loads(json.dumps(report)) == report


def test_fragments_are_sorted_and_json_safe(app, db, org):
    get_pm().register(ManyFragments(), name="many")
    get_pm().register(OneFragment(), name="one")
    report = assemble(YEAR, org.city)
    assert [(f["plugin"], f["key"]) for f in report["fragments"]] == [
        ("single", "one"), ("beta", "first"), ("alpha", "same-order"), ("zeta", "late"), ("sample_notes", "notes")]
    beta = fragments_of(report, "beta")[0]
    assert beta["figures"] == {"on": f"{YEAR}-03-01", "n": 3, "by_kind": {"甲": 1}}
    assert beta["tables"] == [{"title": "表", "columns": ["日期", "数"], "rows": [[f"{YEAR}-01-02", 1.5]]}]
    json.dumps(report)


def test_a_plugin_manager_of_another_app_does_not_contribute(app, db, org):
    get_pm().register(OneFragment(), name="one")
    from intranet import create_app
    other = create_app({**app.config, **plugin_config("sample_notes")})
    with other.app_context():
        assert not fragments_of(assemble(YEAR, org.city), "single")


@pytest.mark.parametrize("year", [1999, YEAR + 1, "abc", None])
def test_year_out_of_range_is_refused(app, org, year):
    with pytest.raises(ReportError, match="年度"):
        assemble(year, org.city)


def test_find_department(app, db, org):
    assert find_department("X01-A").name == "甲镇"
    assert find_department(None).code == "C01"
    with pytest.raises(ReportError, match="单位编码 NOPE 不存在"):
        find_department("NOPE")
    make_department("C02", "另一市", "市")
    db.session.commit()
    with pytest.raises(ReportError, match="多个最上级单位.*--department"):
        find_department(None)


def test_check_year_accepts_text_digits(app):
    assert check_year("2020") == 2020


# --- files ----------------------------------------------------------------------------------

def test_build_json_and_html_files(app, db, org, tmp_path):
    add_note(db, org.town_a, title="甲镇笔记")
    build_report_file(YEAR, "X01", "json", tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["department"]["code"] == "X01"
    assert fragments_of(data, "sample_notes")[0]["figures"]["notes"] == 1
    build_report_file(YEAR, None, "html", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"{YEAR}年度永安市" in html and "样例笔记" in html and "<td>甲镇</td>" in html


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_build_report_file_writes_word_and_excel(app, db, org, tmp_path, fmt):
    add_note(db, org.town_a)
    path = build_report_file(YEAR, "X01", fmt, tmp_path / f"r.{fmt}")
    content = path.read_bytes()
    assert content[:2] == b"PK"
    from io import BytesIO
    if fmt == "docx":
        from docx import Document
        text = "\n".join(p.text for p in Document(BytesIO(content)).paragraphs)
        assert "样例笔记" in text
    else:
        from openpyxl import load_workbook
        assert "样例笔记" in load_workbook(BytesIO(content)).sheetnames


def test_unknown_format_and_department_write_nothing(app, org, tmp_path):
    with pytest.raises(ReportError, match="不支持的格式"):
        build_report_file(YEAR, None, "pdf", tmp_path / "r.pdf")
    with pytest.raises(ReportError, match="单位编码 NOPE 不存在"):
        build_report_file(YEAR, "NOPE", "json", tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


# --- pages ----------------------------------------------------------------------------------

def test_report_page_for_the_whole_tree(client, db, org):
    add_note(db, org.town_a, title="甲镇笔记")
    login(client, org.users["bureau"])
    html = client.get("/reports/").get_data(as_text=True)
    assert f"{YEAR}年度永安市法治政府建设工作报告" in html
    assert 'data-plugin="sample_notes"' in html and "<td>甲镇</td>" in html
    assert "报送" in html


def test_report_json_variant_and_html_download(client, db, org):
    add_note(db, org.town_a)
    login(client, org.users["bureau"])
    data = client.get(f"/reports/?year={YEAR}&department={org.county.id}&format=json").get_json()
    assert data["department"] == {"code": "X01", "name": "永安县"}
    assert fragments_of(data, "sample_notes")[0]["figures"]["notes"] == 1
    download = client.get(f"/reports/?year={YEAR}&department={org.county.id}&download=html")
    assert download.headers["Content-Type"] == "text/html; charset=utf-8"       # one charset, not two
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "永安县" in download.get_data(as_text=True)


def test_department_admin_sees_only_their_subtree(client, db, org):
    add_note(db, org.town_b)
    login(client, org.users["dept_admin_a"])
    html = client.get("/reports/").get_data(as_text=True)
    assert f"{YEAR}年度甲镇" in html
    assert "乙镇" not in html and "永安县" not in html
    assert client.get(f"/reports/?year={YEAR}&department={org.town_b.id}").status_code == 403
    assert client.get(f"/reports/?year={YEAR}&department={org.county.id}&format=json").status_code == 403
    assert client.get(f"/reports/?year={YEAR}&department=999999").status_code == 404
    assert client.get(f"/reports/?year={YEAR}&department=&format=json").get_json()["department"]["code"] == "X01-A"


def test_staff_have_no_access_and_inspectors_cannot_submit(client, db, org):
    login(client, org.users["staff_a"])
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/snapshots").status_code == 403
    login(client, org.users["inspector"])
    html = client.get("/reports/").get_data(as_text=True)
    assert "永安市" in html and "/submit" not in html
    assert client.post(f"/reports/submissions/{org.city.id}/{YEAR}/submit").status_code == 403


@pytest.mark.parametrize("query, message", [
    ("year=abc", "年度应为四位数字年份"),
    ("year=", "请输入年度"),
    ("year=1990", "年度应在 2000 年及以后"),
    (f"year={YEAR + 1}", "年度不能晚于"),
    ("year=2020&department=xyz", "单位参数无效"),
])
def test_bad_report_parameters_get_a_chinese_message(client, org, query, message):
    login(client, org.users["bureau"])
    page = client.get(f"/reports/?{query}")
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    answer = client.get(f"/reports/?{query}&format=json")
    assert answer.status_code == 400 and message in answer.get_json()["error"]


def test_a_non_numeric_year_gets_one_message(client, org):
    login(client, org.users["bureau"])
    assert client.get("/reports/?year=abc&format=json").get_json()["error"] == "年度应为四位数字年份"


# --- early snapshots ---------------------------------------------------------------------------

def early_snapshot(db, year, department, user):
    """A report submitted before 报送与审核 existed (the early ReportSnapshot rows stay readable)."""
    db.session.add(ReportSnapshot(year=year, department_id=department.id, submitted_by_id=user.id,
                                  data=assemble(year, department, with_labels=True), note=""))
    db.session.commit()


def test_snapshot_list_and_view_are_scoped(client, db, org):
    early_snapshot(db, YEAR, org.town_a, org.users["dept_admin_a"])
    early_snapshot(db, YEAR - 1, org.city, org.users["bureau"])
    login(client, org.users["bureau"])
    snaps = {s.department_id: s.id for s in db.session.scalars(select(ReportSnapshot))}
    html = client.get("/reports/snapshots").get_data(as_text=True)
    assert html.count("查看</a>") == 2
    assert client.get(f"/reports/snapshots?year={YEAR - 1}").get_data(as_text=True).count("查看</a>") == 1
    login(client, org.users["dept_admin_b"])
    assert "暂无已报送的报告" in client.get("/reports/snapshots").get_data(as_text=True)
    assert client.get(f"/reports/snapshots/{snaps[org.town_a.id]}").status_code == 403
    assert client.get(f"/reports/snapshots/{snaps[org.city.id]}?format=json").status_code == 403
    assert client.get("/reports/snapshots/999999").status_code == 404
    login(client, org.users["inspector"])
    assert client.get(f"/reports/snapshots/{snaps[org.town_a.id]}").status_code == 200


class LabelledFragment:
    @hookimpl
    def report_fragments(self, year, department):
        return ReportFragment("labelled", "staff", "人员", order=1, figures={"trained": 7, "by_kind": {"lecture": 2}},
                              labels={"trained": "培训人数", "by_kind": "按类型", "lecture": "讲座"})


def test_figure_labels_are_shown_to_people_but_stay_out_of_the_json(app, db, client, org, tmp_path):
    get_pm().register(LabelledFragment(), name="labelled")
    login(client, org.users["bureau"])
    html = client.get(f"/reports/?year={YEAR}&department={org.city.id}").get_data(as_text=True)
    assert '<td class="label">培训人数</td><td class="num">7</td>' in html
    assert "<caption>按类型</caption>" in html and "<td>讲座</td><td>2</td>" in html   # its own table
    assert "讲座：2" not in html and "{" not in html.split("<article")[1]              # never a dumped dict
    data = client.get(f"/reports/?year={YEAR}&department={org.city.id}&format=json").get_json()
    assert set(data) == {"year", "department", "generated_at", "fragments"}
    assert fragments_of(data, "labelled")[0]["figures"] == {"trained": 7, "by_kind": {"lecture": 2}}
    out = tmp_path / "r.json"
    build_report_file(YEAR, org.city.code, "json", out)
    assert "figure_labels" not in json.loads(out.read_text(encoding="utf-8"))
    build_report_file(YEAR, org.city.code, "html", tmp_path / "r.html")
    assert "培训人数" in (tmp_path / "r.html").read_text(encoding="utf-8")
