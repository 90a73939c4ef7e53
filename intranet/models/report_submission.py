"""The annual report's submission and approval (报送、审核、发布).

- ``ReportDraft``: one per year and department; the four text sections being written and the
  workflow state (草稿 → 已报送 → 已退回 / 已批准 → 已发布). The only row that changes.
- ``ReportVersion``: a frozen submission (figures, paragraphs, tables, texts, who and when, a
  SHA-256 content hash); ``ReportVersionFile``: the files generated at submission;
  ``ReportReview``: a decision on a version (批准, 退回, 保密审查, 发布). These three are
  append-only: the ORM refuses to change or delete them, and so do database triggers.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, event,
                        func)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .org import Department

TEXT_SECTIONS = {
    "shortcomings": "二、存在的不足和原因",
    "leader_duties": "三、党政主要负责人履行推进法治建设第一责任人职责情况",
    "next_year": "四、下一年度工作安排",
    "other": "五、其他需要报告的情况",
}
STATUSES = {
    "draft": "草稿",
    "submitted": "已报送，待审核",
    "returned": "已退回，待修改",
    "approved": "已批准",
    "published": "已发布",
}
REVIEW_ACTIONS = {"approve": "批准", "return": "退回", "secrecy": "保密审查通过", "publish": "发布"}


class ReportDraft(db.Model):
    __tablename__ = "report_draft"
    __table_args__ = (UniqueConstraint("year", "department_id", name="uq_report_draft_year_department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    texts: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    public_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    department: Mapped[Department] = relationship()

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")


class ReportVersion(db.Model):
    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("draft_id", "number", name="uq_report_version_draft_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("report_draft.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_by_name: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(String(500), default="")

    department: Mapped[Department] = relationship()


class ReportVersionFile(db.Model):
    __tablename__ = "report_version_file"
    __table_args__ = (UniqueConstraint("version_id", "format", name="uq_report_version_file_version_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id"), index=True)
    format: Mapped[str] = mapped_column(String(10))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)


class ReportReview(db.Model):
    __tablename__ = "report_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def action_label(self) -> str:
        return REVIEW_ACTIONS.get(self.action, self.action)


FROZEN_MODELS = (ReportVersion, ReportVersionFile, ReportReview)
FROZEN_TABLES = tuple(m.__tablename__ for m in FROZEN_MODELS)


class SubmittedReportIsFrozen(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_frozen_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, FROZEN_MODELS) and (obj in session.deleted or session.is_modified(obj)):
            raise SubmittedReportIsFrozen("已报送的报告存档不能修改或删除")


@event.listens_for(Session, "do_orm_execute")
def _refuse_frozen_bulk_changes(state):
    if (state.is_update or state.is_delete) and any(m.class_ in FROZEN_MODELS for m in state.all_mappers):
        raise SubmittedReportIsFrozen("已报送的报告存档不能修改或删除")
