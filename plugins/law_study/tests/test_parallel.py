"""Two clicks at once change a record once (intranet.locking), on SQLite and PostgreSQL."""
from datetime import date

from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import logged_in_client, run_in_parallel
from intranet_law_study import service
from intranet_law_study.models import APPROVED, HoursEntry

YEAR = date.today().year - 1


def test_parallel_approval_changes_once(app, db, org):
    entry, _ = service.log_claim(org.staff_person, source="自学", day=date(YEAR, 5, 5), law="《民法典》", hours=2,
                                 evidence="", user=None)
    db.session.commit()
    url = f"/law-study/entries/{entry.id}/approve"
    results = run_in_parallel(app, 2, lambda i, client: client.post(url).status_code,
                              prepare=lambda i: logged_in_client(app, "admin_a"))
    assert results == [302, 302]
    db.session.expire_all()
    assert db.session.get(HoursEntry, entry.id).state == APPROVED
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "law_study.approve")) == 1


def test_parallel_claims_for_the_same_day_and_law_count_once(app, db, org):
    data = {"source": "自学", "day": f"{YEAR}-05-06", "law": "《宪法》", "hours": "2"}
    results = run_in_parallel(app, 2, lambda i, client: client.post("/law-study/mine", data=data).status_code,
                              prepare=lambda i: logged_in_client(app, "zhangsan"))
    assert all(r in (200, 302) for r in results), results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HoursEntry)) == 1
