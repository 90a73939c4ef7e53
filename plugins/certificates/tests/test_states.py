"""Every allowed transition, and every refused one, against the database."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.models import AuditEvent

from intranet_certificates import lifecycle, states
from intranet_certificates.models import CancellationNotice, Certificate, CertificateEvent
from intranet_certificates.states import STATUSES, TRANSITIONS, TransitionError


def run(action, cert, actor):
    kwargs = {"reason": "测试原因", "actor": actor}
    if action == "renew":
        kwargs["valid_until"] = cert.valid_until + timedelta(days=365 * 5)
    if action == "expire":
        return lifecycle.transition(cert, "expire", reason="超过有效期", actor=actor)
    return lifecycle.ACTIONS[action](cert, **kwargs)


def counts(db):
    return (db.session.scalar(select(func.count()).select_from(CertificateEvent)),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(Certificate)))


def test_table_is_complete():
    for action, (label, sources, target) in TRANSITIONS.items():
        assert label and sources
        assert set(sources) <= set(STATUSES)
        assert target in STATUSES
    assert states.actions_from("注销") == []
    assert "restore" not in states.actions_from("注销")
    assert set(states.actions_from("暂扣")) == {"restore", "recall", "cancel", "cancel_by_notice"}


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_transition(db, certs, action):
    """Allowed from each source state: the target state, one event, one audit record.
    Refused from every other state: a Chinese message and nothing changed."""
    _label, sources, target = TRANSITIONS[action]
    for status in STATUSES:
        cert = certs.card(status=status, issued_on=date.today() - timedelta(days=400))  # a 年审 is due
        cert_id, number = cert.id, cert.number
        before = counts(db)
        if status in sources:
            result = run(action, cert, certs.bureau)
            db.session.commit()
            cert = db.session.get(Certificate, cert_id)
            event = db.session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == cert_id)
                                       .order_by(CertificateEvent.id.desc())).first()
            assert event.action == action and event.from_status == status and event.reason
            assert event.actor_name and event.happened_on == date.today()
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.object_type == "certificate", AuditEvent.object_id == str(cert_id),
                AuditEvent.action == f"certificates.{action}")) == 1
            assert cert.status == target, (action, status)
            if action == "declare_lost":
                assert isinstance(result, Certificate) and result.number != number and result.status == "有效"
                assert cert.lost and cert.notice_id
            if action == "cancel_by_notice":
                notice = db.session.get(CancellationNotice, cert.notice_id)
                assert notice.numbers == [number]
        else:
            with pytest.raises(TransitionError) as exc:
                run(action, cert, certs.bureau)
            assert "不能" in str(exc.value) and status in str(exc.value)
            db.session.rollback()
            assert counts(db) == before
            assert db.session.get(Certificate, cert_id).status == status


def test_restoring_cancelled_and_suspending_recalled_are_refused(db, certs):
    cancelled = certs.card(status="注销")
    recalled = certs.card(status="收回")
    with pytest.raises(TransitionError, match="当前状态为“注销”，不能恢复"):
        lifecycle.restore(cancelled, reason="误操作", actor=certs.bureau)
    with pytest.raises(TransitionError, match="当前状态为“收回”，不能暂扣"):
        lifecycle.suspend(recalled, reason="违规", actor=certs.bureau)
    db.session.rollback()
    assert db.session.get(Certificate, cancelled.id).status == "注销"
    assert db.session.get(Certificate, recalled.id).status == "收回"


def test_reason_is_required(db, certs):
    cert = certs.card()
    with pytest.raises(lifecycle.CertificateError, match="请填写暂扣的原因"):
        lifecycle.suspend(cert, reason="  ", actor=certs.bureau)
    db.session.rollback()
    assert db.session.get(Certificate, cert.id).status == "有效"


def test_review_sets_next_due_and_renew_extends(db, certs):
    cert = certs.card(issued_on=date.today() - timedelta(days=400))
    lifecycle.review(cert, actor=certs.bureau)
    assert cert.last_review_on == date.today()
    assert cert.next_review_due.year == date.today().year + 1
    old = cert.valid_until
    with pytest.raises(lifecycle.CertificateError, match="必须晚于原有效期"):
        lifecycle.renew(cert, valid_until=old, reason="换证", actor=certs.bureau)
    lifecycle.renew(cert, valid_until=old + timedelta(days=1000), reason="到期换证", actor=certs.bureau)
    db.session.commit()
    assert cert.valid_until == old + timedelta(days=1000) and cert.status == "有效"


def test_renew_with_new_number_setting(db, certs):
    from intranet_certificates import settings
    settings.put("renew_new_number", True)
    cert = certs.card()
    new = lifecycle.renew(cert, valid_until=cert.valid_until + timedelta(days=400), reason="换证", actor=certs.bureau)
    db.session.commit()
    assert new.id != cert.id and new.number != cert.number and new.replaces_id == cert.id
    assert cert.status == "注销" and new.status == "有效" and new.origin == "renewal"


def test_expired_card_cannot_be_restored_or_reviewed(db, certs):
    cert = certs.card(issued_on=date.today() - timedelta(days=3000), valid_until=date.today() - timedelta(days=1))
    with pytest.raises(TransitionError, match="超过有效期"):
        lifecycle.review(cert, actor=certs.bureau)
    lifecycle.suspend(cert, reason="调查", actor=certs.bureau)
    with pytest.raises(TransitionError, match="超过有效期"):
        lifecycle.restore(cert, reason="恢复", actor=certs.bureau)


def test_expire_job(db, certs, app):
    old = certs.card(issued_on=date(2015, 1, 1), valid_until=date(2020, 1, 1))
    suspended = certs.card(issued_on=date(2015, 1, 1), valid_until=date(2020, 1, 1), status="暂扣")
    current = certs.card()
    cancelled = certs.card(issued_on=date(2015, 1, 1), valid_until=date(2020, 1, 1), status="注销")
    from intranet_certificates.cli import certificates_cli
    result = app.test_cli_runner().invoke(certificates_cli, ["expire"])
    assert result.exit_code == 0, result.output
    assert "2个" in result.output
    db.session.expire_all()
    assert [db.session.get(Certificate, c.id).status for c in (old, suspended, current, cancelled)] == \
        ["过期", "过期", "有效", "注销"]
    events = db.session.scalars(select(CertificateEvent).where(CertificateEvent.action == "expire")).all()
    assert {e.certificate_id for e in events} == {old.id, suspended.id}
    # The job's events have no details: SQL NULL on both databases (not a stored JSON null).
    assert db.session.scalar(select(func.count()).select_from(CertificateEvent).where(
        CertificateEvent.action == "expire", CertificateEvent.details.is_(None))) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "certificates.expire")) == 1
    # Running again changes nothing.
    assert app.test_cli_runner().invoke(certificates_cli, ["expire"]).output.count("0个") == 1


def test_scheduled_job_is_offered(app):
    from intranet.plugins import flatten, get_pm
    jobs = {(j.plugin, j.name) for j in flatten(get_pm().hook.scheduled_jobs())}
    assert ("certificates", "expire") in jobs


def test_events_are_append_only(db, certs):
    cert = certs.card()
    event = db.session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == cert.id)).first()
    event.reason = "篡改"
    from intranet_certificates.models import EventsAreAppendOnly
    with pytest.raises(EventsAreAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_review_on_the_issue_day_or_before_it_is_due_is_refused(client, db, certs):
    from intranet.testing import login
    today = date.today()
    fresh = certs.card()  # issued today
    with pytest.raises(TransitionError, match="发证当日"):
        lifecycle.review(fresh, actor=certs.bureau)
    db.session.rollback()
    young = certs.card(issued_on=today - timedelta(days=100))  # first 年审 due in 265 days
    login(client, certs.bureau)
    r = client.post(f"/certificates/{young.id}/action/review", data={"reason": "年审合格", "happened_on": today.isoformat()})
    text = r.get_data(as_text=True)
    assert "首次年审应于" in text and "尚未到年审期" in text
    db.session.expire_all()
    assert db.session.get(Certificate, young.id).last_review_on is None
    assert not db.session.scalars(select(CertificateEvent).where(CertificateEvent.action == "review")).all()
    # Within the warning period (default two months) before it is due, the 年审 is done.
    due = certs.card(issued_on=today - timedelta(days=330))
    r = client.post(f"/certificates/{due.id}/action/review", data={"reason": "年审合格", "happened_on": today.isoformat()},
                    follow_redirects=True)
    assert "已年审" in r.get_data(as_text=True)
    # The same after a first 年审: the next one is not done again within the year.
    r = client.post(f"/certificates/{due.id}/action/review",
                    data={"reason": "年审合格", "happened_on": (today + timedelta(days=1)).isoformat()}, follow_redirects=True)
    assert "尚未到年审期" in r.get_data(as_text=True)


def test_warning_wording_follows_the_setting(client, db, certs):
    from intranet.testing import login
    from intranet_certificates import settings
    certs.card(issued_on=date.today() - timedelta(days=300))
    login(client, certs.bureau)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "两个月内年审" in page and "两个月内到期" in page
    settings.put("review_warn_months", 3)
    db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "三个月内年审" in page and "三个月内到期" in page and "两个月内" not in page
    settings.put("review_warn_months", 12)
    assert settings.warn_period_text() == "十二个月"
