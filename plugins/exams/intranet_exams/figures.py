"""Participation and pass figures, one GROUP BY query each.

Per registration (not cancelled) the query knows: approved exemption? any 参考 attempt? any 缺考?
any passed attempt? From those:

- preregistered: still 预报名 (those confirmed since count as registered only)
- registered: 已报名
- exempt: registered with an approved exemption
- required: registered − exempt
- sat: required people with at least one 参考 attempt
- absent: required people marked 缺考 and never 参考
- passed: required people with a passed attempt (the best attempt counts)
- participation_rate = sat / required, pass_rate = passed / sat (0 when there is nothing to divide)
- units: departments with at least one person who sat
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import and_, case, distinct, func, or_, select, true

from intranet.access import scope_filter
from intranet.extensions import db
from intranet.models import Department
from intranet.stored import Stored, computed, read, scope_user

from .models import Exam, ExamResult, Exemption, Registration

KEYS = ["registered", "preregistered", "required", "sat", "absent", "exempt", "passed", "pending",
        "participation_rate", "pass_rate", "units"]
LABELS = {"registered": "报名", "preregistered": "预报名", "required": "应考", "sat": "参考", "absent": "缺考",
          "exempt": "免考", "passed": "合格", "pending": "待录入", "participation_rate": "参考率",
          "pass_rate": "通过率", "units": "参加单位"}


def _flags(exams=None):
    """Registrations joined with per-person result flags and exemption, as a subquery; ``exams``
    (a select of exam ids) limits the results and exemptions grouped to those exams."""
    res = (select(ExamResult.exam_id, ExamResult.person_id,
                  func.max(case((ExamResult.status == "参考", 1), else_=0)).label("sat"),
                  func.max(case((ExamResult.status == "缺考", 1), else_=0)).label("absent"),
                  func.max(case((ExamResult.passed.is_(True), 1), else_=0)).label("passed"))
           .group_by(ExamResult.exam_id, ExamResult.person_id))
    exm = (select(Exemption.exam_id, Exemption.person_id).where(Exemption.status == "已批准")
           .group_by(Exemption.exam_id, Exemption.person_id))
    if exams is not None:
        res, exm = res.where(ExamResult.exam_id.in_(exams)), exm.where(Exemption.exam_id.in_(exams))
    res, exm = res.subquery(), exm.subquery()
    registered = Registration.status == "已报名"
    exempt = and_(registered, exm.c.person_id.is_not(None))
    required = and_(registered, exm.c.person_id.is_(None))
    sat = and_(required, func.coalesce(res.c.sat, 0) == 1)
    return (select(
        Registration.id.label("registration_id"), Registration.exam_id, Registration.department_id,
        case((registered, 1), else_=0).label("registered"),
        case((Registration.status == "预报名", 1), else_=0).label("preregistered"),
        case((exempt, 1), else_=0).label("exempt"),
        case((required, 1), else_=0).label("required"),
        case((sat, 1), else_=0).label("sat"),
        case((and_(required, func.coalesce(res.c.sat, 0) == 0, res.c.absent == 1), 1), else_=0).label("absent"),
        case((and_(required, res.c.passed == 1), 1), else_=0).label("passed"),
        case((sat, Registration.department_id), else_=None).label("sat_department"),
    ).select_from(Registration)
        .outerjoin(res, and_(res.c.exam_id == Registration.exam_id, res.c.person_id == Registration.person_id))
        .outerjoin(exm, and_(exm.c.exam_id == Registration.exam_id, exm.c.person_id == Registration.person_id))
        .where(Registration.status != "已取消"))


def _aggregates(f):
    return [func.coalesce(func.sum(f.c[k]), 0).label(k)
            for k in ("registered", "preregistered", "exempt", "required", "sat", "absent", "passed")] + [
        func.count(distinct(f.c.sat_department)).label("units")]


def _finish(row) -> dict:
    d = {k: int(row[k] or 0) for k in ("registered", "preregistered", "exempt", "required", "sat",
                                       "absent", "passed", "units")}
    d["pending"] = max(d["required"] - d["sat"] - d["absent"], 0)
    d["participation_rate"] = rate(d["sat"], d["required"])
    d["pass_rate"] = rate(d["passed"], d["sat"])
    return d


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def flags(*, exam_ids=None, exam_cond=None, department_cond=None):
    """The per-registration flags (registration_id, exam_id, department_id, registered, … passed,
    sat_department) of the registrations matching the filters, as a select (see :func:`compute`)."""
    exams = None
    if exam_ids is not None:
        exams = list(exam_ids)
    if exam_cond is not None:
        exams = select(Exam.id).where(exam_cond, Exam.id.in_(exams) if exams is not None else true())
    f = _flags(exams)
    if exams is not None:
        f = f.where(Registration.exam_id.in_(exams))
    if department_cond is not None:
        f = f.where(department_cond(Registration.department_id))
    return f


def finished(at: datetime):
    """A condition on Exam: over by ``at`` (an online exam closed, an offline one held on or before
    that day); an exam still open or to come is not counted in a year's rates."""
    return or_(and_(Exam.closes_at.is_not(None), Exam.closes_at <= at),
               and_(Exam.closes_at.is_(None), or_(Exam.exam_date.is_(None), Exam.exam_date <= at.date())))


def compute(*, exam_ids=None, exam_cond=None, department_cond=None, group_by: str | None = None):
    """Figures for registrations matching the filters.

    ``exam_cond`` is a condition on Exam; ``department_cond`` a condition on a department-id column
    made by ``department_cond(column)``. ``group_by``: None (one dict), "exam", "department" or "kind".
    """
    f = flags(exam_ids=exam_ids, exam_cond=exam_cond, department_cond=department_cond).subquery()
    if group_by is None:
        row = db.session.execute(select(*_aggregates(f))).mappings().one()
        return _finish(row)
    if group_by == "exam":
        key = f.c.exam_id
        stmt = select(key.label("key"), *_aggregates(f)).group_by(key)
    elif group_by == "department":
        key = f.c.department_id
        stmt = select(key.label("key"), *_aggregates(f)).group_by(key)
    elif group_by == "kind":
        key = Exam.kind
        stmt = (select(key.label("key"), *_aggregates(f)).select_from(f)
                .join(Exam, Exam.id == f.c.exam_id).group_by(key))
    else:
        raise ValueError(group_by)
    return {row["key"]: _finish(row) for row in db.session.execute(stmt).mappings()}


SUMMED = ("registered", "preregistered", "exempt", "required", "sat", "absent", "passed")


def grid(*, exam_cond=None, department_cond=None) -> list[dict]:
    """One GROUP BY (exam, department) row of sums each; :func:`combine` folds rows into figures
    (the report groups them by exam, kind, department and in total without querying again)."""
    f = flags(exam_cond=exam_cond, department_cond=department_cond).subquery()
    stmt = (select(f.c.exam_id, f.c.department_id, Exam.kind,
                   *[func.coalesce(func.sum(f.c[k]), 0).label(k) for k in SUMMED])
            .join(Exam, Exam.id == f.c.exam_id).group_by(f.c.exam_id, f.c.department_id, Exam.kind))
    return [dict(row) for row in db.session.execute(stmt).mappings()]


def combine(rows) -> dict:
    """Figures of grid rows (units: departments with someone who sat)."""
    d = {k: 0 for k in SUMMED}
    units = set()
    for row in rows:
        for k in SUMMED:
            d[k] += int(row[k] or 0)
        if row["sat"]:
            units.add(row["department_id"])
    d["units"] = len(units)
    return _finish(d)


def exam_figures(exam_id: int, department_cond=None) -> dict:
    return compute(exam_ids=[exam_id], department_cond=department_cond)


SUMMARY_SECONDS = 60   # a large exam's summary is fresh for a minute (results come in by the minute)


@computed(version=1, seconds=SUMMARY_SECONDS)
def stored_summary(exam_id: int, scope) -> dict:
    """An exam's figures over the registrations of ``scope`` (intranet.stored.scope_key)."""
    user = scope_user(scope)
    if scope_filter(Department.id, user) is None:
        return exam_figures(exam_id)
    return exam_figures(exam_id, lambda column: scope_filter(column, user))


def exam_summary(exam_id: int, department_cond, scope, registrations: int) -> tuple[dict | None, Stored | None]:
    """An exam page's figures, and the Stored they come from when they are stored (else None).

    Up to EXAMS_LIVE_FIGURES_UP_TO ``registrations`` (the exam's, in the viewer's scope) they are
    computed for every view, over ``department_cond``; above it the aggregate over every
    registration (seconds at a province's 200,000) is a stored figure (intranet.stored) of the
    exam and ``scope`` (the scope_key that ``department_cond`` stands for; None: never stored),
    refreshed by the worker when older than SUMMARY_SECONDS: the figures are None until first
    computed.
    """
    if scope is None or registrations <= current_app.config["EXAMS_LIVE_FIGURES_UP_TO"]:
        return exam_figures(exam_id, department_cond), None
    figure = read(stored_summary, exam_id, scope)
    return figure.value, figure


def by_department(*, exam_ids=None, exam_cond=None, department_cond=None) -> list[tuple[Department, dict]]:
    """(department, figures) sorted by the tree, for departments with registrations."""
    figures = compute(exam_ids=exam_ids, exam_cond=exam_cond, department_cond=department_cond,
                      group_by="department")
    if not figures:
        return []
    departments = db.session.scalars(select(Department).where(Department.id.in_(list(figures)))
                                     .order_by(Department.path)).all()
    return [(d, figures[d.id]) for d in departments]


def empty() -> dict:
    return _finish({k: 0 for k in ("registered", "preregistered", "exempt", "required", "sat", "absent",
                                   "passed", "units")})

