"""One action happens once: the same request fired from several threads at once changes one thing.

Each test commits its data, fires the action from N threads (each with its own client or app
context, so its own database connection) and counts rows, events and audit records.
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.locking import ALREADY_DONE
from intranet.models import AuditEvent
from intranet.testing import logged_in_client, make_person, run_in_parallel

from intranet_certificates import applications, cleanup, lifecycle, states
from intranet_certificates.models import (CancellationNotice, Certificate, CertificateApplication, CertificateEvent,
                                          CleanupCampaign, CleanupCandidate)

N = 6


def count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(db, action):
    return count(db, AuditEvent, AuditEvent.action == action)


def events(db, cert, action):
    return count(db, CertificateEvent, CertificateEvent.certificate_id == cert.id, CertificateEvent.action == action)


def post_all(app, username, url, data):
    """POST ``url`` from N clients at once; the page each lands on (no request may fail)."""
    results = run_in_parallel(app, N, lambda i, client: client.post(url, data=data, follow_redirects=True),
                              prepare=lambda i: logged_in_client(app, username), in_app_context=False)
    for r in results:
        assert not isinstance(r, BaseException), repr(r)
        assert r.status_code == 200, r.status_code
    return [r.get_data(as_text=True) for r in results]


def assert_one_done(pages, done, *refusals):
    """One page says ``done``; each other one was refused (已处理, or a refusal seen after the first)."""
    assert sum(done in p for p in pages) == 1, [done in p for p in pages]
    for page in pages:
        assert done in page or any(text in page for text in (ALREADY_DONE,) + refusals)


def test_issue_from_application_at_once_issues_one_card(no_other_answers, app, db, certs):
    person = make_person(certs.org.town_a)
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="甲镇", actor=certs.org.users["dept_admin_a"])
    applications.approve(item, manual_check=True, manual_note="成绩单", actor=certs.bureau)
    db.session.commit()
    pages = post_all(app, certs.bureau.username, f"/certificates/applications/{item.id}/issue",
                     {"issued_on": date.today().isoformat(), "version": "全国统一样式", "authority": "永安市人民政府"})
    assert_one_done(pages, "已发证，证件编号", "只有已批准的申领可以发证")
    assert count(db, Certificate, Certificate.person_id == person.id) == 1
    assert audits(db, "certificates.issue") == 1 and audits(db, "certificates.application_issue") == 1
    assert db.session.get(CertificateApplication, item.id).status == "已发证"


def test_application_submitted_at_once_is_filed_once(no_other_answers, app, db, certs):
    person = make_person(certs.org.town_a)
    db.session.commit()
    pages = post_all(app, "admin_a", f"/certificates/applications/new?department_id={person.department_id}",
                     {"person_id": person.id, "category": "综合行政执法", "region": "甲镇", "note": ""})
    assert_one_done(pages, "的行政执法证申领，等待司法局审核", "已有一份正在办理的申领")
    assert count(db, CertificateApplication, CertificateApplication.person_id == person.id) == 1
    assert audits(db, "certificates.apply") == 1


def test_application_approved_at_once_is_approved_once(no_other_answers, app, db, certs):
    person = make_person(certs.org.town_a)
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="甲镇", actor=certs.org.users["dept_admin_a"])
    db.session.commit()
    pages = post_all(app, certs.bureau.username, f"/certificates/applications/{item.id}/approve",
                     {"manual_check": "y", "manual_note": "成绩单", "note": ""})
    assert_one_done(pages, "申领已批准，可以发证", "不能批准")
    assert audits(db, "certificates.application_approve") == 1


def test_declare_lost_at_once_issues_one_replacement(app, db, certs):
    cert = certs.card()
    pages = post_all(app, certs.bureau.username, f"/certificates/{cert.id}/action/declare_lost",
                     {"reason": "外出执法时遗失", "happened_on": date.today().isoformat()})
    assert_one_done(pages, "已遗失补办，新证件编号", "不能遗失补办")
    assert count(db, Certificate, Certificate.person_id == cert.person_id) == 2
    assert count(db, Certificate, Certificate.replaces_id == cert.id) == 1
    assert count(db, CancellationNotice) == 1
    assert events(db, cert, "declare_lost") == 1 and audits(db, "certificates.reissue") == 1


@pytest.mark.parametrize("action", ["suspend", "restore", "recall", "cancel", "cancel_by_notice", "renew"])
def test_lifecycle_action_at_once_writes_one_event(app, db, certs, action):
    """暂扣, 恢复, 收回, 注销, 公告注销, 换证: one event, one audit record, whoever clicks first."""
    cert = certs.card(status="暂扣" if action == "restore" else "有效", issued_on=date.today() - timedelta(days=30),
                      valid_until=date.today() + timedelta(days=300))
    data = {"reason": "并发测试", "happened_on": date.today().isoformat()}
    if action == "renew":
        data["valid_until"] = (date.today() + timedelta(days=2000)).isoformat()
    label = states.label(action)
    pages = post_all(app, certs.bureau.username, f"/certificates/{cert.id}/action/{action}", data)
    # 换证 leaves the card 有效: a click that reads it after the first renewal is refused by the date rule
    refusals = (f"不能{label}",) + (("新的有效期至必须晚于原有效期",) if action == "renew" else ())
    assert_one_done(pages, f"已{label}：证件", *refusals)
    assert events(db, cert, action) == 1 and audits(db, f"certificates.{action}") == 1
    assert count(db, CancellationNotice) == (1 if action == "cancel_by_notice" else 0)


def test_review_at_once_writes_one_event(app, db, certs):
    cert = certs.card(issued_on=date.today() - timedelta(days=400))
    pages = post_all(app, certs.bureau.username, f"/certificates/{cert.id}/action/review",
                     {"reason": "年审合格", "happened_on": date.today().isoformat()})
    assert_one_done(pages, "已年审")
    assert events(db, cert, "review") == 1 and audits(db, "certificates.review") == 1


def _campaign_with_candidate(db, certs):
    """An open campaign over 永安县 with one candidate: a card whose holder has retired."""
    holder = make_person(certs.org.town_a, status="退休")
    cert = certs.card(holder)
    campaign = cleanup.open_campaign("并发测试", certs.org.county, actor=certs.bureau)
    db.session.commit()
    return campaign, cert


def test_cleanup_decision_at_once_recorded_once(app, db, certs):
    campaign, cert = _campaign_with_candidate(db, certs)
    pages = post_all(app, certs.org.users["dept_admin_a"].username, f"/certificates/cleanup/{campaign.id}/decide",
                     {"number": cert.number, "decision": "收回", "reason": "已退休"})
    assert_one_done(pages, f"证件 {cert.number} 已处理为“收回”")
    assert audits(db, "certificates.cleanup_decide") == 1


def test_cleanup_confirm_at_once_recalls_once(app, db, certs):
    campaign, cert = _campaign_with_candidate(db, certs)
    cleanup.decide(campaign, cert.number, "收回", "已退休", actor=certs.bureau)
    db.session.commit()
    pages = post_all(app, certs.bureau.username, f"/certificates/cleanup/{campaign.id}/confirm", {"group": "", "sure": "1"})
    assert_one_done(pages, "已确认：", "没有待确认的处理结果")
    assert events(db, cert, "recall") == 1 and audits(db, "certificates.cleanup_confirm") == 1
    assert count(db, CleanupCandidate, CleanupCandidate.confirmed.is_(True)) == 1


def test_campaign_opened_at_once_is_opened_once(app, db, certs):
    county_id = certs.org.county.id
    pages = post_all(app, certs.bureau.username, "/certificates/cleanup/new",
                     {"name": "2026年清理", "department_id": county_id, "note": ""})
    assert_one_done(pages, "清理活动已开始", "仍在进行中，范围与本次重叠")
    assert count(db, CleanupCampaign) == 1 and audits(db, "certificates.cleanup_open") == 1


def test_campaign_closed_at_once_is_closed_once(app, db, certs):
    campaign, cert = _campaign_with_candidate(db, certs)
    cleanup.decide(campaign, cert.number, "保留", "仍在执法岗位", actor=certs.bureau)
    cleanup.confirm(campaign, list(db.session.scalars(select(CleanupCandidate))), actor=certs.bureau)
    db.session.commit()
    pages = post_all(app, certs.bureau.username, f"/certificates/cleanup/{campaign.id}/close", {"sure": "1"})
    assert_one_done(pages, "清理活动“并发测试”已结束", "已经结束")
    assert audits(db, "certificates.cleanup_close") == 1


def test_expiry_job_run_at_once_expires_each_card_once(app, db, certs):
    cards = [certs.card(issued_on=date(2019, 3, 1), valid_until=date(2022, 3, 1)) for _ in range(3)]

    def expire(i, _):
        done = lifecycle.expire_due()
        db.session.commit()
        return done

    results = run_in_parallel(app, N, expire)
    assert sorted(results) == [0] * (N - 1) + [len(cards)], results
    for cert in cards:
        assert events(db, cert, "expire") == 1
    assert audits(db, "certificates.expire") == 1


def test_withdraw_at_once_is_done_once(no_other_answers, app, db, certs):
    person = make_person(certs.org.town_a)
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="永安市", actor=certs.org.users["dept_admin_a"])
    db.session.commit()
    pages = post_all(app, "admin_a", f"/certificates/applications/{item.id}/withdraw", {})
    assert_one_done(pages, "申领已撤回", "不能撤回")
    assert audits(db, "certificates.application_withdraw") == 1
    assert db.session.get(CertificateApplication, item.id).status == "已撤回"
