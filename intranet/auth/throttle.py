"""Login throttling per (account, client address), kept in the audit log.

Failures count only for the client that made them, so an attacker elsewhere cannot lock the real
user out; a success from that client, an admin's unlock or a password reset starts the count afresh.
Unknown usernames are counted the same way, so the answers and the work done never tell whether an
account exists or is locked.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import AuditEvent, User

FAILED = "login_failed"
# Events that start the failure count afresh for every client of an account.
RESETS = ("unlock", "reset_password", "password")


def db_now() -> datetime:
    """The database clock (audit times come from it), as a naive datetime."""
    return db.session.scalar(select(func.now())).replace(tzinfo=None)


def subject(user: User | None, username: str) -> tuple[str, str]:
    """(object_type, object_id) of a login attempt's audit events."""
    return ("user", str(user.id)) if user is not None else ("login", username[:50])


def recent_failures(user: User | None, username: str) -> int:
    """Failed attempts on this account from this client since the last fresh start, in the window."""
    object_type, object_id = subject(user, username)
    ip = request.remote_addr or ""
    mine = (AuditEvent.object_type == object_type) & (AuditEvent.object_id == object_id)
    fresh_start = select(func.max(AuditEvent.id)).where(
        mine, or_(AuditEvent.action.in_(RESETS), (AuditEvent.action == "login") & (AuditEvent.ip == ip)))
    since = db_now() - timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    stmt = select(func.count()).select_from(AuditEvent).where(
        mine, AuditEvent.action == FAILED, AuditEvent.ip == ip, AuditEvent.at > since,
        AuditEvent.id > func.coalesce(fresh_start.scalar_subquery(), 0))
    return db.session.scalar(stmt)


def is_throttled(user: User | None, username: str) -> bool:
    return recent_failures(user, username) >= current_app.config["LOGIN_MAX_FAILURES"]
