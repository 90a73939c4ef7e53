"""Exams, registrations, exemptions, results, the question bank and online papers.

The 行政执法资格考试 often has two parts (综合 and 专业). Each part is its own Exam with ``part``
set ("综合" or "专业"); a single combined sitting has ``part`` = "". The qualification counts as
passed when the person passed a combined sitting, or both parts.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.extensions import db
from intranet.models import Department, Person

QUALIFICATION = "行政执法资格考试"
KINDS = [QUALIFICATION, "公共法律知识考试", "普法考试", "领导干部任职前法律知识考试", "宪法法律考试", "其他"]
PARTS = ["综合", "专业"]
AUDIENCES = {"subtree": "指定单位及下级单位全体在岗人员", "enforcement": "全体执法岗位人员", "list": "逐人指定"}
REGISTRATION_STATUSES = ["预报名", "已报名", "已取消"]
EXEMPTION_REASONS = ["法律职业资格", "本年度退休", "长期病休", "其他"]
EXEMPTION_STATUSES = ["待审批", "已批准", "已驳回"]
RESULT_STATUSES = ["参考", "缺考", "免考"]
QUESTION_TYPES = ["单选", "多选", "判断"]
DIFFICULTIES = {1: "易", 2: "中", 3: "难"}
TRUE_FALSE_OPTIONS = ["正确", "错误"]
LETTERS = "ABCDEFGH"


def exam_title(name: str, part: str | None) -> str:
    """An exam's title: its name, with the part (科目) when the name does not already say it."""
    return f"{name}（{part}）" if part and part not in name else name


class Exam(db.Model):
    __tablename__ = "exams_exam"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    part: Mapped[str] = mapped_column(String(10), default="")
    year: Mapped[int] = mapped_column(Integer, index=True)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    exam_date: Mapped[date | None] = mapped_column(Date)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime)
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    full_mark: Mapped[float] = mapped_column(Float, default=100)
    pass_mark: Mapped[float] = mapped_column(Float, default=60)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str] = mapped_column(String(20), default="list")
    audience_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    max_attempts: Mapped[int] = mapped_column(Integer, default=2)
    self_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    organiser: Mapped[Department | None] = relationship(foreign_keys=[organiser_id])
    audience_department: Mapped[Department | None] = relationship(foreign_keys=[audience_department_id])

    def __repr__(self) -> str:
        return f"<Exam {self.code}>"

    @property
    def title(self) -> str:
        return exam_title(self.name, self.part)

    @property
    def when(self) -> str:
        if self.opens_at and self.closes_at:
            return f"{self.opens_at:%Y-%m-%d %H:%M} 至 {self.closes_at:%Y-%m-%d %H:%M}"
        return self.exam_date.isoformat() if self.exam_date else ""

    def is_open(self, now: datetime) -> bool:
        """An online exam can be taken now (inside its window)."""
        if not (self.active and self.online):
            return False
        if self.opens_at and now < self.opens_at:
            return False
        if self.closes_at and now >= self.closes_at:
            return False
        if not self.opens_at and self.exam_date and self.exam_date != now.date():
            return False
        return True

    def audit_state(self) -> dict:
        return {
            "code": self.code, "name": self.name, "kind": self.kind, "part": self.part, "year": self.year,
            "organiser": self.organiser_id, "exam_date": self.exam_date.isoformat() if self.exam_date else None,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "full_mark": self.full_mark, "pass_mark": self.pass_mark, "online": self.online,
            "audience": self.audience, "audience_department": self.audience_department_id,
            "max_attempts": self.max_attempts, "self_registration": self.self_registration,
            "active": self.active,
        }


class Registration(db.Model):
    """A person entered for an exam: 预报名, then 已报名; withdrawn ones are 已取消.

    ``department_id`` is the person's unit when registered: figures by department use it.
    ``preregistered_at`` stays set after confirmation (when the person was pre-registered); the
    预报名 figure counts only those still 预报名.
    """
    __tablename__ = "exams_registration"
    # ix_exams_registration_unit: an exam page's per-unit counts read it alone.
    __table_args__ = (UniqueConstraint("exam_id", "person_id"),
                      Index("ix_exams_registration_unit", "exam_id", "department_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams_exam.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="预报名")
    preregistered_at: Mapped[datetime | None] = mapped_column(DateTime)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    self_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    exam: Mapped[Exam] = relationship()
    person: Mapped[Person] = relationship()
    department: Mapped[Department] = relationship()


class Exemption(db.Model):
    """免考: requested with a reason, approved by the 司法局 or the exam's organiser."""
    __tablename__ = "exams_exemption"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams_exam.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="待审批", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(String(500), default="")

    exam: Mapped[Exam] = relationship()
    person: Mapped[Person] = relationship()


class ExamResult(db.Model):
    """One attempt of one person at one exam: 参考 with a score, 缺考 or 免考. The best attempt counts."""
    __tablename__ = "exams_result"
    __table_args__ = (UniqueConstraint("exam_id", "person_id", "attempt"),
                      Index("ix_exams_result_flags", "exam_id", "person_id", "status", "passed"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams_exam.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10), default="录入")  # 录入 / 导入 / 在线
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("exams_paper.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    exam: Mapped[Exam] = relationship()
    person: Mapped[Person] = relationship()

    def audit_state(self) -> dict:
        return {"exam": self.exam_id, "person": self.person_id, "attempt": self.attempt,
                "status": self.status, "score": self.score, "passed": self.passed, "source": self.source}


class Question(db.Model):
    """A bank question. Never edited once written: a change is a new version, the old one retired.

    ``origin_id`` is the first version's id (the chain's name); ``previous_id`` the version it replaced.
    ``options`` is the list of option texts (A, B, …); ``answer`` the letters ("A", "AC"); for 判断
    the options are 正确/错误.
    """
    __tablename__ = "exams_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_id: Mapped[int | None] = mapped_column(Integer, index=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("exams_question.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    law: Mapped[str] = mapped_column(String(100), index=True)
    chapter: Mapped[str] = mapped_column(String(100), default="")
    qtype: Mapped[str] = mapped_column(String(4), index=True)
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(8))
    explanation: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[int] = mapped_column(Integer, default=2)
    retired: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    @property
    def difficulty_label(self) -> str:
        return DIFFICULTIES.get(self.difficulty, "")

    @property
    def lettered_options(self) -> list[tuple[str, str]]:
        return list(zip(LETTERS, self.options or []))

    @property
    def answer_text(self) -> str:
        if self.qtype == "判断":
            return TRUE_FALSE_OPTIONS[LETTERS.index(self.answer)] if self.answer in "AB" else self.answer
        return self.answer

    def audit_state(self) -> dict:
        return {"law": self.law, "chapter": self.chapter, "qtype": self.qtype, "stem": self.stem,
                "options": self.options, "answer": self.answer, "difficulty": self.difficulty,
                "version": self.version, "retired": self.retired}


class PaperBlueprint(db.Model):
    """How an online exam's papers are drawn: rules (type, law, count, points) and a time limit."""
    __tablename__ = "exams_blueprint"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams_exam.id"), unique=True)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=90)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    exam: Mapped[Exam] = relationship()
    rules: Mapped[list[BlueprintRule]] = relationship(
        back_populates="blueprint", order_by="BlueprintRule.id",
        primaryjoin="and_(PaperBlueprint.id == BlueprintRule.blueprint_id, BlueprintRule.active)",
        viewonly=True)


class BlueprintRule(db.Model):
    """Draw ``count`` questions of ``qtype`` (from ``law``, or any law when empty), ``points`` each."""
    __tablename__ = "exams_blueprint_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("exams_blueprint.id"), index=True)
    qtype: Mapped[str] = mapped_column(String(4))
    law: Mapped[str] = mapped_column(String(100), default="")
    count: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    blueprint: Mapped[PaperBlueprint] = relationship(back_populates="rules")


class Paper(db.Model):
    """One candidate's online attempt: the drawn questions in order, the deadline, the score.

    ``points`` holds each drawn question's points, in the same order as ``question_ids``.
    """
    __tablename__ = "exams_paper"
    __table_args__ = (UniqueConstraint("exam_id", "person_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams_exam.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    question_ids: Mapped[list] = mapped_column(JSON)
    points: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    auto_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)

    exam: Mapped[Exam] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class PaperAnswer(db.Model):
    """The candidate's current answer to one question; ``revision`` goes up with every change."""
    __tablename__ = "exams_paper_answer"
    __table_args__ = (UniqueConstraint("paper_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("exams_paper.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("exams_question.id"))
    answer: Mapped[str] = mapped_column(String(8), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


MODELS = [Exam, Registration, Exemption, ExamResult, Question, PaperBlueprint, BlueprintRule, Paper, PaperAnswer]
