"""Dashboard widgets and the person section (学法档案: hours by source, sessions, laws, the ledger)."""
from __future__ import annotations

from datetime import date
from functools import cache

from flask import url_for
from sqlalchemy import func, select

from intranet import counts
from intranet.access import scope_filter
from intranet.extensions import db
from intranet.hookspecs import PersonSection, Widget
from intranet.models import Department
from intranet.stored import computed, read, scope_key, scope_user

from . import settings
from .exam_credits import sync_and_commit
from .figures import (departments_without_session, exam_entries, people_behind_target, person_summary,
                      person_page_rows, person_year_rows, session_counts)
from .models import REPORTED, SOURCES, HoursEntry
from .service import fmt_hours
from .views.reminders import quarter

ADMIN_ROLES = ("admin", "bureau", "dept_admin", "inspector")


def dashboard_widgets(user) -> list[Widget]:
    year = date.today().year
    out = []
    if getattr(user, "person", None) is not None:
        s, _ = _person_year_summary(user.person, year)
        out.append(Widget("law_study", f"我的学法（{year}年）", order=30,
                          figures=[("已计入学时", s["hours"]), ("年度目标", s["target"]), ("待审核", s["pending"])],
                          links=[("学法档案与自学登记", url_for("law_study.mine"))]))
    if user.role in ADMIN_ROLES:
        stored = read(admin_figures, year, scope_key(user))
        figures = [("学时未达标人数", stored.value["behind_people"]), ("学法次数未达标单位", stored.value["behind_units"]),
                   ("本季度未开展学法的单位", stored.value["idle_units"])] if stored.ready else []
        links = [("学法活动", url_for("law_study.index")), ("提醒名单", url_for("law_study.reminders"))]
        if user.can_write:
            pending_cond = scope_filter(HoursEntry.department_id, user)
            # counts.remember keys on the statement's own values: only the unscoped one is shared
            pending_stmt = _pending_stmt() if pending_cond is None else _pending_stmt().where(pending_cond)
            figures.append(("待审核自学", counts.remember(pending_stmt, lambda: db.session.scalar(pending_stmt))))
            links.append(("审核自学学时", url_for("law_study.approvals")))
        out.append(Widget("law_study", f"学法（{year}年）", order=31, figures=figures, links=links, html=stored.note()))
    return out


@computed(version=1)
def admin_figures(year: int, scope) -> dict:
    """The heavy figures of the admin's card (over every ledger entry of the scope's year), stored."""
    user = scope_user(scope)

    def cond(column):
        return scope_filter(column, user)
    staff, meeting = people_behind_target(year, cond)
    pre_target, lecture_target = int(settings.get("pre_meeting_target")), int(settings.get("lecture_target"))
    per_unit = session_counts(year, cond, by_department=True)
    dept_stmt = select(Department.id).where(Department.active.is_(True))
    dept_cond = scope_filter(Department.id, user)
    if dept_cond is not None:
        dept_stmt = dept_stmt.where(dept_cond)
    departments = list(db.session.scalars(dept_stmt))
    behind = sum(1 for d in departments if per_unit.get(d, {}).get("pre_meeting", 0) < pre_target
                 or per_unit.get(d, {}).get("lectures", 0) < lecture_target)
    start, end = quarter(date.today())
    idle = len(departments_without_session(start, end, cond))
    return {"behind_people": staff - meeting, "behind_units": behind, "idle_units": idle}


@cache
def _pending_stmt():
    return select(func.count()).select_from(HoursEntry).where(HoursEntry.state == REPORTED)


def _person_year_summary(person, year: int, *, ledger: bool = False) -> tuple[dict, list | None]:
    """(person_summary, None) after the exam credits are brought up to date, the year's rows read
    once; with ``ledger``, the latest ledger entries instead of None, read in the same statement."""
    def rows():
        return person_page_rows(person.id, year) if ledger else (person_year_rows(person.id, year), None)
    year_rows, entries = rows()
    if sync_and_commit(year, person, existing=exam_entries(person.id, year_rows)):
        year_rows, entries = rows()   # a pass was credited (rare): read again
    return person_summary(person, year, year_rows), entries


def person_sections(person, viewer) -> list[PersonSection]:
    year = date.today().year
    s, entries = _person_year_summary(person, year, ledger=True)
    rows = [[e.day, e.source, fmt_hours(e.minutes), e.law, e.evidence, e.state + (f"（{e.return_reason}）" if e.return_reason else "")]
            for e in entries]
    figures = [(f"{year}年已计入学时", f"{s['hours']:g} / {s['target']}")]
    figures += [(source, s["by_source"][source]) for source in SOURCES if s["by_source"][source]]
    figures += [("参加学法活动", s["sessions"]), ("学习法律", "".join(s["laws"]) or "—")]
    links = [("下载学法档案（Word，供年度述职）", url_for("law_study.archive", person_id=person.id, year=year))]
    return [PersonSection("law_study", "学法学时", order=30, figures=figures,
                          columns=["日期", "来源", "学时", "法律", "佐证", "状态"], rows=rows, empty_text="暂无学时记录",
                          links=links)]
