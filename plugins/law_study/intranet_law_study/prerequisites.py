"""Answers to other plugins: the certificates plugin's prerequisite, and this plugin's study_hours."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from intranet.extensions import db

from . import settings
from .figures import person_summary
from .models import CREDITED, HoursEntry
from .service import fmt_hours


def _months_ago(today: date, months: int) -> date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, 28)


def training_hours(person, today: date | None = None) -> dict | None:
    """{"plugin", "key", "label", "met", "detail"}, or None when no minimum is configured."""
    minimum = int(settings.get("prerequisite_hours") or 0)
    if not minimum:
        return None
    today = today or date.today()
    months = int(settings.get("prerequisite_months"))
    since = _months_ago(today, months)
    minutes = db.session.scalar(select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
        HoursEntry.person_id == person.id, HoursEntry.state.in_(CREDITED), HoursEntry.day > since,
        HoursEntry.day <= today)) or 0
    return {"plugin": "law_study", "key": "training_hours", "label": f"近{months}个月学法培训不少于{minimum}学时",
            "met": minutes >= minimum * 60,
            "detail": f"近{months}个月（{since.isoformat()}起）已计入{fmt_hours(minutes)}学时"}


def study_hours(person, year: int) -> dict:
    from .exam_credits import sync
    sync(year, person)  # flushed in the asker's transaction; pages that show the ledger keep it
    s = person_summary(person, year)
    return {"plugin": "law_study", "year": year, "hours": s["hours"], "target": s["target"], "met": s["met"],
            "by_source": s["by_source"]}
