"""The annual report's submission, approval and publishing: texts, frozen versions, the level
above, bad input, scope, parallel submits, the public page."""
import hashlib
import json
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

TEST_PLUGINS = str(Path(__file__).parent / "plugins")
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import plugin_config  # noqa: E402

from intranet.hookspecs import ReportFragment, hookimpl  # noqa: E402
from intranet.models import AuditEvent, ReportDraft, ReportReview, ReportVersion, ReportVersionFile  # noqa: E402
from intranet.models.report_submission import SubmittedReportIsFrozen  # noqa: E402
from intranet.plugins import get_pm  # noqa: E402
from intranet.reports import submission as rules  # noqa: E402
from intranet.reports.assemble import RENDERERS, contract, render_json  # noqa: E402
from intranet.schema import create_all  # noqa: E402
from intranet.testing import login, logged_in_client, make_department, make_user, run_in_parallel  # noqa: E402

YEAR = date.today().year - 1
TEXTS = {"shortcomings": "执法人员培训覆盖面不足。", "leader_duties": "主要负责人专题研究法治建设4次。",
         "next_year": "继续推进行政执法三项制度。", "other": "无其他需要报告的情况。"}


@pytest.fixture
def app_config():
    return plugin_config("sample_notes")


@pytest.fixture(autouse=True)
def sample_tables(app):
    create_all(app)


def add_note(db, department, title="笔记"):
    from sample_notes.models import Note
    db.session.add(Note(department_id=department.id, title=title, noted_on=date(YEAR, 5, 1), body="", active=True))
    db.session.commit()


def base(org):
    return f"/reports/submissions/{org.town_a.id}/{YEAR}"


def count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def write_and_submit(client, org, texts=TEXTS):
    assert client.post(base(org) + "/texts", data=texts).status_code == 302
    return client.post(base(org) + "/submit", data={"note": ""}, follow_redirects=True)


def current_version(db, dept, year=YEAR):
    draft = db.session.scalar(select(ReportDraft).where(ReportDraft.department_id == dept.id, ReportDraft.year == year))
    db.session.refresh(draft)
    return draft, db.session.get(ReportVersion, draft.current_version_id) if draft.current_version_id else None


# --- writing and submitting -------------------------------------------------------------

def test_dept_admin_writes_texts_and_submits_a_frozen_version(client, db, org):
    assert "年度报告公开" not in client.get("/login").get_data(as_text=True)   # nothing published yet
    add_note(db, org.town_a)
    login(client, org.users["dept_admin_a"])
    html = write_and_submit(client, org).get_data(as_text=True)
    assert "已报送" in html and "第1版" in html
    draft, version = current_version(db, org.town_a)
    assert draft.status == "submitted" and version.number == 1
    assert version.data["texts"] == TEXTS
    assert version.data["fragments"][0]["figures"]["notes"] == 1
    files = {f.format: f for f in db.session.scalars(select(ReportVersionFile))}
    expected = {fmt for fmt, r in RENDERERS.items() if not rules.is_placeholder(r)}
    assert set(files) == expected and {"json", "html"} <= expected
    assert all(hashlib.sha256(f.content).hexdigest() == f.sha256 for f in files.values())
    assert "执法人员培训覆盖面不足" in files["html"].content.decode()
    # the JSON file keeps the contract: no texts, no labels
    assert set(json.loads(files["json"].content)) == {"year", "department", "generated_at", "fragments"}
    assert version.content_hash == rules.content_hash(version.data, {f: x.content for f, x in files.items()})
    assert version.submitted_by_id == org.users["dept_admin_a"].id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submit",
                                                       AuditEvent.object_type == "report_version"))
    assert event.department_id == org.town_a.id and "第1版" in event.summary


def test_json_contract_leaves_texts_out(db, org):
    report = {"year": YEAR, "department": {"code": "X", "name": "Y"}, "generated_at": "t", "fragments": [],
              "figure_labels": {}, "texts": TEXTS}
    assert set(contract(report)) == {"year", "department", "generated_at", "fragments"}
    assert "texts" not in json.loads(render_json(report))


def test_later_records_do_not_change_the_submission_and_the_page_shows_the_changes(client, db, org):
    add_note(db, org.town_a)
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    frozen = (json.dumps(version.data, sort_keys=True), version.content_hash)
    add_note(db, org.town_a, "又一条")
    add_note(db, org.town_a, "第三条")
    db.session.expire_all()
    again = db.session.get(ReportVersion, version.id)
    assert (json.dumps(again.data, sort_keys=True), again.content_hash) == frozen
    html = client.get(base(org)).get_data(as_text=True)
    assert 'class="figure-changes"' in html
    row = html.split('class="figure-changes"')[1]
    assert "<td>1</td><td>3</td>" in row     # notes: 1 when submitted, 3 now


class FiguresOnlyRecorder:
    def __init__(self):
        self.asked = []

    @hookimpl
    def report_fragments(self, year, department, figures_only):
        self.asked.append(figures_only)
        return ReportFragment("recorder", "n", "记录", figures={"n": 1})


def test_the_changes_since_submission_ask_the_plugins_for_figures_only(client, db, org):
    add_note(db, org.town_a)
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    recorder = FiguresOnlyRecorder()
    get_pm().register(recorder, name="recorder")
    html = client.get(base(org)).get_data(as_text=True)
    assert recorder.asked == [True]
    assert "记录" in html.split('class="figure-changes"')[1]     # a figure added since: compared all the same


def test_no_changes_since_submission_says_so(client, db, org):
    add_note(db, org.town_a)
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    assert "报送以来各项数据没有变化" in client.get(base(org)).get_data(as_text=True)


def test_frozen_rows_refuse_changes_in_the_orm_and_in_the_database(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    version.data = {"forged": True}
    with pytest.raises(SubmittedReportIsFrozen):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(SubmittedReportIsFrozen):
        db.session.execute(update(ReportVersion).values(content_hash="x"))
    db.session.rollback()
    for sql in ("UPDATE report_version SET content_hash = 'x'", "DELETE FROM report_version_file",
                "UPDATE report_version_file SET content = NULL"):
        with pytest.raises(Exception, match="frozen"):
            with db.engine.begin() as conn:
                conn.execute(text(sql))
    db.session.rollback()
    assert db.session.get(ReportVersion, version.id).content_hash != "x"


# --- bad input ------------------------------------------------------------------------------

def test_submitting_an_already_submitted_year_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    html = client.post(base(org) + "/submit", data={}, follow_redirects=True).get_data(as_text=True)
    assert f"{YEAR}年度报告已报送（第1版" in html and "不能重复报送" in html
    assert count(db, ReportVersion) == 1


def test_editing_a_submitted_report_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    html = client.post(base(org) + "/texts", data={**TEXTS, "other": "改了"}, follow_redirects=True).get_data(as_text=True)
    assert "不能修改" in html
    draft, version = current_version(db, org.town_a)
    assert draft.texts["other"] == TEXTS["other"] and version.data["texts"]["other"] == TEXTS["other"]


def test_return_without_a_comment_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    login(client, org.users["bureau"])
    html = client.post(f"/reports/submissions/versions/{version.id}/return", data={"comment": "  "},
                       follow_redirects=True).get_data(as_text=True)
    assert "退回报告必须填写退回意见" in html
    draft, _ = current_version(db, org.town_a)
    assert draft.status == "submitted" and count(db, ReportReview) == 0


def test_publishing_without_the_secrecy_sign_off_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    login(client, org.users["bureau"])
    client.post(f"/reports/submissions/versions/{version.id}/approve", data={"comment": ""})
    html = client.post(f"/reports/submissions/versions/{version.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "发布前须完成保密审查" in html
    draft, _ = current_version(db, org.town_a)
    assert draft.status == "approved" and draft.public_token is None


def test_publishing_a_report_not_yet_approved_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    login(client, org.users["bureau"])
    html = client.post(f"/reports/submissions/versions/{version.id}/secrecy", follow_redirects=True).get_data(as_text=True)
    assert "不能进行此操作" in html
    assert count(db, ReportReview) == 0


@pytest.mark.parametrize("year", [1999, date.today().year + 1, 999999])
def test_a_year_out_of_range_is_answered_clearly(client, db, org, year):
    login(client, org.users["dept_admin_a"])
    response = client.get(f"/reports/submissions/{org.town_a.id}/{year}")
    assert response.status_code == 400 and "超出范围" in response.get_data(as_text=True)
    response = client.post(f"/reports/submissions/{org.town_a.id}/{year}/submit")
    assert response.status_code == 400 and "超出范围" in response.get_data(as_text=True)
    assert count(db, ReportDraft) == 0
    assert client.get(f"/reports/submissions/?year={year}").status_code in (400, 404)


def test_an_unknown_department_is_answered_clearly(client, db, org):
    login(client, org.users["bureau"])
    response = client.get(f"/reports/submissions/987654/{YEAR}")
    assert response.status_code == 404 and "单位（编号 987654）不存在" in response.get_data(as_text=True)
    assert client.post(f"/reports/submissions/987654/{YEAR}/submit").status_code == 404
    assert count(db, ReportDraft) == 0


def test_too_long_a_text_is_refused(client, db, org):
    login(client, org.users["dept_admin_a"])
    html = client.post(base(org) + "/texts", data={**TEXTS, "other": "字" * (rules.MAX_TEXT + 1)},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能超过20000个字" in html and count(db, ReportDraft) == 0


# --- review, versions, publishing ---------------------------------------------------------------

def test_return_then_resubmit_makes_a_new_version_and_keeps_the_first(client, db, org):
    add_note(db, org.town_a)
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, first = current_version(db, org.town_a)
    first_state = (json.dumps(first.data, sort_keys=True), first.content_hash,
                   {f.format: f.sha256 for f in db.session.scalars(select(ReportVersionFile))})
    login(client, org.users["bureau"])
    client.post(f"/reports/submissions/versions/{first.id}/return", data={"comment": "第三部分过于简略"})
    draft, _ = current_version(db, org.town_a)
    assert draft.status == "returned"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "return"))
    assert event.reason == "第三部分过于简略"
    login(client, org.users["dept_admin_a"])
    assert "第三部分过于简略" in client.get(base(org)).get_data(as_text=True)
    add_note(db, org.town_a, "补充")
    write_and_submit(client, org, {**TEXTS, "leader_duties": "主要负责人专题研究法治建设6次，带头讲法治课。"})
    draft, second = current_version(db, org.town_a)
    assert second.number == 2 and draft.status == "submitted"
    assert second.data["texts"]["leader_duties"].startswith("主要负责人专题研究法治建设6次")
    db.session.expire_all()
    kept = db.session.get(ReportVersion, first.id)
    files = {f.format: f.sha256 for f in db.session.scalars(
        select(ReportVersionFile).where(ReportVersionFile.version_id == first.id))}
    assert (json.dumps(kept.data, sort_keys=True), kept.content_hash, files) == first_state
    assert kept.content_hash != second.content_hash
    # the old version can no longer be decided
    login(client, org.users["bureau"])
    html = client.post(f"/reports/submissions/versions/{first.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "已不是当前报送的版本" in html


def test_full_flow_to_the_public_page(client, db, org):
    add_note(db, org.town_a)
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org, {**TEXTS, "other": "张三（130821198506120011）调离，执法证已收回。"})
    _draft, version = current_version(db, org.town_a)
    login(client, org.users["bureau"])
    listing = client.get(f"/reports/submissions/?year={YEAR}").get_data(as_text=True)
    assert org.town_a.name in listing and "已报送，待审核" in listing
    client.post(f"/reports/submissions/versions/{version.id}/approve", data={"comment": "同意"})
    client.post(f"/reports/submissions/versions/{version.id}/secrecy", data={"comment": "不含涉密信息"})
    # signing twice is refused
    html = client.post(f"/reports/submissions/versions/{version.id}/secrecy", follow_redirects=True).get_data(as_text=True)
    assert "无需重复签署" in html
    client.post(f"/reports/submissions/versions/{version.id}/publish")
    draft, _ = current_version(db, org.town_a)
    assert draft.status == "published" and draft.public_token
    signed = db.session.scalar(select(ReportReview).where(ReportReview.action == "secrecy"))
    assert signed.actor_id == org.users["bureau"].id and signed.at is not None
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "report_version")))
    assert {"submit", "approve", "secrecy_review", "publish"} <= actions
    client.post("/logout")
    public = client.get(f"/public/reports/{draft.public_token}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert TEXTS["leader_duties"] in html and f"{YEAR}年度{org.town_a.name}" in html
    assert "130821198506120011" not in html and "（已隐去）" in html
    assert "/reports/" not in html.replace("/public/reports", "") and "/people/" not in html
    assert 'href="/' not in html.replace('href="/static/', "")
    assert draft.public_token in client.get("/public/reports/").get_data(as_text=True)
    assert 'href="/public/reports/">法治政府建设年度报告公开</a>' in client.get("/login").get_data(as_text=True)
    assert client.get("/public/reports/nosuchtoken").status_code == 404


def test_audit_page_shows_chinese_labels(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    login(client, org.users["bureau"])
    client.post(f"/reports/submissions/versions/{version.id}/return", data={"comment": "补充数据"})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "年度报告（报送版本）" in html and "退回" in html


# --- who may do what ----------------------------------------------------------------------------

def test_another_departments_admin_cannot_read_write_or_submit(client, db, org):
    login(client, org.users["dept_admin_b"])
    assert client.get(base(org)).status_code == 403
    assert client.post(base(org) + "/texts", data=TEXTS).status_code == 403
    assert client.post(base(org) + "/submit").status_code == 403
    assert count(db, ReportDraft) == 0


def test_staff_and_inspector_cannot_submit(client, db, org):
    for user in (org.users["staff_a"], org.users["inspector"]):
        login(client, user)
        assert client.post(base(org) + "/submit").status_code == 403
    assert count(db, ReportDraft) == 0


def test_the_bureau_cannot_submit_a_departments_report_and_a_dept_admin_cannot_approve(client, db, org):
    login(client, org.users["bureau"])
    assert client.post(base(org) + "/submit").status_code == 403
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    for step in ("approve", "return", "secrecy", "publish"):
        assert client.post(f"/reports/submissions/versions/{version.id}/{step}", data={"comment": "x"}).status_code == 403
    assert count(db, ReportReview) == 0


def test_the_level_above(db, org):
    by_id = None
    assert rules.reviewing_government(org.town_a, by_id).id == org.county.id
    assert rules.reviewing_government(org.market).id == org.city.id
    assert rules.reviewing_government(org.county).id == org.city.id
    assert rules.reviewing_government(org.city) is None
    county_sfj = make_user("bureau", org.county)
    city_sfj = make_user("bureau", org.city)
    assert rules.can_review(county_sfj, org.town_a) and not rules.can_review(county_sfj, org.county)
    assert rules.can_review(city_sfj, org.county) and not rules.can_review(city_sfj, org.city)
    assert rules.can_review(org.users["bureau"], org.city)        # the whole tree: the root's answer
    assert not rules.can_review(org.users["dept_admin_a"], org.town_a)
    assert rules.can_author(org.users["dept_admin_a"], org.town_a)
    assert not rules.can_author(org.users["dept_admin_a"], org.county)
    assert rules.can_author(county_sfj, org.county) and not rules.can_author(county_sfj, org.town_a)
    assert rules.deadline(YEAR, org.town_a) == date(YEAR + 1, 3, 1)
    assert rules.deadline(YEAR, org.county) == date(YEAR + 1, 4, 1)


def test_a_county_bureau_user_reviews_its_towns_but_not_a_sibling_county(client, db, org):
    other = make_department("X02", "其他县", "县(区)", org.city)
    other_town = make_department("X02-A", "丙镇", "乡镇(街道)", other)
    county_sfj = make_user("bureau", org.county, username="county_sfj")
    make_user("dept_admin", other_town, username="admin_c")
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    login(client, county_sfj)
    listing = client.get(f"/reports/submissions/?year={YEAR}").get_data(as_text=True)
    assert org.town_a.name in listing and other_town.name not in listing
    assert client.get(f"/reports/submissions/{other_town.id}/{YEAR}").status_code == 403


def test_approval_runs_up_the_tree(client, db, org):
    county_sfj = make_user("bureau", org.county, username="county_sfj")
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, town_version = current_version(db, org.town_a)
    county_url = f"/reports/submissions/{org.county.id}/{YEAR}"
    login(client, county_sfj)
    html = client.post(county_url + "/submit", follow_redirects=True).get_data(as_text=True)
    assert "下级单位的报告尚待本级审核：甲镇" in html
    assert count(db, ReportVersion) == 1
    client.post(f"/reports/submissions/versions/{town_version.id}/approve")
    client.post(county_url + "/submit")
    _draft, county_version = current_version(db, org.county)
    assert county_version is not None and county_version.data["department"]["code"] == "X01"
    # the county cannot approve its own report; the city-level 司法局 can
    assert client.post(f"/reports/submissions/versions/{county_version.id}/approve").status_code == 403
    login(client, org.users["bureau"])
    client.post(f"/reports/submissions/versions/{county_version.id}/approve")
    draft, _ = current_version(db, org.county)
    assert draft.status == "approved"


def test_dashboard_shows_submitted_and_missing_counts(client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    login(client, org.users["bureau"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert f"{YEAR}年度法治政府建设工作报告报送" in html
    units = rules.review_list(org.users["bureau"], YEAR)
    assert len(units) == 6
    card = html.split(f"{YEAR}年度法治政府建设工作报告报送")[1][:600]
    assert "已报送" in card and ">1<" in card and "未报送" in card and ">5<" in card
    login(client, org.users["dept_admin_a"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "年度法治政府建设工作报告报送" not in html
    assert f"本单位{YEAR}年度法治政府建设工作报告" in html and "已报送，待审核" in html
    login(client, org.users["staff_a"])
    assert "法治政府建设工作报告" not in client.get("/dashboard").get_data(as_text=True)


# --- one action happens once --------------------------------------------------------------------

def test_parallel_double_submit_makes_one_version(app, db, org):
    add_note(db, org.town_a)
    url = base(org) + "/submit"
    results = run_in_parallel(
        app, 4, lambda i, client: client.post(url, data={}).status_code,
        prepare=lambda i: logged_in_client(app, "admin_a"), in_app_context=False)
    assert all(r == 302 for r in results), results
    db.session.expire_all()
    assert count(db, ReportVersion) == 1 and count(db, ReportDraft) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submit")) == 1


def test_parallel_approve_and_return_decide_once(app, client, db, org):
    login(client, org.users["dept_admin_a"])
    write_and_submit(client, org)
    _draft, version = current_version(db, org.town_a)
    steps = ["approve", "return"] * 2
    version_id = version.id
    results = run_in_parallel(
        app, 4, lambda i, c: c.post(f"/reports/submissions/versions/{version_id}/{steps[i]}",
                                    data={"comment": "意见"}).status_code,
        prepare=lambda i: logged_in_client(app, "sfj"), in_app_context=False)
    assert all(r == 302 for r in results), results
    db.session.expire_all()
    assert count(db, ReportReview) == 1


def test_review_list_dates_and_lateness(db, org, app):
    draft = ReportDraft(year=YEAR, department_id=org.town_a.id, texts={}, status="submitted")
    db.session.add(draft)
    db.session.flush()
    late = ReportVersion(draft_id=draft.id, year=YEAR, department_id=org.town_a.id, number=1, data={},
                         content_hash="0" * 64, submitted_at=datetime(YEAR + 1, 3, 2, 9), submitted_by_name="x")
    db.session.add(late)
    db.session.flush()
    draft.current_version_id = late.id
    db.session.commit()
    units = {u.department.id: u for u in rules.review_list(org.users["bureau"], YEAR)}
    assert units[org.town_a.id].on_time is False and units[org.town_b.id].on_time is None


def test_scope_walk_catches_a_submission_view_without_its_scope_check(app, db, org, monkeypatch):
    from intranet.access_walk import scope_problems, sibling_samples
    samples = sibling_samples(org.town_b)
    monkeypatch.setattr("intranet.reports.submissions.require_scope", lambda *a, **k: None)
    problems = scope_problems(app, db, org.users["dept_admin_a"], samples, org.town_b)
    assert any("(submissions.unit)" in p for p in problems)


def test_documents_carry_the_saved_texts_and_json_does_not(client, db, org):
    from intranet.reports.assemble import assemble, render
    login(client, org.users["dept_admin_a"])
    client.post(base(org) + "/texts", data=TEXTS)
    report = assemble(YEAR, org.town_a, with_labels=True)
    assert report["texts"] == TEXTS
    assert TEXTS["next_year"] in render(report, "html").decode()
    assert "texts" not in json.loads(render(report, "json")) and "texts" not in assemble(YEAR, org.town_a)
    assert assemble(YEAR, org.town_b, with_labels=True)["texts"] == dict.fromkeys(TEXTS, "")
