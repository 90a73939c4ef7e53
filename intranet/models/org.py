"""Departments (a tree) and people (staff records, not logins)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..idnumber import mask_id_number
from ..pinyin import name_key_default, sort_key

DEPARTMENT_KINDS = ["市", "县(区)", "乡镇(街道)", "市直部门", "县(区)直部门", "其他"]
STAFFING_TYPES = ["行政编制", "事业编制", "合同工", "临时工", "劳务派遣", "公益性岗位"]
FORMAL_STAFFING = {"行政编制", "事业编制"}
PERSON_STATUSES = ["在岗", "调离", "退休", "辞职", "开除", "辞退", "病休"]


class Department(db.Model):
    """A unit in the 市 → 县(区) → 乡镇(街道) tree, or a 市直/县直 department.

    ``path`` is the materialised chain of ids ("/1/7/31/") so that a whole subtree is one
    indexed ``LIKE`` away.
    """

    __tablename__ = "department"
    # varchar_pattern_ops lets PostgreSQL use the index for "path LIKE '/1/7/%'"; that index
    # cannot give "ORDER BY path", the plain one can.
    __table_args__ = (Index("ix_department_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
                      Index("ix_department_path_sorted", "path"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    path: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    parent: Mapped[Department | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def tree_label(self) -> str:
        """The name indented by depth, for department select boxes."""
        return "　" * max(self.depth, 0) + self.name

    def is_within(self, other: Department) -> bool:
        """True when this department is ``other`` or below it."""
        return self.path.startswith(other.path)

    def subtree_filter(self, column=None):
        """A SQL condition selecting this department and everything below it.

        ``column`` is a department-id column of another table; it defaults to Department.id.
        """
        if column is None:
            return Department.path.startswith(self.path, autoescape=True)
        return column.in_(select(Department.id).where(Department.path.startswith(self.path, autoescape=True)))

    def ancestors(self) -> list[Department]:
        ids = [int(i) for i in self.path.strip("/").split("/") if i][:-1]
        if not ids:
            return []
        found = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    def compute_path(self) -> str:
        base = self.parent.path if self.parent is not None else "/"
        return f"{base}{self.id}/"


class Person(db.Model):
    """A member of staff. People who leave are marked by ``status``, never removed."""

    __tablename__ = "person"
    # The people list's filters, then the unit: its per-unit counts (the pager) read this index alone.
    __table_args__ = (Index("ix_person_list", "status", "staffing", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    # Lists sort people by this (pinyin), kept in step with ``name`` on insert and ORM changes.
    # Byte order ("C") on PostgreSQL, as SQLite compares: a locale collation would skip the spaces.
    name_key: Mapped[str] = mapped_column(String(200).with_variant(String(200, collation="C"), "postgresql"),
                                          index=True, default=name_key_default, server_default="")
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    staffing: Mapped[str] = mapped_column(String(20))
    enforcement_post: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="在岗")   # first in ix_person_list
    status_changed_on: Mapped[date | None] = mapped_column(Date)
    legal_qualification: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    department: Mapped[Department] = relationship()

    @validates("name")
    def _keep_name_key(self, _key, value):
        self.name_key = sort_key(value)
        return value

    def __repr__(self) -> str:
        return f"<Person {self.name}>"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_formal_staff(self) -> bool:
        return self.staffing in FORMAL_STAFFING

    @property
    def on_duty(self) -> bool:
        return self.status == "在岗"

    def audit_state(self) -> dict:
        return {
            "name": self.name, "id_number": self.masked_id_number, "department": self.department_id,
            "title": self.title, "staffing": self.staffing, "enforcement_post": self.enforcement_post,
            "status": self.status,
            "status_changed_on": self.status_changed_on.isoformat() if self.status_changed_on else None,
            "legal_qualification": self.legal_qualification, "phone": self.phone,
        }
