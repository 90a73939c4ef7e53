"""The plugin's one table. Plugin tables are prefixed with the plugin name."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.extensions import db
from intranet.models import Department, Person


class Note(db.Model):
    """A dated note about a department (and optionally one of its people)."""

    __tablename__ = "sample_notes_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    noted_on: Mapped[date] = mapped_column(Date, index=True)
    # Nothing of record is deleted: old notes are archived.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    department: Mapped[Department] = relationship()
    person: Mapped[Person | None] = relationship()
