"""Long work run by the queue worker (intranet.jobs): an import, an export, a report, a daily job."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

QUEUED = "排队中"
RUNNING = "进行中"
DONE = "已完成"
FAILED = "失败"
STATES = (QUEUED, RUNNING, DONE, FAILED)
ACTIVE_STATES = (QUEUED, RUNNING)

KINDS = {"import": "导入", "export": "导出", "report": "报告", "scheduled": "定时任务"}


class Job(db.Model):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)   # the scope it covers
    state: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str] = mapped_column(String(200), default="")
    # Row errors of a failed import: how many were found; the first MAX_ROW_ERRORS are JobRowError rows.
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    digest: Mapped[str | None] = mapped_column(String(64), index=True)
    # One run of a scheduled job per day: "name@YYYY-MM-DD" (unique; NULL for other kinds).
    run_key: Mapped[str | None] = mapped_column(String(150), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


class JobRowError(db.Model):
    """One row-level error of an import job (a table of its own: 200,000 rows may carry as many
    errors, too many for one JSON value in the job's row; the job page pages through them)."""
    __tablename__ = "job_row_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    row: Mapped[int | None] = mapped_column(Integer)      # None: the error is about the file
    column: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text, default="")
