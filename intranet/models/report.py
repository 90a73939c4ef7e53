"""A submitted annual report, frozen with its figures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import Department


class ReportSnapshot(db.Model):
    __tablename__ = "report_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    data: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")

    department: Mapped[Department] = relationship()
