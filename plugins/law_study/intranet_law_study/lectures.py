"""The 法治专题讲座 a 法律顾问 service may be linked to: the answer to the legal_advisers plugin's
optional hook ``adviser_lecture_sessions`` (that plugin asks; neither imports the other)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from intranet.extensions import db

from .models import CANCELLED, HELD, LECTURE, StudySession

WINDOW_DAYS = 30     # "near the day": this many days before or after it
LIMIT = 20


def near(department, day: date) -> list[dict]:
    """The department's own lectures (not withdrawn) held or planned within WINDOW_DAYS of ``day``,
    nearest first: [{"ref": "law_study:<id>", "label": "2025-05-12 法治专题讲座：民法典（主讲：…）"}]."""
    if department is None or not isinstance(day, date):
        return []
    window = timedelta(days=WINDOW_DAYS)
    sessions = db.session.scalars(
        select(StudySession).where(StudySession.department_id == department.id, StudySession.kind == LECTURE,
                                   StudySession.status != CANCELLED, StudySession.held_on >= day - window,
                                   StudySession.held_on <= day + window).order_by(StudySession.held_on, StudySession.id))
    nearest = sorted(sessions, key=lambda s: abs((s.held_on - day).days))[:LIMIT]   # one unit's two months: few rows
    return [{"ref": f"law_study:{s.id}", "label": label(s)} for s in nearest]


def label(s: StudySession) -> str:
    text = f"{s.held_on.isoformat()} {LECTURE}：{s.topic}"
    if s.speaker:
        text += f"（主讲：{s.speaker}）"
    if s.status != HELD:
        text += f"（{s.status}）"
    return text[:200]
