"""The report's charts on the home page (工作台), from the same figures as the report page.

Building the report costs a few hundred milliseconds on city data, so the chart data of a
(year, department) is kept for CACHE_SECONDS in the process (the report page itself is always
built fresh); the charts themselves are drawn once per content (see charts.py).
"""
from __future__ import annotations

import threading
import time
from datetime import date

from flask import current_app

from ..access import departments_in_scope
from .assemble import assemble

CACHE_SECONDS = 300
MAX_CHARTS = 4
MAX_LABELS = 10
_cache: dict[tuple[int, int], tuple[float, list[dict]]] = {}
_lock = threading.Lock()


def _department(user):
    if user.department_id:
        return user.department
    departments = departments_in_scope(user)
    return departments[0] if departments else None


def _glance(chart: dict) -> dict:
    """A chart cut to MAX_LABELS bars for a small card."""
    if chart.get("kind") == "bar" and len(chart["labels"]) > MAX_LABELS:
        return {**chart, "title": f"{chart['title']}（前{MAX_LABELS}个）", "labels": chart["labels"][:MAX_LABELS],
                "values": chart["values"][:MAX_LABELS]}
    return chart


def dashboard_charts(user) -> tuple[object, int, list[dict]]:
    """(department, year, charts) for the user's card: the first chart of each fragment this year,
    or last year's early in the year when this year has none yet."""
    from .drilldown import VIEW_ROLES
    if user.role not in VIEW_ROLES:
        return None, 0, []
    department = _department(user)
    if department is None:
        return None, 0, []
    year = date.today().year
    key = (year, department.id)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit and now - hit[0] < CACHE_SECONDS and not current_app.testing:
        return department, year, hit[1]
    charts = assemble(year, department, with_labels=True).get("charts") or []
    seen, picked = set(), []
    for chart in charts:
        ref = (chart["plugin"], chart["fragment"])
        if ref not in seen:
            seen.add(ref)
            picked.append(_glance(chart))
    picked = picked[:MAX_CHARTS]
    with _lock:
        _cache[key] = (now, picked)
    return department, year, picked
