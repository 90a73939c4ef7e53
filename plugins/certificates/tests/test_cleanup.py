"""清理 campaigns: the six groups, department decisions, bureau confirmation, closing, the CLI."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import login, make_person

from intranet_certificates import cleanup
from intranet_certificates.dates import add_months
from intranet_certificates.models import (CancellationNotice, Certificate, CleanupCampaign, CleanupCandidate)


@pytest.fixture
def cases(db, certs):
    """One card per group under 永安县 (甲镇/乙镇), plus cards that must not be proposed."""
    o = certs.org
    today = date.today()
    c = {}
    c["expired"] = certs.card(status="过期")
    c["past_date"] = certs.card(issued_on=date(2018, 1, 1), valid_until=today - timedelta(days=2))
    c["retired"] = certs.card(make_person(o.town_a, status="退休"))
    c["off_post"] = certs.card(make_person(o.town_b, enforcement_post=False), o.town_b)
    moved = make_person(o.town_a)
    c["transferred"] = certs.card(moved)
    moved.department_id = o.town_b.id
    c["inactive"] = certs.card()
    c["inactive"].last_enforcement_on = add_months(today, -14)
    twice = make_person(o.town_b)
    c["dup1"] = certs.card(twice, o.town_b, category="市场监管")
    c["dup2"] = certs.card(twice, o.town_b, category="城市管理")
    c["contract"] = certs.card(make_person(o.town_a, staffing="合同工"))
    c["review_late"] = certs.card()
    c["review_late"].next_review_due = today - timedelta(days=10)
    # Not candidates:
    c["fine"] = certs.card()
    c["fine"].last_enforcement_on = add_months(today, -3)
    c["cancelled"] = certs.card(make_person(o.town_a, status="退休"), status="注销")
    c["city"] = certs.card(make_person(o.market, status="退休"), o.market)
    db.session.commit()
    return c


def test_candidates_by_group(db, certs, cases):
    rows = {r["certificate_id"]: r for r in cleanup.candidate_rows(certs.org.county)}
    group = {name: rows[card.id]["group"] for name, card in cases.items() if card.id in rows}
    assert group == {
        "expired": "expired_lost", "past_date": "expired_lost", "retired": "left_post", "off_post": "left_post",
        "transferred": "left_post", "inactive": "inactive", "dup1": "duplicate", "dup2": "duplicate",
        "contract": "non_formal", "review_late": "other",
    }
    # A card matching several groups is filed under the first and remembers the rest.
    assert rows[cases["past_date"].id]["groups"].startswith("expired_lost")


def test_campaign_flow(client, db, certs, cases):
    o = certs.org
    login(client, certs.bureau)
    r = client.post("/certificates/cleanup/new", data={"name": "2025年行政执法证清理", "department_id": o.county.id},
                    follow_redirects=True)
    assert "系统提出候选证件10个" in r.get_data(as_text=True)
    campaign = db.session.scalars(select(CleanupCampaign)).one()
    # An overlapping campaign is refused while this one is open.
    r = client.post("/certificates/cleanup/new", data={"name": "重叠", "department_id": o.town_a.id},
                    follow_redirects=True)
    assert "仍在进行中" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CleanupCampaign)) == 1

    # 甲镇's admin sees and decides only 甲镇's candidates.
    login(client, o.users["dept_admin_a"])
    page = client.get(f"/certificates/cleanup/{campaign.id}").get_data(as_text=True)
    assert cases["retired"].number in page and cases["off_post"].number not in page
    # Undecided candidates are shown undecided: no 保留 preselected; dates do not wrap.
    assert 'selected value="保留"' not in page and re.search(r'<option selected value="">未处理', page)
    assert re.search(r'<td class="date">\d{4}-\d{2}-\d{2}</td>', page)
    url = f"/certificates/cleanup/{campaign.id}/decide"
    r = client.post(url, data={"number": cases["retired"].number, "decision": "", "reason": "已退休"},
                    follow_redirects=True)
    assert "请选择处理结果" in r.get_data(as_text=True)
    r = client.post(url, data={"number": cases["retired"].number, "decision": "收回", "reason": "已退休"},
                    follow_redirects=True)
    assert "已处理为“收回”" in r.get_data(as_text=True)
    assert client.post(url, data={"number": cases["off_post"].number, "decision": "保留",
                                  "reason": "x"}).status_code == 403
    # A card that is not in the campaign: refused, nothing changes.
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    r = client.post(url, data={"number": cases["fine"].number, "decision": "收回", "reason": "x"},
                    follow_redirects=True)
    assert "不在清理活动“2025年行政执法证清理”的候选名单中" in r.get_data(as_text=True)
    r = client.post(url, data={"number": "NO-SUCH", "decision": "收回", "reason": "x"}, follow_redirects=True)
    assert "不在清理活动" in r.get_data(as_text=True)
    r = client.post(url, data={"number": cases["contract"].number, "decision": "收回", "reason": ""},
                    follow_redirects=True)
    assert "请填写处理原因" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits
    assert client.post(f"/certificates/cleanup/{campaign.id}/confirm", data={}).status_code == 403
    assert client.post(f"/certificates/cleanup/{campaign.id}/close").status_code == 403

    # 乙镇's admin cannot open 甲镇's view of someone else's campaign decisions, and other scopes are refused.
    login(client, o.users["dept_admin_b"])
    page = client.get(f"/certificates/cleanup/{campaign.id}").get_data(as_text=True)
    assert cases["retired"].number not in page and cases["off_post"].number in page

    # The bureau decides the rest; closing is refused while anything is open.
    login(client, certs.bureau)
    r = client.post(f"/certificates/cleanup/{campaign.id}/close", follow_redirects=True)
    assert "未作出处理结果，不能结束清理" in r.get_data(as_text=True)
    decisions = {"expired": "收回", "past_date": "公告注销", "off_post": "公告注销", "transferred": "收回",
                 "inactive": "保留", "dup1": "保留", "dup2": "收回", "contract": "收回", "review_late": "保留"}
    for name, decision in decisions.items():
        client.post(url, data={"number": cases[name].number, "decision": decision, "reason": "核查结果"})
    r = client.post(f"/certificates/cleanup/{campaign.id}/close", follow_redirects=True)
    assert "未经司法局确认" in r.get_data(as_text=True)
    # 确认全部 first shows what it will do, with the counts, and changes nothing.
    r = client.post(f"/certificates/cleanup/{campaign.id}/confirm", data={"group": ""}, follow_redirects=True)
    summary = re.search(r'id="confirm-summary">(.*?)</section>', r.get_data(as_text=True), re.S).group(1)
    assert "<strong>10</strong>" in summary
    assert re.search(r"<dt>收回</dt><dd>5</dd>", summary) and re.search(r"<dt>公告注销</dt><dd>2</dd>", summary)
    assert re.search(r"<dt>保留</dt><dd>3</dd>", summary)
    db.session.expire_all()
    assert db.session.get(Certificate, cases["transferred"].id).status == "有效"
    r = client.post(f"/certificates/cleanup/{campaign.id}/confirm", data={"group": "", "sure": "1"},
                    follow_redirects=True)
    assert "已确认" in r.get_data(as_text=True)
    db.session.expire_all()
    status = {name: db.session.get(Certificate, cases[name].id).status for name in list(decisions) + ["retired"]}
    assert status == {"expired": "收回", "past_date": "注销", "off_post": "注销", "transferred": "收回",
                      "inactive": "有效", "dup1": "有效", "dup2": "收回", "contract": "收回", "review_late": "有效",
                      "retired": "收回"}
    notice = db.session.scalars(select(CancellationNotice)).one()
    assert sorted(notice.numbers) == sorted([cases["past_date"].number, cases["off_post"].number])
    # Confirmed decisions cannot be changed.
    r = client.post(url, data={"number": cases["dup1"].number, "decision": "收回", "reason": "改"}, follow_redirects=True)
    assert "已由司法局确认" in r.get_data(as_text=True)
    # 结束清理 likewise shows the figures first.
    r = client.post(f"/certificates/cleanup/{campaign.id}/close", follow_redirects=True)
    summary = re.search(r'id="confirm-summary">(.*?)</section>', r.get_data(as_text=True), re.S).group(1)
    assert "<strong>10</strong>" in summary and re.search(r"<dt>收回</dt><dd>5</dd>", summary)
    db.session.expire_all()
    assert db.session.get(CleanupCampaign, campaign.id).status == "进行中"
    r = client.post(f"/certificates/cleanup/{campaign.id}/close", data={"sure": "1"}, follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    db.session.expire_all()
    campaign = db.session.get(CleanupCampaign, campaign.id)
    assert campaign.status == "已结束" and campaign.closed_on == date.today()
    assert campaign.figures["candidates"] == 10
    assert campaign.figures["by_decision"] == {"保留": 3, "收回": 5, "公告注销": 2, "未处理": 0}
    assert campaign.figures["by_group"]["left_post"] == 3 and campaign.figures["by_group"]["duplicate"] == 2
    # Closed: no more decisions.
    r = client.post(url, data={"number": cases["dup1"].number, "decision": "收回", "reason": "x"}, follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("certificates.cleanup%"))))
    assert actions == {"certificates.cleanup_open", "certificates.cleanup_decide", "certificates.cleanup_confirm",
                       "certificates.cleanup_close"}


def test_confirm_refuses_a_batch_with_a_card_changed_meanwhile(db, certs, cases):
    campaign = cleanup.open_campaign("清理", certs.org.county, actor=certs.bureau)
    cleanup.decide(campaign, cases["retired"].number, "收回", "退休", actor=certs.bureau)
    cleanup.decide(campaign, cases["contract"].number, "公告注销", "无法联系", actor=certs.bureau)
    db.session.commit()
    cases["contract"].status = "收回"  # recalled by hand in the meantime
    db.session.commit()
    candidates = db.session.scalars(select(CleanupCandidate).where(CleanupCandidate.decision.is_not(None))).all()
    with pytest.raises(cleanup.CleanupError, match="不能公告注销"):
        cleanup.confirm(campaign, candidates, actor=certs.bureau)
    db.session.rollback()
    assert db.session.get(Certificate, cases["retired"].id).status == "有效"
    assert not any(c.confirmed for c in db.session.scalars(select(CleanupCandidate)))


def test_cli_open_prints_candidates_by_group(app, db, certs, cases):
    from intranet_certificates.cli import certificates_cli
    runner = app.test_cli_runner()
    result = runner.invoke(certificates_cli, ["cleanup", "open", "--name", "命令行清理", "--department", "X01"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "候选证件共10个" in out
    for label in cleanup.GROUPS.values():
        assert f"【{label}】" in out
    assert cases["retired"].number in out and cases["fine"].number not in out and cases["city"].number not in out
    again = runner.invoke(certificates_cli, ["cleanup", "open", "--name", "再次", "--department", "X01-A"])
    assert again.exit_code == 1 and "仍在进行中" in again.output
    bad = runner.invoke(certificates_cli, ["cleanup", "open", "--name", "x", "--department", "NOPE"])
    assert bad.exit_code == 1 and "不存在" in bad.output


def test_other_scope_cannot_see_a_campaign(client, db, certs, cases):
    campaign = cleanup.open_campaign("乙镇清理", certs.org.town_b, actor=certs.bureau)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    assert client.get(f"/certificates/cleanup/{campaign.id}").status_code == 403
    assert client.post(f"/certificates/cleanup/{campaign.id}/decide",
                       data={"number": cases["off_post"].number, "decision": "保留", "reason": "x"}).status_code == 403
    assert "乙镇清理" not in client.get("/certificates/cleanup/").get_data(as_text=True)


def test_group_decision_and_candidate_list(client, db, certs, cases):
    import io
    from openpyxl import load_workbook
    o = certs.org
    campaign = cleanup.open_campaign("批量", o.county, actor=certs.bureau)
    db.session.commit()
    login(client, o.users["dept_admin_a"])
    r = client.get(f"/certificates/cleanup/{campaign.id}/candidates.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    assert [c.value for c in wb.worksheets[0][1]] == ["证件编号", "处理结果", "原因"]
    listed = {row[0] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert cases["retired"].number in listed and cases["off_post"].number not in listed   # 乙镇's is not his
    r = client.post(f"/certificates/cleanup/{campaign.id}/decide-group",
                    data={"group": "expired_lost", "decision": "收回", "reason": "到期未换证"}, follow_redirects=True)
    assert "已将2个未处理的候选证件处理为“收回”" in r.get_data(as_text=True)
    r = client.post(f"/certificates/cleanup/{campaign.id}/decide-group",
                    data={"group": "left_post", "decision": "收回", "reason": ""}, follow_redirects=True)
    assert "请填写处理原因" in r.get_data(as_text=True)
    decided = dict(db.session.execute(select(CleanupCandidate.certificate_id, CleanupCandidate.decision)).all())
    assert decided[cases["expired"].id] == "收回" and decided[cases["past_date"].id] == "收回"
    # 乙镇's left_post candidate is out of 甲镇's admin's reach.
    client.post(f"/certificates/cleanup/{campaign.id}/decide-group",
                data={"group": "left_post", "decision": "保留", "reason": "核查"})
    decided = dict(db.session.execute(select(CleanupCandidate.certificate_id, CleanupCandidate.decision)).all())
    assert decided[cases["retired"].id] == "保留" and decided[cases["off_post"].id] is None
    login(client, o.users["inspector"])
    assert client.post(f"/certificates/cleanup/{campaign.id}/decide-group",
                       data={"group": "other", "decision": "保留", "reason": "x"}).status_code == 403


def test_dashboard_lists_open_campaigns_in_scope(client, db, certs, cases):
    o = certs.org
    login(client, o.users["dept_admin_a"])
    assert "清理“" not in client.get("/dashboard").get_data(as_text=True)   # none open: not listed
    campaign = cleanup.open_campaign("县清理", o.county, actor=certs.bureau)
    db.session.commit()
    undecided = db.session.scalar(select(func.count(CleanupCandidate.id)).where(
        CleanupCandidate.campaign_id == campaign.id, CleanupCandidate.department_id == o.town_a.id))
    assert undecided
    page = client.get("/dashboard").get_data(as_text=True)
    assert "清理“县清理”待处理" in page and f"<dd>{undecided}/{undecided}</dd>" in page
    login(client, o.users["dept_admin_b"])
    assert "清理“县清理”待处理" in client.get("/dashboard").get_data(as_text=True)
