"""One person's exam results with their exams, read once per transaction (again after a flush):
the person page's exam section and the ``exam_passes`` answer law_study asks for on the same page
share one statement."""
from __future__ import annotations

import functools

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from intranet.extensions import db

from .models import Exam, ExamResult

LIMIT = 200   # results listed on the person page; a longer history is not held (callers query instead)
KEY = "exams_person_results"


@functools.cache   # built once, the person bound per call
def _stmt():
    return (select(Exam, ExamResult).join(ExamResult, ExamResult.exam_id == Exam.id)
            .where(ExamResult.person_id == bindparam("person_id"))
            .order_by(Exam.year.desc(), Exam.id.desc(), ExamResult.attempt).limit(LIMIT + 1))


def person_results(person_id: int) -> list:
    """[(Exam, ExamResult)] newest exam first, at most LIMIT + 1 (more than LIMIT: the list is cut)."""
    held = db.session.info.setdefault(KEY, {})
    if person_id not in held:
        held[person_id] = db.session.execute(_stmt(), {"person_id": person_id}).all()
    return held[person_id]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget(session, *args) -> None:
    # anything written may be a result, and another transaction may see others: read again
    session.info.pop(KEY, None)
