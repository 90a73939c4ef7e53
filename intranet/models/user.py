"""Logins. A user may be linked to a person; its role and department decide what it sees."""
from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import Department, Person

ROLES = {
    "admin": "系统管理员",
    "bureau": "司法局",
    "dept_admin": "单位管理员",
    "staff": "工作人员",
    "inspector": "督察",
}
_hashers: dict[tuple, PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """argon2 with the app's PASSWORD_HASH_PARAMS (tests use cheap ones); defaults otherwise."""
    from flask import current_app, has_app_context
    params = tuple(sorted((current_app.config.get("PASSWORD_HASH_PARAMS") or {}).items())) if has_app_context() else ()
    if params not in _hashers:
        _hashers[params] = PasswordHasher(**dict(params))
    return _hashers[params]


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change or deactivation; part of the session id, so old sessions end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # Set when an administrator chose the password (new account, reset): the user must pick their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    department: Mapped[Department | None] = relationship()
    person: Mapped[Person | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        try:
            return _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def sees_everything(self) -> bool:
        """Admin, bureau and inspector without a department see the whole tree."""
        return self.role in ("admin", "bureau", "inspector") and self.department_id is None

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "bureau", "dept_admin")

    def audit_state(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "role": self.role,
                "department": self.department_id, "person": self.person_id, "active": self.active}
