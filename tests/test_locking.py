"""intranet.locking: a state change locks its row and re-reads it; a second request changes nothing."""
import pytest
from flask import Blueprint
from sqlalchemy import func, select

from intranet.extensions import db as _db
from intranet.locking import ALREADY_DONE, StateChanged, lock, locked
from intranet.models import AuditEvent, Department
from intranet.testing import logged_in_client, make_department, run_in_parallel


def _rename_elsewhere(app, dept_id, name):
    """Change the department from another session (another request), committed."""
    def change(i, _):
        _db.session.get(Department, dept_id).name = name
        _db.session.commit()
    [result] = run_in_parallel(app, 1, change)
    assert result is None, result


def test_lock_refuses_a_row_changed_since_it_was_read(app, db, org):
    dept = db.session.get(Department, org.town_a.id)
    db.session.commit()
    dept.name  # loaded by "this request"
    _rename_elsewhere(app, dept.id, "甲镇（改）")
    with pytest.raises(StateChanged) as refused:
        lock(dept)
    assert str(refused.value) == ALREADY_DONE
    db.session.rollback()


def test_lock_without_check_rereads_the_row(app, db, org):
    dept = db.session.get(Department, org.town_a.id)
    db.session.commit()
    dept.name
    _rename_elsewhere(app, dept.id, "甲镇（改）")
    assert lock(dept, check=False).name == "甲镇（改）"  # fresh from the database, not the identity map
    assert locked(Department, dept.id) is dept
    assert locked(Department, 10 ** 6) is None
    db.session.rollback()


def test_lock_passes_a_row_nobody_else_changed(app, db, org):
    dept = db.session.get(Department, org.town_a.id)
    dept.name = "本请求改的名字"  # this request's own change (flushed by the re-read)
    assert lock(dept).name == "本请求改的名字"
    db.session.rollback()


@pytest.fixture
def raising_app(app):
    """A route that raises StateChanged, answered by the app's fallback handler."""
    bp = Blueprint("locking_test", __name__)

    @bp.route("/locking-test", methods=["POST"])
    def raises():
        raise StateChanged()

    app.register_blueprint(bp)
    return app


def test_uncaught_state_changed_is_answered_in_chinese(raising_app, db, org):
    client = logged_in_client(raising_app, "admin")
    r = client.post("/locking-test", headers={"Referer": "http://localhost/departments/"})
    assert r.status_code == 302 and r.headers["Location"] == "/departments/"
    assert ALREADY_DONE in client.get("/departments/").get_data(as_text=True)
    r = client.post("/locking-test", json={})
    assert r.status_code == 409 and r.json == {"ok": False, "error": ALREADY_DONE}
    r = client.post("/locking-test", headers={"Referer": "http://evil.example/x"})
    assert r.headers["Location"] == "/dashboard"


def test_deactivating_a_department_at_once_is_recorded_once(app, db, org):
    dept_id = make_department("X01-C", "丙镇", "乡镇(街道)", org.county).id
    db.session.commit()
    results = run_in_parallel(app, 6, lambda i, client: client.post(f"/departments/{dept_id}/deactivate",
                                                                    data={"reason": "撤并"}, follow_redirects=True),
                              prepare=lambda i: logged_in_client(app, "admin"), in_app_context=False)
    pages = [r.get_data(as_text=True) for r in results]
    assert sum("已停用单位 丙镇" in p for p in pages) == 1
    assert all("已停用单位 丙镇" in p or ALREADY_DONE in p or "该单位已是停用状态" in p for p in pages)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "deactivate", AuditEvent.object_type == "department")) == 1


def test_share_rows_reads_fresh(app, db, org):
    from intranet.locking import share_rows
    dept = db.session.get(Department, org.town_a.id)
    db.session.commit()
    dept.name
    _rename_elsewhere(app, dept.id, "甲镇（共享读）")
    fresh = db.session.scalar(share_rows(select(Department).where(Department.id == dept.id)))
    assert fresh is dept and dept.name == "甲镇（共享读）"
    db.session.rollback()


def test_a_lock_waits_for_a_shared_read_and_then_sees_the_row(app, db, org):
    """A sharer holds the row until its transaction ends; a writer's ``lock`` waits for it."""
    import time
    from intranet.locking import share_rows
    dept_id = org.town_a.id
    db.session.commit()
    held = {}

    def act(i, _):
        if i == 0:
            _db.session.scalar(share_rows(select(Department).where(Department.id == dept_id)))
            held["at"] = time.monotonic()
            time.sleep(0.8)
            _db.session.rollback()
            held["released"] = time.monotonic()
            return None
        while "at" not in held:
            time.sleep(0.01)
        dept = _db.session.get(Department, dept_id)
        lock(dept)
        waited_until = time.monotonic()
        dept.name = "甲镇（等待后）"
        _db.session.commit()
        return waited_until

    _, locked_at = run_in_parallel(app, 2, act)
    assert not isinstance(locked_at, BaseException), locked_at
    assert locked_at >= held["released"] - 0.05
