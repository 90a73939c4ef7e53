"""行政执法证 records. Nothing here is ever deleted: states change and events are appended."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        event, func)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from intranet.extensions import db
from intranet.models import Department, Person, User

from .states import EXPIRED, VALID

SUBJECT_KINDS = ["法定行政机关", "法律法规授权组织", "受委托组织"]
APPLICATION_STATUSES = ["待审核", "已批准", "已退回", "已撤回", "已发证"]
DECISIONS = ["保留", "收回", "公告注销"]
CAMPAIGN_OPEN, CAMPAIGN_CLOSED = "进行中", "已结束"


class EnforcementSubject(db.Model):
    """A department confirmed as an enforcement subject (执法主体资格确认)."""

    __tablename__ = "certificates_enforcement_subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    confirmed_on: Mapped[date] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(String(200), default="")  # 确认文件/文号
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    department: Mapped[Department] = relationship()

    def audit_state(self) -> dict:
        return {"kind": self.kind, "confirmed_on": self.confirmed_on.isoformat() if self.confirmed_on else None,
                "basis": self.basis, "active": self.active}


class CancellationNotice(db.Model):
    """A public notice (公告注销) declaring cards void that could not be recovered."""

    __tablename__ = "certificates_cancellation_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # The numbers as published; the cards also point back here (Certificate.notice_id).
    numbers: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Certificate(db.Model):
    """One card. Its number is unique and never reused; its history is in CertificateEvent."""

    __tablename__ = "certificates_certificate"
    # The roster (valid cards by unit): its per-unit count reads this index alone.
    __table_args__ = (Index("ix_certificates_certificate_roster", "status", "department_id", "valid_until",
                            "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # The holder's unit when the card was issued.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    issuing_authority: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(String(30), index=True)      # 执法类别
    region: Mapped[str] = mapped_column(String(100), default="")       # 执法区域
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    version: Mapped[str] = mapped_column(String(30), default="")
    photo_file: Mapped[str] = mapped_column(String(100), default="")   # generated name under uploads
    photo_name: Mapped[str] = mapped_column(String(200), default="")   # the uploaded file's own name
    status: Mapped[str] = mapped_column(String(10), default=VALID)   # indexed first in the roster index
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    last_review_on: Mapped[date | None] = mapped_column(Date)
    next_review_due: Mapped[date | None] = mapped_column(Date, index=True)
    last_enforcement_on: Mapped[date | None] = mapped_column(Date)     # 最近执法日期
    lost: Mapped[bool] = mapped_column(Boolean, default=False)
    # How the card came to be: application, import, reissue (遗失补办), renewal (换证换号), demo.
    origin: Mapped[str] = mapped_column(String(20), default="application")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificates_certificate.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("certificates_cancellation_notice.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    person: Mapped[Person] = relationship()
    department: Mapped[Department] = relationship()
    notice: Mapped[CancellationNotice | None] = relationship()
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Certificate {self.number} {self.status}>"

    @property
    def effective_status(self) -> str:
        """The status the public sees: a card past its date is 过期 even before the daily job ran."""
        if self.status == VALID and self.valid_until < date.today():
            return EXPIRED
        return self.status

    def audit_state(self) -> dict:
        return {"number": self.number, "status": self.status, "valid_until": self.valid_until.isoformat(),
                "category": self.category, "region": self.region, "lost": self.lost,
                "next_review_due": self.next_review_due.isoformat() if self.next_review_due else None}


class CertificateEvent(db.Model):
    """One step in a card's history (append-only)."""

    __tablename__ = "certificates_event"
    # the report's event figures read a card's events of one action and period from the index alone
    __table_args__ = (Index("ix_certificates_event_card_action", "certificate_id", "action", "happened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates_certificate.id"), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    certificate: Mapped[Certificate] = relationship()


class CertificateApplication(db.Model):
    """A department's application (申领) for one of its people, reviewed by the 司法局."""

    __tablename__ = "certificates_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(100), default="")
    photo_file: Mapped[str] = mapped_column(String(100), default="")
    photo_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="待审核", index=True)
    # The prerequisite checks as they stood at submission (list of dicts), never recomputed.
    checks: Mapped[list] = mapped_column(JSON, default=list)
    # The checks asked again when the 司法局 decided (approval rests on these), frozen with the decision.
    decision_checks: Mapped[list | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")                # the department's remark
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    applicant_name: Mapped[str] = mapped_column(String(50), default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewer_name: Mapped[str] = mapped_column(String(50), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")         # approval note or rejection reason
    # Recorded by hand when no plugin answers certificate_prerequisites (training and exam).
    manual_check: Mapped[bool | None] = mapped_column(Boolean)
    manual_note: Mapped[str] = mapped_column(String(500), default="")
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates_certificate.id"))
    # 撤回: the applying department withdrew a pending application.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by_name: Mapped[str] = mapped_column(String(50), default="", server_default="")

    person: Mapped[Person] = relationship()
    department: Mapped[Department] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])


class NumberCounter(db.Model):
    """The last serial used for one number prefix; its row is locked while a number is taken."""

    __tablename__ = "certificates_number_counter"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class CleanupCampaign(db.Model):
    """A 清理 over a department subtree: proposed candidates, department decisions, bureau checks."""

    __tablename__ = "certificates_cleanup_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=CAMPAIGN_OPEN, index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The figures as they stood at closing.
    figures: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == CAMPAIGN_OPEN


class CleanupCandidate(db.Model):
    """A card proposed in a campaign, with the department's decision and the bureau's check."""

    __tablename__ = "certificates_cleanup_candidate"
    __table_args__ = (UniqueConstraint("campaign_id", "certificate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("certificates_cleanup_campaign.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates_certificate.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    group: Mapped[str] = mapped_column("candidate_group", String(20), index=True)  # the first group matched
    groups: Mapped[str] = mapped_column(String(120), default="")                   # every group matched
    decision: Mapped[str | None] = mapped_column(String(10))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_name: Mapped[str] = mapped_column(String(50), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_by_name: Mapped[str] = mapped_column(String(50), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)

    campaign: Mapped[CleanupCampaign] = relationship()
    certificate: Mapped[Certificate] = relationship()


MODELS = [EnforcementSubject, CancellationNotice, Certificate, CertificateEvent, CertificateApplication,
          NumberCounter, CleanupCampaign, CleanupCandidate]


class EventsAreAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, CertificateEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise EventsAreAppendOnly("证件状态记录只能追加，不能修改或删除")
