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
