"""The audit log is append-only in the ORM; ``audit.record`` fills in who, where and what changed."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from intranet import audit
from intranet.models import AuditEvent
from intranet.models.audit import AuditLogIsAppendOnly


def one_event(db) -> AuditEvent:
    audit.record("create", "person", 7, summary="新建人员 张三", after={"name": "张三"})
    db.session.commit()
    return db.session.scalar(select(AuditEvent))


def test_record_without_a_request_is_by_the_system(db):
    event = one_event(db)
    assert (event.actor_id, event.actor_name, event.ip) == (None, "系统", "")
    assert (event.action, event.object_type, event.object_id) == ("create", "person", "7")
    assert event.after == {"name": "张三"} and event.at is not None


def test_record_in_a_request_names_the_user_and_address(app, db, org):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        from flask_login import login_user
        login_user(org.users["bureau"])
        audit.record("update", "setting", "k", summary="x" * 600, reason="原因", department_id=org.town_a.id)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "setting"))
    assert event.actor_id == org.users["bureau"].id and event.ip == "10.1.2.3"
    assert len(event.summary) == 500 and event.reason == "原因" and event.department_id == org.town_a.id


def test_changing_an_event_is_refused(db):
    event = one_event(db)
    event.summary = "篡改"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent.summary)) == "新建人员 张三"


def test_deleting_an_event_is_refused(db):
    event = one_event(db)
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


@pytest.mark.parametrize("statement", [
    update(AuditEvent).values(summary="篡改"),
    delete(AuditEvent),
    update(AuditEvent).where(AuditEvent.id > 0).values(reason="x").execution_options(synchronize_session=False),
])
def test_bulk_statements_are_refused(db, statement):
    one_event(db)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement)
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.summary)) == "新建人员 张三"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_the_refusal_message_is_chinese(db):
    event = one_event(db)
    event.reason = "x"
    with pytest.raises(AuditLogIsAppendOnly, match="审计日志只能追加"):
        db.session.flush()
    db.session.rollback()


def test_adding_events_is_still_allowed_after_a_refusal(db):
    event = one_event(db)
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    audit.record("update", "person", 7, summary="修改人员")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_diff_keeps_only_what_changed():
    before = {"name": "张三", "title": "科员", "active": True}
    after = {"name": "张三", "title": "副科长", "active": False}
    assert audit.diff(before, after) == ({"title": "科员", "active": True}, {"title": "副科长", "active": False})
    assert audit.diff(before, dict(before)) == ({}, {})
