"""One action happens once: activating, rating and assessing at the same time write one change."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import logged_in_client, run_in_parallel
from intranet_legal_advisers import service
from intranet_legal_advisers.models import Assessment, Contract
from intranet_legal_advisers.service import ServiceValues


def events(db, action):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_activate_and_rate_at_once(app, db, org, firm, make_contract):
    contract = make_contract(org.town_a, [firm()], status="草拟")
    cid = contract.id
    results = run_in_parallel(app, 5, lambda i, client: client.post(f"/legal-advisers/contracts/{cid}/activate"),
                              prepare=lambda i: logged_in_client(app, "admin_a"), in_app_context=False)
    assert all(r.status_code == 302 for r in results)
    db.session.expire_all()
    assert db.session.get(Contract, cid).status == "生效" and events(db, "legal_advisers.activate") == 1
    entry = service.add_service(db.session.get(Contract, cid), ServiceValues(served_on=date.today(), kind="合同审查",
                                                                             matter="审查", hours=1), None)
    db.session.commit()
    sid = entry.id
    results = run_in_parallel(app, 5, lambda i, client: client.post(f"/legal-advisers/services/{sid}/rate",
                                                                    data={"rating": str(1 + i % 5)}),
                              prepare=lambda i: logged_in_client(app, "admin_a"), in_app_context=False)
    assert all(r.status_code == 302 for r in results)
    assert events(db, "legal_advisers.rate") == 1


def test_assess_at_once(app, db, org, firm, make_contract):
    year = date.today().year - 1
    cid = make_contract(org.town_a, [firm()], start=date(year, 1, 1)).id
    data = {"year": year, "decision": "续聘", **{f"client_{i}": "15" for i in range(4)}, **{f"self_{i}": "15" for i in range(4)}}
    results = run_in_parallel(app, 5, lambda i, client: client.post(f"/legal-advisers/contracts/{cid}/assess", data=data),
                              prepare=lambda i: logged_in_client(app, "admin_a"), in_app_context=False)
    assert all(r.status_code in (200, 302) for r in results)
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
    assert events(db, "legal_advisers.assess") == 1


def test_rate_and_assess_at_once_the_assessment_counts_what_is_rated(app, db, org, firm, make_contract):
    """Rating locks the contract as the assessment does: either the rating comes first and the
    assessment's average includes it, or the assessment comes first and the rating is refused."""
    from intranet_legal_advisers.models import Service
    from intranet_legal_advisers.service import AdviserError, AssessmentValues
    year = date.today().year - 1
    contract = make_contract(org.town_a, [firm()], start=date(year, 1, 1))
    cid = contract.id
    sid = service.add_service(contract, ServiceValues(served_on=date(year, 6, 1), kind="合同审查", matter="审查",
                                                      hours=1), None, today=date(year, 12, 31)).id
    db.session.commit()
    dims = ["服务态度", "专业能力", "工作效率", "服务成效"]
    values = AssessmentValues(year=year, client=dict(zip(dims, [15] * 4)), self_report=dict(zip(dims, [15] * 4)),
                              decision="续聘")

    def act(i, _):
        from intranet.extensions import db as _db
        try:
            if i == 0:
                service.rate(_db.session.get(Service, sid), 3, "", None)
            else:
                service.assess(_db.session.get(Contract, cid), values, None)
            _db.session.commit()
        except AdviserError as exc:
            _db.session.rollback()
            return str(exc)
        return None

    rating, assessed = run_in_parallel(app, 2, act)
    assert assessed is None
    db.session.expire_all()
    done = db.session.scalar(select(Assessment).where(Assessment.contract_id == cid))
    stored = db.session.get(Service, sid).rating
    if rating is None:
        assert stored == 3 and str(done.avg_rating) == "3.00"
    else:
        assert "已考核" in rating and stored is None and done.avg_rating is None
