"""Stored figures (intranet.stored): a heavy figure's last value per function and arguments.

A cache, not a record: a row may be removed at any time (the daily job forgets the rows nobody
has read for STORED_FORGET_DAYS) and is computed again when next read.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class StoredFigure(db.Model):
    __tablename__ = "stored_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)      # sha256 of name and arguments
    name: Mapped[str] = mapped_column(String(200), index=True)     # module.function
    args: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)       # of the value stored
    value: Mapped[object | None] = mapped_column(JSON)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime)
    seconds: Mapped[float | None] = mapped_column(Float)           # how long the last computation took
    read_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # A worker computing it since claimed_at (its claim expires after STORED_CLAIM_SECONDS).
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claim: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)                # the last computation's failure
