"""Defects found in review: notices out of scope, a redirect off the site, far-future dates."""
from datetime import date

from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import login, make_person

from intranet_certificates import cleanup, lifecycle
from intranet_certificates.models import Certificate, CertificateEvent


def test_notices_are_scoped(client, db, certs):
    o = certs.org
    a = certs.card(make_person(o.town_a, "甲镇失联员"))
    b = certs.card(make_person(o.town_b, "乙镇失联员"), o.town_b)
    only_b = lifecycle.publish_notice([certs.card(make_person(o.town_b, "乙镇另一人"), o.town_b)],
                                      reason="无法收回", actor=certs.bureau)
    both = lifecycle.publish_notice([a, b], reason="人员失联", actor=certs.bureau, title="两镇公告")
    db.session.commit()
    login(client, o.users["dept_admin_a"])
    assert client.get(f"/certificates/notices/{only_b.id}").status_code == 403
    assert client.get(f"/certificates/notices/{only_b.id}.pdf").status_code == 403
    assert client.get("/certificates/notices/999999").status_code == 404
    listing = client.get("/certificates/notices/").get_data(as_text=True)
    assert f"/certificates/notices/{only_b.id}\"" not in listing and f"/certificates/notices/{both.id}\"" in listing
    page = client.get(f"/certificates/notices/{both.id}").get_data(as_text=True)
    assert a.number in page and "甲镇失联员" in page
    assert b.number not in page and "乙镇失联员" not in page
    # The bureau sees every notice in full.
    login(client, certs.bureau)
    page = client.get(f"/certificates/notices/{both.id}").get_data(as_text=True)
    assert a.number in page and b.number in page
    assert client.get(f"/certificates/notices/{only_b.id}").status_code == 200


def test_decision_does_not_redirect_off_the_site(client, db, certs):
    o = certs.org
    retired = certs.card(make_person(o.town_a, status="退休"))
    campaign = cleanup.open_campaign("清理", o.town_a, actor=certs.bureau)
    db.session.commit()
    login(client, o.users["dept_admin_a"])
    for target in ("//evil.example/x", "/\\evil.example/x"):
        r = client.post(f"/certificates/cleanup/{campaign.id}/decide",
                        data={"number": retired.number, "decision": "收回", "reason": "已退休", "next": target})
        assert r.status_code == 302
        assert "evil.example" not in r.headers["Location"]
        assert r.headers["Location"].endswith(f"/certificates/cleanup/{campaign.id}")


def test_far_future_dates_are_refused_not_500(client, db, certs):
    cert = certs.card()
    login(client, certs.bureau)
    events = db.session.scalar(select(func.count()).select_from(CertificateEvent))
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for action in ("review", "renew"):
        r = client.post(f"/certificates/{cert.id}/action/{action}",
                        data={"reason": "年审合格", "happened_on": "9999-06-01", "valid_until": "9999-12-31"})
        assert r.status_code == 200 and "日期超出合理范围" in r.get_data(as_text=True)
    r = client.post(f"/certificates/{cert.id}/enforcement", data={"last_enforcement_on": "0001-01-01"},
                    follow_redirects=True)
    assert r.status_code == 200 and "日期超出合理范围" in r.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(Certificate, cert.id)
    assert fresh.last_review_on is None and fresh.valid_until == cert.valid_until
    assert fresh.last_enforcement_on is None
    assert db.session.scalar(select(func.count()).select_from(CertificateEvent)) == events
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits
    assert fresh.next_review_due > date.today()
