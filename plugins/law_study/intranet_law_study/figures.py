"""Study figures, set-based: one GROUP BY query each, over a department condition and a year.

A department condition is a function ``cond(column)`` giving a SQL condition on a department-id
column (``Department.subtree_filter`` for the report, ``intranet.access.scope_filter`` for a
viewer) or None for no limit.

- Sessions count when 已举行 in the year, by the department that held them; attendances and
  participants are the people present at those sessions.
- Hours are the credited ledger entries (已审核, 已锁定) of the year, by the department the entry
  was made in, with the per-source caps applied per person (hours beyond a cap do not count).
- Targets are judged per person in post now in the departments, on all their hours of the year.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import (Date, Integer, String, and_, bindparam, case, cast, distinct, except_, func, literal, literal_column,
                        null, or_, select, true, union_all)

from intranet.extensions import db
from intranet.models import Department, Person

from . import settings
from .models import (CREDITED, EXAM, HELD, LECTURE, MEETING, PRE_MEETING_KINDS, PRESENT, REPORTED, SOURCES, TRAINING, PLAN_ACTIVE, Attendance, HoursEntry, PlanItem, SessionLaw, StudySession)

IN_POST = "在岗"


def _cond(cond, column):
    if cond is None:
        return true()
    value = cond(column)
    return true() if value is None else value


def hours(minutes) -> float:
    return round((minutes or 0) / 60, 1)


def _in_post(cond):
    return and_(Person.status == IN_POST, _cond(cond, Person.department_id))


def _with_hours(year: int, cond):
    """(select of (person_id, minutes), the minutes' expression): the in-post people of the
    departments with credited hours in ``year``, their minutes with the source caps applied per
    person. Callers add ``having(minutes … target)``.

    The ledger's sums per person and source are joined (inner) to the people and grouped per
    person, as in :class:`HoursTally`: a LEFT JOIN of every person to a per-person aggregate left
    PostgreSQL without statistics a nested loop computing the aggregate once per person (over two
    minutes at city scale). The people without hours are :func:`_without_hours`."""
    entries = _entries_of_people(cond)
    by_source = (select(HoursEntry.person_id, HoursEntry.source, func.sum(HoursEntry.minutes).label("m"))
                 .where(HoursEntry.year == year, HoursEntry.state.in_(CREDITED), true() if entries is None else entries)
                 .group_by(HoursEntry.person_id, HoursEntry.source).subquery())
    from .service import cap_minutes
    whens = [(and_(by_source.c.source == source, by_source.c.m > cap), literal(cap))
             for source, cap in cap_minutes().items() if cap]
    minutes = func.sum(case(*whens, else_=by_source.c.m) if whens else by_source.c.m)
    stmt = (select(Person.id.label("person_id"), minutes.label("minutes"))
            .join(by_source, by_source.c.person_id == Person.id).where(_in_post(cond))
            .group_by(Person.id, Person.enforcement_post))
    return stmt, minutes


def _without_hours(year: int, cond, target_cond):
    """A subquery (person_id): the in-post people of the departments, with ``target_cond`` on their
    target, who have no credited hours in ``year``. A set difference (EXCEPT), hashed or sorted
    whatever the estimates: without statistics PostgreSQL ran a NOT EXISTS as a nested loop over
    the year's entries once per person (18 s at city scale)."""
    entries = _entries_of_people(cond)
    credited = select(HoursEntry.person_id).where(HoursEntry.year == year, HoursEntry.state.in_(CREDITED),
                                                  true() if entries is None else entries)
    return except_(select(Person.id.label("person_id")).where(_in_post(cond), target_cond), credited).subquery()


def _targets():
    """(each person's yearly target in minutes as SQL — enforcement staff may have their own —,
    whether some target is 0 or less: then people without any hours meet it too)."""
    general = int(settings.get("person_hours_target")) * 60
    special = int(settings.get("enforcement_hours_target") or 0) * 60
    some_zero = general <= 0 or special < 0
    if not special:
        return literal(general), some_zero
    return case((Person.enforcement_post.is_(True), literal(special)), else_=literal(general)), some_zero


def people_behind_target(year: int, cond) -> tuple[int, int]:
    """(people in post in the departments, of whom at or above their target)."""
    staff = select(func.count(Person.id)).where(_in_post(cond)).scalar_subquery()
    meeting = select(func.count()).select_from(_meeting_target(year, cond).subquery()).scalar_subquery()
    row = db.session.execute(select(staff, meeting)).one()
    return int(row[0] or 0), int(row[1] or 0)


def _meeting_target(year: int, cond):
    """The ids of the people in post in the departments at or above their hours target."""
    target, some_zero = _targets()
    with_hours, minutes = _with_hours(year, cond)
    meeting = select(with_hours.having(minutes >= target).subquery().c.person_id)
    if not some_zero:
        return meeting
    # then people with no hours at all meet it too
    return union_all(meeting, select(_without_hours(year, cond, target <= 0).c.person_id))


def _entries_of_people(cond):
    """A condition on ledger entries: those of the people in post in the departments (None: no
    limit), so that a unit's figures total its people's entries, not the whole province's."""
    if cond is None or cond(Person.department_id) is None:
        return None
    return HoursEntry.person_id.in_(select(Person.id).where(Person.status == IN_POST, cond(Person.department_id)))


def behind_target_stmt(year: int, cond):
    """People in post in the departments below their hours target: (Person, credited minutes, target minutes)."""
    target, _some_zero = _targets()
    with_hours, minutes = _with_hours(year, cond)
    without = _without_hours(year, cond, literal(0) < target)
    behind = union_all(with_hours.having(minutes < target), select(without.c.person_id, literal(0))).subquery()
    # Person itself unfiltered: joined by id to the few behind (the conditions are inside).
    return (select(Person, behind.c.minutes.label("minutes"), target.label("target"))
            .join(behind, behind.c.person_id == Person.id)
            .order_by(Person.department_id, behind.c.minutes, Person.name_key, Person.name, Person.id))


def departments_without_session(start, end, cond) -> list[Department]:
    """Active departments with people in post but no held session between ``start`` and ``end``."""
    held = select(StudySession.department_id).where(StudySession.status == HELD, StudySession.held_on >= start,
                                                    StudySession.held_on <= end)
    staffed = select(Person.department_id).where(Person.status == IN_POST)
    return list(db.session.scalars(select(Department).where(
        Department.active.is_(True), _cond(cond, Department.id), Department.id.in_(staffed),
        Department.id.not_in(held)).order_by(Department.path)))


def _held(year: int, cond):
    return and_(StudySession.year == year, StudySession.status == HELD, _cond(cond, StudySession.department_id))


def session_counts(year: int, cond, by_department: bool = False):
    """{total, pre_meeting, lectures, trainings} (or per department id)."""
    cols = [func.count(StudySession.id),
            func.coalesce(func.sum(case((StudySession.kind.in_(PRE_MEETING_KINDS), 1), else_=0)), 0),
            func.coalesce(func.sum(case((StudySession.kind == LECTURE, 1), else_=0)), 0),
            func.coalesce(func.sum(case((StudySession.kind == TRAINING, 1), else_=0)), 0)]
    keys = ("total", "pre_meeting", "lectures", "trainings")
    if not by_department:
        row = db.session.execute(select(*cols).where(_held(year, cond))).one()
        return dict(zip(keys, (int(v or 0) for v in row)))
    rows = db.session.execute(select(StudySession.department_id, *cols).where(_held(year, cond))
                              .group_by(StudySession.department_id)).all()
    return {r[0]: dict(zip(keys, (int(v or 0) for v in r[1:]))) for r in rows}


def plan_counts(year: int, cond, by_department: bool = False):
    """(planned items, items fulfilled by a held session), in total or per department id."""
    fulfilled = (select(StudySession.id).where(StudySession.plan_item_id == PlanItem.id, StudySession.status == HELD)
                 .correlate(PlanItem).exists())
    cols = [func.count(PlanItem.id), func.coalesce(func.sum(case((fulfilled, 1), else_=0)), 0)]
    where = and_(PlanItem.year == year, PlanItem.status == PLAN_ACTIVE, _cond(cond, PlanItem.department_id))
    if not by_department:
        row = db.session.execute(select(*cols).where(where)).one()
        return int(row[0] or 0), int(row[1] or 0)
    rows = db.session.execute(select(PlanItem.department_id, *cols).where(where).group_by(PlanItem.department_id))
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}


class HoursTally:
    """The year's credited hours of a subtree in one statement (the same rules as
    :func:`_with_hours`): minutes per department of the subtree (caps per person, department and
    source), and the in-post people of the subtree with how many meet their target (caps per person
    and source, on all their hours of the year wherever entered)."""

    def __init__(self, year: int, department):
        in_tree = select(Department.id).where(Department.path.startswith(department.path, autoescape=True))
        per = (select(HoursEntry.person_id, HoursEntry.department_id, HoursEntry.source,
                      func.sum(HoursEntry.minutes).label("m"))
               .where(HoursEntry.year == year, HoursEntry.state.in_(CREDITED))
               .group_by(HoursEntry.person_id, HoursEntry.department_id, HoursEntry.source))
        if department.parent_id is not None:      # the whole tree needs no filter
            per = per.where(or_(HoursEntry.department_id.in_(in_tree), HoursEntry.person_id.in_(
                select(Person.id).where(Person.department_id.in_(in_tree)))))
        per = per.cte("per").prefix_with("MATERIALIZED")    # one pass over the ledger, read twice below
        from .service import cap_minutes
        caps = {source: cap for source, cap in cap_minutes().items() if cap}

        def capped(rows):
            whens = [(and_(rows.c.source == source, rows.c.m > cap), literal(cap)) for source, cap in caps.items()]
            return case(*whens, else_=rows.c.m) if whens else rows.c.m

        by_source = (select(per.c.person_id, per.c.source, func.sum(per.c.m).label("m"))
                     .group_by(per.c.person_id, per.c.source).subquery())
        totals = select(by_source.c.person_id, func.sum(capped(by_source)).label("minutes")) \
            .group_by(by_source.c.person_id).subquery()
        units = (select(literal("unit"), per.c.department_id, func.sum(capped(per)), literal(0))
                 .where(per.c.department_id.in_(in_tree)).group_by(per.c.department_id))
        # The in-post people and those meeting their target as two counts, the second an inner join:
        # a LEFT JOIN of every person to the aggregate leaves the planner, when its statistics are
        # missing or old, a nested loop scanning the aggregate once per person (minutes, not ms).
        in_post = and_(Person.status == IN_POST, Person.department_id.in_(in_tree))
        staff = select(func.count(Person.id)).where(in_post).scalar_subquery()
        target, some_zero = _targets()
        meeting_people = (select(Person.id).join(by_source, by_source.c.person_id == Person.id).where(in_post)
                          .group_by(Person.id, Person.enforcement_post)
                          .having(func.sum(capped(by_source)) >= target).subquery())
        meeting = select(func.count()).select_from(meeting_people).scalar_subquery()
        if some_zero:   # then people with no hours at all meet it too (a set difference, as _without_hours)
            without = except_(select(Person.id).where(in_post, target <= 0), select(totals.c.person_id)).subquery()
            meeting = meeting + select(func.count()).select_from(without).scalar_subquery()
        people = select(literal("people"), literal(None, Integer), staff, meeting)
        self.by_department: dict[int, int] = {}
        self.staff = self.meeting = 0
        for tag, did, a, b in db.session.execute(union_all(units, people)):
            if tag == "unit":
                self.by_department[did] = int(a or 0)
            else:
                self.staff, self.meeting = int(a or 0), int(b or 0)
        self.minutes = sum(self.by_department.values())


def compute(year: int, department, tally: HoursTally | None = None) -> dict:
    """The report's figures for ``department``'s subtree and ``year``."""
    cond = department.subtree_filter
    sessions = session_counts(year, cond)
    att = db.session.execute(
        select(func.count(Attendance.id), func.count(distinct(Attendance.person_id)))
        .join(StudySession, StudySession.id == Attendance.session_id)
        .where(_held(year, cond), Attendance.status == PRESENT)).one()
    tally = tally or HoursTally(year, department)
    person_minutes, staff, meeting = tally.minutes, tally.staff, tally.meeting
    laws = db.session.scalar(select(func.count(distinct(SessionLaw.name)))
                             .join(StudySession, StudySession.id == SessionLaw.session_id).where(_held(year, cond)))
    per_dept = session_counts(year, cond, by_department=True)
    pre_target, lecture_target = int(settings.get("pre_meeting_target")), int(settings.get("lecture_target"))
    meeting_departments = sum(1 for c in per_dept.values()
                              if c["pre_meeting"] >= pre_target and c["lectures"] >= lecture_target)
    if pre_target == 0 and lecture_target == 0:
        meeting_departments = db.session.scalar(select(func.count()).select_from(Department).where(
            Department.active.is_(True), cond()))
    plan_items, plan_items_held = plan_counts(year, cond)
    return {
        "sessions_total": sessions["total"], "sessions_pre_meeting": sessions["pre_meeting"],
        "lectures": sessions["lectures"], "trainings": sessions["trainings"],
        "attendances": int(att[0] or 0), "participants": int(att[1] or 0),
        "person_hours_total": hours(person_minutes),
        "hours_per_person": round(person_minutes / 60 / staff, 1) if staff else 0.0,
        "staff_meeting_target": meeting, "target_rate": round(meeting / staff, 4) if staff else 0.0,
        "departments_meeting_session_target": meeting_departments,
        "laws_studied_count": int(laws or 0),
        "plan_items": plan_items, "plan_items_held": plan_items_held,
    }


def top_laws(year: int, department, limit: int = 5) -> list[str]:
    rows = db.session.execute(
        select(SessionLaw.name, func.count()).join(StudySession, StudySession.id == SessionLaw.session_id)
        .where(_held(year, department.subtree_filter)).group_by(SessionLaw.name)
        .order_by(func.count().desc(), SessionLaw.name).limit(limit)).all()
    return [name for name, _n in rows]


def by_department(year: int, department, tally: HoursTally | None = None) -> list[list]:
    """Rows of the report's table: each department of the subtree with sessions or hours."""
    cond = department.subtree_filter
    sessions = session_counts(year, cond, by_department=True)
    present = dict(db.session.execute(
        select(StudySession.department_id, func.count(Attendance.id))
        .join(Attendance, Attendance.session_id == StudySession.id)
        .where(_held(year, cond), Attendance.status == PRESENT).group_by(StudySession.department_id)).all())
    minutes = {d: m for d, m in (tally or HoursTally(year, department)).by_department.items() if m}
    ids = set(sessions) | set(minutes)
    if not ids:
        return []
    names = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(ids)))}
    out = []
    for did in sorted(ids, key=lambda i: names[i].path):
        c = sessions.get(did, {"total": 0, "pre_meeting": 0, "lectures": 0, "trainings": 0})
        out.append([names[did].name, c["total"], c["pre_meeting"], c["lectures"], c["trainings"],
                    present.get(did, 0), hours(minutes.get(did, 0))])
    return out


# --- one person -----------------------------------------------------------------------------------

def person_year_rows(person_id: int, year: int) -> list:
    """One statement for everything :func:`person_summary` and the exam credits' sync read of one
    person and year: the ledger summed by (source, state, law, ref) — kind "h" — and the held
    sessions attended, one row per law studied there — kind "s", the session's id as ``ref``."""
    return db.session.execute(_person_year_stmt(), {"person_id": person_id, "year": year}).all()


@cache
def _person_year_stmt():
    """:func:`person_year_rows`' statement, built once (a page view only binds the person and year)."""
    person_id, year = bindparam("person_id"), bindparam("year")
    ledger = (select(literal_column("'h'").label("kind"), HoursEntry.source, HoursEntry.state, HoursEntry.law,
                     HoursEntry.ref, func.sum(HoursEntry.minutes).label("minutes"))
              .where(HoursEntry.person_id == person_id, HoursEntry.year == year)
              .group_by(HoursEntry.source, HoursEntry.state, HoursEntry.law, HoursEntry.ref))
    attended = (select(literal_column("'s'"), null(), null(), SessionLaw.name, cast(StudySession.id, String), null())
                .select_from(Attendance).join(StudySession, StudySession.id == Attendance.session_id)
                .outerjoin(SessionLaw, SessionLaw.session_id == StudySession.id)
                .where(Attendance.person_id == person_id, Attendance.status == PRESENT,
                       StudySession.status == HELD, StudySession.year == year))
    return union_all(ledger, attended)


LEDGER_LIMIT = 200   # the person page lists the latest entries; the archive (Word) has them all


def person_page_rows(person_id: int, year: int) -> tuple[list, list]:
    """:func:`person_year_rows` and the person's latest LEDGER_LIMIT ledger entries (newest first:
    day, source, minutes, law, evidence, state, return_reason) in one statement, for the page
    that shows both."""
    year_rows, ledger = [], []
    for row in db.session.execute(_person_page_stmt(), {"person_id": person_id, "year": year}):
        if row.kind == "l":
            ledger.append(row)
        else:
            year_rows.append(tuple(row[:6]))
    return year_rows, ledger


@cache
def _person_page_stmt():
    person_id = bindparam("person_id")
    latest = (select(HoursEntry.id, HoursEntry.day, HoursEntry.source, HoursEntry.minutes, HoursEntry.law,
                     HoursEntry.evidence, HoursEntry.state, HoursEntry.return_reason)
              .where(HoursEntry.person_id == person_id)
              .order_by(HoursEntry.day.desc(), HoursEntry.id.desc()).limit(LEDGER_LIMIT).subquery())
    year_part = _person_year_stmt().selects
    # typed: PostgreSQL matches a UNION's column types branch by branch, and two bare NULLs make text
    padding = [cast(null(), Date).label("day"), cast(null(), String).label("evidence"),
               cast(null(), String).label("return_reason"), cast(null(), Integer).label("entry_id")]
    padded = [part.add_columns(*padding) for part in year_part]
    ledger = select(literal_column("'l'"), latest.c.source, latest.c.state, latest.c.law, null(), latest.c.minutes,
                    latest.c.day, latest.c.evidence, latest.c.return_reason, latest.c.id)
    # the ledger's rows keep their order; the others are sums, in any order
    return union_all(*padded, ledger).order_by(literal_column("day").desc(), literal_column("entry_id").desc())


def exam_entries(person_id: int, rows) -> dict:
    """{(person_id, ref): state} of the 考试合格 entries among :func:`person_year_rows`' rows."""
    return {(person_id, ref): state for kind, source, state, _law, ref, _m in rows
            if kind == "h" and source == EXAM and ref is not None}


def person_summary(person, year: int, rows=None) -> dict:
    """Hours by source (credited, before caps), the capped total, the target, pending claims,
    sessions attended and laws studied in ``year`` (``rows``: :func:`person_year_rows`, when read)."""
    from .service import credited_minutes
    if rows is None:
        rows = person_year_rows(person.id, year)
    by_source, pending, laws, sessions = {}, 0, set(), set()
    for kind, source, state, law, ref, minutes in rows:
        if kind == "s":
            sessions.add(ref)
            if law:
                laws.add(law)
        elif state in CREDITED:
            by_source[source] = by_source.get(source, 0) + int(minutes or 0)
            if source != MEETING and law:
                laws.add(law)
        elif state == REPORTED:
            pending += int(minutes or 0)
    total = credited_minutes(by_source)
    target = settings.target_hours(bool(person.enforcement_post))
    return {"year": year, "by_source": {s: hours(by_source.get(s, 0)) for s in SOURCES},
            "hours": hours(total), "target": target, "met": total >= target * 60,
            "pending": hours(pending), "sessions": len(sessions), "laws": sorted(laws)}


# --- the records behind each figure (the drill-down lists them; counts equal the figures) ---------

SESSION_KINDS = {"sessions_total": None, "sessions_pre_meeting": "pre", "lectures": LECTURE, "trainings": TRAINING}


def session_ids(key: str, year: int, department):
    """Held sessions of the year and subtree counted in ``key`` (see SESSION_KINDS)."""
    stmt = select(StudySession.id).where(_held(year, department.subtree_filter))
    kind = SESSION_KINDS[key]
    if kind == "pre":
        stmt = stmt.where(StudySession.kind.in_(PRE_MEETING_KINDS))
    elif kind is not None:
        stmt = stmt.where(StudySession.kind == kind)
    return stmt


def attendance_ids(year: int, department):
    return (select(Attendance.id).join(StudySession, StudySession.id == Attendance.session_id)
            .where(_held(year, department.subtree_filter), Attendance.status == PRESENT))


def participant_ids(year: int, department):
    return (select(Attendance.person_id).join(StudySession, StudySession.id == Attendance.session_id)
            .where(_held(year, department.subtree_filter), Attendance.status == PRESENT))


def meeting_target_ids(year: int, department):
    """People in post in the subtree at or above their hours target."""
    return _meeting_target(year, department.subtree_filter)


def law_names(year: int, department):
    return (select(SessionLaw.name).join(StudySession, StudySession.id == SessionLaw.session_id)
            .where(_held(year, department.subtree_filter)).group_by(SessionLaw.name))


def plan_item_ids(year: int, department, held_only: bool = False):
    stmt = select(PlanItem.id).where(PlanItem.year == year, PlanItem.status == PLAN_ACTIVE,
                                     department.subtree_filter(PlanItem.department_id))
    if held_only:
        stmt = stmt.where(select(StudySession.id).where(StudySession.plan_item_id == PlanItem.id,
                                                        StudySession.status == HELD).correlate(PlanItem).exists())
    return stmt


def departments_meeting_session_target(year: int, department) -> list[int]:
    """Ids of the departments counted in ``departments_meeting_session_target``."""
    cond = department.subtree_filter
    pre_target, lecture_target = int(settings.get("pre_meeting_target")), int(settings.get("lecture_target"))
    if pre_target == 0 and lecture_target == 0:
        return list(db.session.scalars(select(Department.id).where(Department.active.is_(True), cond())))
    return [d for d, c in session_counts(year, cond, by_department=True).items()
            if c["pre_meeting"] >= pre_target and c["lectures"] >= lecture_target]


def sessions_by_month(year: int, department) -> dict[int, int]:
    month = func.extract("month", StudySession.held_on)
    rows = db.session.execute(select(month, func.count()).where(_held(year, department.subtree_filter))
                              .group_by(month)).all()
    return {int(m): int(n) for m, n in rows}
