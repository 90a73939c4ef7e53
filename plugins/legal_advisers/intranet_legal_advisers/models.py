"""The plugin's tables; each name starts with "legal_advisers_"."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint,
                        func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.extensions import db
from intranet.models import Department, Person

FIRM, LAWYER, PUBLIC = "律师事务所", "律师", "公职律师"
ADVISER_KINDS = [FIRM, LAWYER, PUBLIC]

STANDING, SPECIAL, PANEL = "常年法律顾问", "专项法律顾问", "法律顾问团"
FORMS = [STANDING, SPECIAL, PANEL]

DRAFT, ACTIVE, EXPIRED, TERMINATED = "草拟", "生效", "到期", "终止"
STATUSES = [DRAFT, ACTIVE, EXPIRED, TERMINATED]

LEGISLATION, DOCUMENT_REVIEW, DECISION_REVIEW, CONTRACT_REVIEW = "政府立法", "规范性文件审查", "重大行政决策合法性审查", "合同审查"
LETTER, LECTURE, LITIGATION, PETITION, RESEARCH, OTHER = ("出具律师函", "法治讲座", "行政复议/诉讼/仲裁代理",
                                                          "信访与突发事件", "课题研究", "其他")
SERVICE_KINDS = [LEGISLATION, DOCUMENT_REVIEW, DECISION_REVIEW, CONTRACT_REVIEW, LETTER, LECTURE, LITIGATION,
                 PETITION, RESEARCH, OTHER]
SERVICE_ACTIVE, SERVICE_WITHDRAWN = "有效", "已撤销"

EXCELLENT, COMPETENT, BASIC, INCOMPETENT = "优秀", "称职", "基本称职", "不称职"
GRADES = [EXCELLENT, COMPETENT, BASIC, INCOMPETENT]
RENEW, DISMISS = "续聘", "解聘"
DECISIONS = [RENEW, DISMISS]


class Adviser(db.Model):
    """A law firm, a lawyer or a 公职律师 (a member of staff, linked to the person record): the talent pool."""

    __tablename__ = "legal_advisers_adviser"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # 统一社会信用代码 of a firm, 执业证号 of a lawyer (a 公职律师 may have one); unique when given.
    code: Mapped[str | None] = mapped_column(String(18), unique=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("legal_advisers_adviser.id"), index=True)
    specialities: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    firm: Mapped[Adviser | None] = relationship(remote_side=[id])
    person: Mapped[Person | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def label(self) -> str:
        if self.kind == LAWYER and self.firm is not None:
            return f"{self.name}（{self.firm.name}）"
        if self.kind == PUBLIC and self.department is not None:
            return f"{self.name}（公职律师，{self.department.name}）"
        return self.name

    def audit_state(self) -> dict:
        return {"kind": self.kind, "name": self.name, "code": self.code, "firm": self.firm_id,
                "specialities": self.specialities, "phone": self.phone, "person": self.person_id,
                "department": self.department_id, "active": self.active}


class ContractAdviser(db.Model):
    """One adviser of a contract (a panel has several)."""

    __tablename__ = "legal_advisers_contract_adviser"
    __table_args__ = (UniqueConstraint("contract_id", "adviser_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("legal_advisers_contract.id"), index=True)
    adviser_id: Mapped[int] = mapped_column(ForeignKey("legal_advisers_adviser.id"), index=True)


class Contract(db.Model):
    """A 法律顾问 contract of a client department."""

    __tablename__ = "legal_advisers_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    form: Mapped[str] = mapped_column(String(20))
    start_on: Mapped[date] = mapped_column(Date, index=True)
    end_on: Mapped[date] = mapped_column(Date, index=True)
    fee: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=0)
    scope: Mapped[str] = mapped_column(Text, default="")
    confidentiality: Mapped[bool] = mapped_column(Boolean, default=False)
    conflict_free: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_on: Mapped[date | None] = mapped_column(Date)
    filed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT, index=True)
    end_reason: Mapped[str] = mapped_column(String(200), default="")
    ended_on: Mapped[date | None] = mapped_column(Date)
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("legal_advisers_contract.id"), index=True)
    override_reason: Mapped[str] = mapped_column(String(200), default="")
    scan_name: Mapped[str] = mapped_column(String(200), default="")
    scan_stored: Mapped[str] = mapped_column(String(64), default="")
    scan_mimetype: Mapped[str] = mapped_column(String(100), default="")
    scan_size: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    department: Mapped[Department] = relationship()
    advisers: Mapped[list[Adviser]] = relationship(secondary="legal_advisers_contract_adviser",
                                                   order_by="Adviser.id", viewonly=True)
    renewal_of: Mapped[Contract | None] = relationship(remote_side=[id])

    @property
    def adviser_names(self) -> str:
        return "、".join(a.name for a in self.advisers)

    @property
    def filed_late(self) -> bool:
        from .settings import get
        return bool(self.signed_on and self.filed_on and (self.filed_on - self.signed_on).days > int(get("filing_days")))

    def audit_state(self) -> dict:
        return {"number": self.number, "department": self.department_id, "form": self.form,
                "start_on": self.start_on.isoformat(), "end_on": self.end_on.isoformat(), "fee": str(self.fee),
                "confidentiality": self.confidentiality, "conflict_free": self.conflict_free,
                "signed_on": self.signed_on.isoformat() if self.signed_on else None,
                "filed_on": self.filed_on.isoformat() if self.filed_on else None, "status": self.status,
                "advisers": [a.id for a in self.advisers], "renewal_of": self.renewal_of_id}


class Service(db.Model):
    """One piece of work logged on a contract, with the client unit's rating."""

    __tablename__ = "legal_advisers_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("legal_advisers_contract.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    served_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    matter: Mapped[str] = mapped_column(String(300))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=0)
    outcome: Mapped[str] = mapped_column(String(500), default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(String(300), default="")
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A 法治讲座 linked to another plugin's session (answered through the adviser_lecture_sessions hook).
    lecture_ref: Mapped[str] = mapped_column(String(60), default="")
    lecture_label: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=SERVICE_ACTIVE, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    contract: Mapped[Contract] = relationship()
    department: Mapped[Department] = relationship()


class ServiceFile(db.Model):
    """An attachment of a service entry, stored under a generated name."""

    __tablename__ = "legal_advisers_service_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("legal_advisers_service.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Assessment(db.Model):
    """The yearly 考核 of a contract."""

    __tablename__ = "legal_advisers_assessment"
    __table_args__ = (UniqueConstraint("contract_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("legal_advisers_contract.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    services: Mapped[int] = mapped_column(Integer, default=0)
    avg_rating: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    scores: Mapped[list] = mapped_column(JSON, default=list)
    client_total: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=0)
    self_total: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=0)
    total: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=0)
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    veto_reason: Mapped[str] = mapped_column(String(200), default="")
    grade: Mapped[str] = mapped_column(String(10))
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    contract: Mapped[Contract] = relationship()


MODELS = [Adviser, ContractAdviser, Contract, Service, ServiceFile, Assessment]
