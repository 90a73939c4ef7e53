"""Write to the append-only audit log. Call it in the same transaction as the change."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent

# Actions the login page and logout write (the throttle counts them); not changes of record.
LOGIN_ACTIONS = ("login", "login_failed", "logout", "lock")


def record(action: str, object_type: str, object_id=None, *, summary: str = "", reason: str = "",
           before: dict | None = None, after: dict | None = None, department_id: int | None = None,
           actor=None) -> AuditEvent:
    """Add an AuditEvent to the session (committed with the change it describes)."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_name=(getattr(actor, "display_name", "") or getattr(actor, "username", "")) if actor else "系统",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        department_id=department_id,
        summary=summary[:500],
        reason=reason or "",
        before=before,
        after=after,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
