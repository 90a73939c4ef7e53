"""Certificate numbers issued in parallel while some issuers fail: the committed numbers are
unique and without gaps — a rolled-back issue gives its serial back (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intranet.extensions import db as _db
from intranet.models import Department, Person
from intranet.testing import run_in_parallel
from intranet_certificates import lifecycle
from intranet_certificates.models import Certificate

N = 12


class Refused(Exception):
    pass


def test_parallel_issues_with_rollbacks_leave_no_gap(app, db, certs):
    people = [certs.person(certs.org.town_a) for _ in range(N)]
    db.session.commit()
    ids, town_id = [p.id for p in people], certs.org.town_a.id
    db.session.remove()

    def issue(i, _prepared):
        person = _db.session.get(Person, ids[i])
        try:
            cert = lifecycle.issue(person, department_id=person.department_id, category="市场监管", region="甲镇")
            _db.session.flush()
            if i % 3 == 0:           # a third of the issuers fail after taking their number
                raise Refused(cert.number)
            _db.session.commit()
            return cert.number
        except Refused:
            _db.session.rollback()
            return None
        finally:
            _db.session.remove()

    results = run_in_parallel(app, N, issue, timeout=120)
    assert not any(isinstance(r, BaseException) for r in results), results
    issued = [r for r in results if r]
    assert len(issued) == N - len(range(0, N, 3)) and len(set(issued)) == len(issued)
    year = date.today().year
    assert sorted(issued) == [f"350481{year}{n:05d}" for n in range(1, len(issued) + 1)]   # no gap
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Certificate.number))) == sorted(issued)
    # the next issue continues right after the last committed serial
    person = certs.person(db.session.get(Department, town_id))
    nxt = lifecycle.issue(person, department_id=person.department_id, category="市场监管", region="甲镇")
    assert nxt.number == f"350481{year}{len(issued) + 1:05d}"
