"""The plugin's tables; each name starts with "law_study_". Nothing is deleted: rows carry a status."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.extensions import db
from intranet.models import Department, Person

PRE_MEETING_KINDS = ["政府常务会议会前学法", "党组理论学习中心组学习", "党组(扩大)会会前学法", "局长办公会会前学法"]
LECTURE = "法治专题讲座"
CONCENTRATED = "集中学法"
TRAINING = "培训班"
KINDS = [*PRE_MEETING_KINDS, LECTURE, CONCENTRATED, TRAINING, "其他"]
# A session of these kinds held by a higher unit may take attendance from its whole subtree.
SUBTREE_KINDS = (CONCENTRATED, TRAINING)
SPEAKER_TYPES = ["单位负责人", "法律顾问", "法官/检察官", "专家学者", "其他"]

PLANNED, HELD, CANCELLED = "计划", "已举行", "已撤销"
TO_REVIEW, TO_APPROVE, APPROVED_TOPIC, TOPIC_RETURNED = "待审核", "待批准", "已批准", "退回"
SESSION_STATUSES = [PLANNED, HELD, CANCELLED]

PRESENT, ABSENT, LEAVE = "出席", "缺席", "请假"
ATTENDANCE_STATUSES = [PRESENT, ABSENT, LEAVE]

MEETING, SELF_STUDY, EXAM, EXTERNAL = "会议出勤", "自学", "考试合格", "外部培训"
SOURCES = [MEETING, SELF_STUDY, EXAM, EXTERNAL]
# 自报 → 已审核 (单位审核通过) → 已锁定 (年度锁定); 退回 with a reason; 作废 when it no longer counts
# (an attendance changed to 缺席, a session cancelled).
REPORTED, APPROVED, LOCKED, RETURNED, VOID = "自报", "已审核", "已锁定", "退回", "作废"
ENTRY_STATES = [REPORTED, APPROVED, LOCKED, RETURNED, VOID]
CREDITED = (APPROVED, LOCKED)      # the states that count as hours
LIVE = (REPORTED, APPROVED, LOCKED)  # the states that block a duplicate claim


class StudySession(db.Model):
    """One 会前学法, lecture, concentrated study or training class of a department."""

    __tablename__ = "law_study_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)            # 活动编号
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    start_time: Mapped[time | None] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200))
    speaker: Mapped[str] = mapped_column(String(100), default="")
    speaker_type: Mapped[str] = mapped_column(String(20), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=PLANNED, index=True)
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("law_study_plan_item.id"), index=True)
    speaker_minutes: Mapped[int | None] = mapped_column(Integer)
    # the optional pre-meeting approval flow: "" (not in the flow) → 待审核 → 待批准 → 已批准, or 退回
    approval: Mapped[str] = mapped_column(String(10), default="")
    approval_note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    department: Mapped[Department] = relationship()
    plan_item: Mapped["PlanItem | None"] = relationship()
    laws: Mapped[list["SessionLaw"]] = relationship(order_by="SessionLaw.id", back_populates="session")

    @property
    def open_to_subtree(self) -> bool:
        return self.kind in SUBTREE_KINDS

    @property
    def law_names(self) -> str:
        return "".join(law.name for law in self.laws)


PLAN_ACTIVE, PLAN_WITHDRAWN = "有效", "已撤销"


class PlanItem(db.Model):
    """One item of a department's 年度学法计划: month, topic, laws, kind; a session fulfils it."""

    __tablename__ = "law_study_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    month: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200))
    laws: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default=PLAN_ACTIVE)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    department: Mapped[Department] = relationship()

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月 {self.kind}：{self.topic}"


class SessionLaw(db.Model):
    """A law studied at a session; ``listed`` is False for a name not in the maintained list (flagged)."""

    __tablename__ = "law_study_session_law"
    __table_args__ = (UniqueConstraint("session_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("law_study_session.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)

    session: Mapped[StudySession] = relationship(back_populates="laws")


class Attendance(db.Model):
    """One person's attendance at a session: 出席, 缺席 (with a reason) or 请假."""

    __tablename__ = "law_study_attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),
                      Index("ix_law_study_attendance_session_status", "session_id", "status", "person_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("law_study_session.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    session: Mapped[StudySession] = relationship()
    person: Mapped[Person] = relationship()


class HoursEntry(db.Model):
    """One credited amount in the 学时台账 (minutes, so sums stay exact)."""

    __tablename__ = "law_study_hours"
    __table_args__ = (Index("ix_law_study_hours_person_year", "person_id", "year"),
                      Index("uq_law_study_hours_person_year_ref", "person_id", "year", "ref", unique=True),
                      # the report's hours tally and the yearly totals per person (targets, reminders, the dashboard)
                      # read this index alone
                      Index("ix_law_study_hours_tally", "year", "person_id", "department_id", "source", "state",
                            "minutes"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)   # indexed first in the tally index
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10))
    minutes: Mapped[int] = mapped_column(Integer)
    law: Mapped[str] = mapped_column(String(100), default="")
    evidence: Mapped[str] = mapped_column(String(500), default="")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("law_study_session.id"), index=True)
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("law_study_attendance.id"), unique=True)
    # what another plugin's answer named this entry by (an exam pass: "exams:<result id>"), so a
    # repeated sync finds it again instead of crediting the same pass twice
    ref: Mapped[str | None] = mapped_column(String(80), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)
    return_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    person: Mapped[Person] = relationship()
    session: Mapped[StudySession | None] = relationship()

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


class YearClosing(db.Model):
    """A year closed by the 司法局: its ledger entries are locked and nothing of that year changes."""

    __tablename__ = "law_study_year_closing"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    entries_locked: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")


EVIDENCE_KINDS = ["课件材料", "签到表扫描件", "现场照片", "培训证书", "学习笔记", "其他"]
EVIDENCE_ACTIVE, EVIDENCE_WITHDRAWN = "有效", "已撤销"


class Evidence(db.Model):
    """An uploaded file of a session (materials, sign-in sheet, photos) or of a ledger entry (a
    training certificate), kept under a generated name; the original name is only shown."""

    __tablename__ = "law_study_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("law_study_session.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("law_study_hours.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(200), default="")
    stored_name: Mapped[str] = mapped_column(String(60), unique=True)
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=EVIDENCE_ACTIVE)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


MODELS = [PlanItem, StudySession, SessionLaw, Attendance, HoursEntry, YearClosing, Evidence]
