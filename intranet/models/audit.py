"""The append-only audit log: who, when, what, why, before and after."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, event, func
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    # One object's history (its page, the login throttle's count per account) without a scan.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50))   # ix_audit_event_object leads with it
    object_id: Mapped[str] = mapped_column(String(50), default="")
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str] = mapped_column(String(45), default="")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly("审计日志只能追加，不能修改或删除")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_changes(state):
    """``update(AuditEvent)`` / ``delete(AuditEvent)`` statements skip the flush; refuse them too."""
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditLogIsAppendOnly("审计日志只能追加，不能修改或删除")
