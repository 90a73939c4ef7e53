"""The answer to the certificates plugin's ``certificate_prerequisites``: the qualification exam."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from intranet.extensions import db

from . import settings
from .models import QUALIFICATION, Exam, ExamResult
from .person_results import LIMIT, person_results

LABEL = "行政执法资格考试"


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _day(exam: Exam) -> date | None:
    return exam.exam_date or (exam.opens_at.date() if exam.opens_at else None)


def _describe(exam: Exam, score) -> str:
    day = _day(exam)
    return f"{exam.title} 合格（{score:g}分，{day.isoformat() if day else '日期未知'}）"


def qualification(person, today: date | None = None) -> dict:
    """{"plugin", "key", "label", "met", "detail"} for ``person``."""
    today = today or date.today()
    years = int(settings.get("qualification_valid_years"))
    out = {"plugin": "exams", "key": "qualification_exam", "label": LABEL, "met": False, "detail": ""}
    if person.legal_qualification and settings.get("legal_qualification_exempt"):
        return {**out, "met": True, "detail": "持有法律职业资格，免考"}
    rows = db.session.execute(
        select(Exam, ExamResult.score).join(ExamResult, ExamResult.exam_id == Exam.id)
        .where(ExamResult.person_id == person.id, ExamResult.passed.is_(True), Exam.kind == QUALIFICATION,
               Exam.active.is_(True))).all()
    cutoff = _years_ago(today, years)
    recent = sorted(((e, s) for e, s in rows if (_day(e) or date.min) >= cutoff),
                    key=lambda r: _day(r[0]) or date.min, reverse=True)
    whole = [r for r in recent if not r[0].part]
    if whole:
        return {**out, "met": True, "detail": _describe(*whole[0])}
    parts = {}
    for exam, score in recent:
        parts.setdefault(exam.part, (exam, score))
    if "综合" in parts and "专业" in parts:
        return {**out, "met": True, "detail": "；".join(_describe(*parts[p]) for p in ("综合", "专业"))}
    if parts:
        missing = "专业" if "综合" in parts else "综合"
        return {**out, "detail": f"{_describe(*next(iter(parts.values())))}，{missing}科目近{years}年内尚未合格"}
    if rows:
        last = max(rows, key=lambda r: _day(r[0]) or date.min)
        return {**out, "detail": f"最近一次合格为{_describe(*last)}，已超过{years}年有效期"}
    return {**out, "detail": f"近{years}年内未通过行政执法资格考试"}


def exam_passes(person, year: int) -> list[dict]:
    """The law_study plugin's ``exam_passes``: each exam passed (first passing attempt) whose day
    falls in ``year``; ``person`` None: everyone's. Withdrawn exams do not count."""
    if person is not None:
        held = person_results(person.id)
        if len(held) <= LIMIT:   # the whole history: no statement of its own
            return _passes(_first_passes(held, person.id, year), year)
    stmt = (select(Exam, ExamResult.person_id, func.min(ExamResult.recorded_at))
            .join(ExamResult, ExamResult.exam_id == Exam.id)
            .where(ExamResult.passed.is_(True), ExamResult.status == "参考", Exam.active.is_(True),
                   Exam.year.between(year - 1, year + 1))
            .group_by(Exam.id, ExamResult.person_id).order_by(Exam.id, ExamResult.person_id))
    if person is not None:
        stmt = stmt.where(ExamResult.person_id == person.id)
    return _passes(db.session.execute(stmt), year)


def _first_passes(rows, person_id: int, year: int) -> list[tuple]:
    """The statement of :func:`exam_passes` over one person's (Exam, ExamResult) rows."""
    first = {}
    for exam, result in rows:
        if not (result.passed and result.status == "参考" and exam.active and exam.year is not None
                and year - 1 <= exam.year <= year + 1):
            continue
        _, _, seen = first.get(exam.id, (exam, person_id, None))
        recorded = result.recorded_at if seen is None else min(seen, result.recorded_at or seen)
        first[exam.id] = (exam, person_id, recorded)
    return [first[exam_id] for exam_id in sorted(first)]


def _passes(rows, year: int) -> list[dict]:
    out = []
    for exam, person_id, recorded in rows:
        day = _day(exam) or (recorded.date() if recorded else None)
        if day is None or day.year != year:
            continue
        out.append({"plugin": "exams", "ref": f"exams:{exam.id}", "person_id": person_id, "exam": exam.title,
                    "day": day, "hours": None})
    return out
