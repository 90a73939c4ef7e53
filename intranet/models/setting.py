"""Configurable rules stored in the database (key → JSON value), e.g. certificate validity."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Setting(db.Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    @staticmethod
    def get(key: str, default=None):
        row = db.session.get(Setting, key)   # the session's copy once loaded: no query per row of a list
        return default if row is None else row.value

    @staticmethod
    def put(key: str, value) -> None:
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
