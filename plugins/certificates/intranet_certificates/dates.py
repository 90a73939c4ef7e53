"""Calendar arithmetic for validity and review dates."""
from __future__ import annotations

import calendar
from datetime import date


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later (or earlier); the 31st becomes the month's last day."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)
