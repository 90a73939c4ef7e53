"""Coverage: which units of a subtree have an adviser in force on a day, which do not, and which are
covered but used no service in the twelve months before it; and the alerts built on the same data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.models import Department

from . import settings
from .models import ACTIVE, DRAFT, EXPIRED, TERMINATED, Assessment, Contract, Service, SERVICE_ACTIVE
from .service import active_on

GOVERNMENT, TOWNSHIP, DEPARTMENT = "人民政府", "乡镇(街道)", "部门"
CATEGORIES = [GOVERNMENT, TOWNSHIP, DEPARTMENT]


def category(kind: str) -> str:
    if kind in ("市", "县(区)"):
        return GOVERNMENT
    if kind == "乡镇(街道)":
        return TOWNSHIP
    return DEPARTMENT


def unit_name(dept: Department) -> str:
    """"永安市" as a client is 永安市人民政府; other units keep their name."""
    if dept.kind in ("市", "县(区)") and not dept.name.endswith("政府"):
        return f"{dept.name}人民政府"
    return dept.name


@dataclass
class Coverage:
    day: date
    units: list = field(default_factory=list)        # every active department of the subtree
    covered: set = field(default_factory=set)         # ids with a contract in force on ``day``
    served: set = field(default_factory=set)          # ids with a service in the 12 months up to ``day``

    @property
    def without(self):
        return [u for u in self.units if u.id not in self.covered]

    @property
    def idle(self):
        return [u for u in self.units if u.id in self.covered and u.id not in self.served]

    def counts(self) -> dict:
        out = {}
        for name in CATEGORIES:
            units = [u for u in self.units if category(u.kind) == name]
            covered = sum(1 for u in units if u.id in self.covered)
            out[name] = {"total": len(units), "covered": covered, "rate": rate(covered, len(units))}
        covered = sum(1 for u in self.units if u.id in self.covered)
        out["合计"] = {"total": len(self.units), "covered": covered, "rate": rate(covered, len(self.units))}
        return out


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0


def compute(top: Department | None, day: date, scope=None) -> Coverage:
    """Coverage of ``top``'s subtree (None: the whole tree) on ``day``; ``scope`` a condition on Department.id."""
    stmt = select(Department).where(Department.active.is_(True)).order_by(Department.path)
    if top is not None:
        stmt = stmt.where(top.subtree_filter())
    if scope is not None:
        stmt = stmt.where(scope)
    units = list(db.session.scalars(stmt))
    ids = select(Department.id).where(Department.active.is_(True))
    if top is not None:
        ids = ids.where(top.subtree_filter())
    covered = set(db.session.scalars(select(Contract.department_id).distinct()
                                     .where(active_on(day), Contract.department_id.in_(ids))))
    served = set(db.session.scalars(select(Service.department_id).distinct().where(
        Service.status == SERVICE_ACTIVE, Service.served_on > day - timedelta(days=365), Service.served_on <= day,
        Service.department_id.in_(ids))))
    return Coverage(day, units, covered, served)


# --- alerts ----------------------------------------------------------------------------------

def _scoped(stmt, scope):
    """``scope``: the user's scope as a condition on Contract.department_id (scope_filter), or None.
    The alert lists name each contract's unit: loaded with it."""
    stmt = stmt.options(joinedload(Contract.department))
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt


def ending(scope, today: date, days: int = 90) -> list[Contract]:
    stmt = (select(Contract).where(Contract.status == ACTIVE, Contract.end_on >= today,
                                   Contract.end_on <= today + timedelta(days=days)).order_by(Contract.end_on, Contract.id))
    return list(db.session.scalars(_scoped(stmt, scope)))


def assessments_due(scope, today: date) -> list[tuple[Contract, int]]:
    """Contracts in force during last year without last year's assessment, and contracts that ended
    this year without this year's."""
    last = today.year - 1
    def missing(year):
        return ~exists().where(Assessment.contract_id == Contract.id, Assessment.year == year)
    in_last = and_(Contract.status != DRAFT, Contract.start_on <= date(last, 12, 31), Contract.end_on >= date(last, 1, 1),
                   or_(Contract.ended_on.is_(None), Contract.ended_on >= date(last, 1, 1)), missing(last))
    ended_now = and_(Contract.status.in_([EXPIRED, TERMINATED]),
                     or_(and_(Contract.status == EXPIRED, Contract.end_on >= date(today.year, 1, 1)),
                         and_(Contract.status == TERMINATED, Contract.ended_on >= date(today.year, 1, 1),
                              Contract.start_on <= Contract.ended_on)),
                     missing(today.year))
    out = [(c, last) for c in db.session.scalars(_scoped(select(Contract).where(in_last).order_by(Contract.id), scope))]
    out += [(c, today.year) for c in db.session.scalars(_scoped(select(Contract).where(ended_now).order_by(Contract.id),
                                                                   scope))]
    return out


def filed_late(scope, today: date) -> list[Contract]:
    days = int(settings.get("filing_days"))
    contracts = db.session.scalars(_scoped(select(Contract).where(Contract.status != DRAFT, Contract.signed_on.is_not(None))
                                           .order_by(Contract.signed_on.desc(), Contract.id), scope))
    return [c for c in contracts
            if (c.filed_on is not None and (c.filed_on - c.signed_on).days > days)
            or (c.filed_on is None and (today - c.signed_on).days > days)]
