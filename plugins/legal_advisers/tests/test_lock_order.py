"""Lock order: every contract change locks the unit before the contract, so two changes on one
contract wait for each other instead of deadlocking (PostgreSQL detects the cycle and aborts one).

The two transactions are held at the point where a wrong order would have each holding what the
other needs: renewing contract C (C locked) and activating it (the unit locked) at the same time.
"""
from __future__ import annotations

import threading
from datetime import date, timedelta

from intranet.extensions import db as _db
from intranet.locking import StateChanged
from intranet.models import Department
from intranet.testing import run_in_parallel
from intranet_legal_advisers import service
from intranet_legal_advisers.models import Contract

TODAY = date.today()


def test_renew_and_activate_at_once_do_not_deadlock(app, db, org, firm, make_contract, monkeypatch):
    old = make_contract(org.town_a, [firm()], start=TODAY - timedelta(days=700))
    old_id = old.id
    db.session.remove()
    barrier = threading.Barrier(2, timeout=3)
    local = threading.local()
    real_lock = service.lock

    def lock(obj, **kwargs):
        fresh = real_lock(obj, **kwargs)
        if isinstance(fresh, getattr(local, "pause_after", ())):
            local.pause_after = ()
            try:
                barrier.wait()       # both hold their first lock now (or the other one is waiting)
            except threading.BrokenBarrierError:
                pass
        return fresh
    monkeypatch.setattr(service, "lock", lock)

    def act(i, _prepared):
        contract = _db.session.get(Contract, old_id)
        try:
            if i == 0:
                local.pause_after = Contract
                v = service.renewal_values(contract)
                v.number = "HT-RENEW-LOCK"
                service.renew(contract, v, None)
            else:
                local.pause_after = Department
                service.activate(contract, None)
            _db.session.commit()
            return "done"
        except StateChanged as exc:     # activating an active contract: refused, as it should be
            _db.session.rollback()
            return exc.message
        finally:
            _db.session.remove()

    results = run_in_parallel(app, 2, act, timeout=60)
    assert not any(isinstance(r, BaseException) for r in results), results   # no DeadlockDetected
    assert results[0] == "done" and "不能再次生效" in results[1]
