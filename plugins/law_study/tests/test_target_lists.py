"""The people behind or meeting their hours target (dashboard widget, reminder list, drill-down)
against each person's own summary: people with and without hours, caps, targets of 0."""
from datetime import date

import pytest
from sqlalchemy import select

from intranet.models import Person
from intranet.testing import make_person
from intranet_law_study import figures, settings
from intranet_law_study.models import APPROVED, LOCKED, MEETING, REPORTED, RETURNED, SELF_STUDY, HoursEntry

YEAR = date.today().year - 1


@pytest.fixture
def ledger(db, org):
    """People of the county with credited, uncredited, capped and no hours, and some who do not count."""
    def entry(person, hours, source=MEETING, state=APPROVED, year=YEAR, department=None):
        db.session.add(HoursEntry(person_id=person.id, department_id=(department or person.department).id, year=year,
                                  day=date(year, 5, 1), source=source, minutes=int(hours * 60), state=state))

    entry(make_person(org.town_a, "甲够"), 6)
    below = make_person(org.town_a, "甲少")
    entry(below, 2)
    entry(below, 3, state=REPORTED)                  # not credited
    entry(make_person(org.town_a, "甲普通", enforcement_post=False), 3, state=LOCKED)
    capped = make_person(org.town_b, "乙封顶")
    entry(capped, 30, source=SELF_STUDY)             # self-study counts at most 20 hours
    entry(capped, 1)
    make_person(org.town_b, "乙没学")
    make_person(org.town_b, "乙没学普通", enforcement_post=False)
    entry(make_person(org.town_b, "乙退回"), 4, state=RETURNED)
    entry(make_person(org.town_b, "乙去年"), 9, year=YEAR - 1)
    entry(make_person(org.town_b, "乙在外"), 4, department=org.market)   # entered outside the county
    entry(make_person(org.town_a, "甲退休", status="退休"), 10)
    entry(make_person(org.market, "市监"), 10)
    db.session.commit()


def _expected(cond):
    """(person, capped minutes, target minutes) of the in-post people of ``cond``, from person_summary's rules."""
    from intranet_law_study.service import credited_minutes
    people = Person.query.where(Person.status == "在岗", figures._cond(cond, Person.department_id)).all()
    out = []
    for p in people:
        by_source = {}
        for kind, source, state, _law, _ref, minutes in figures.person_year_rows(p.id, YEAR):
            if kind == "h" and state in (APPROVED, LOCKED):
                by_source[source] = by_source.get(source, 0) + int(minutes)
        out.append((p, credited_minutes(by_source), settings.target_hours(bool(p.enforcement_post)) * 60))
    return out


@pytest.mark.parametrize("general, special", [(40, 0), (5, 0), (0, 0), (0, 10), (3, 25), (5, -1)])
def test_target_lists_match_each_person(db, org, ledger, general, special):
    settings.put("person_hours_target", general)
    settings.put("enforcement_hours_target", special)
    db.session.commit()
    conds = {"county": org.county.subtree_filter, "town_b": org.town_b.subtree_filter, "everyone": None,
             "listed": lambda column: column.in_([org.town_a.id, org.market.id])}
    for name, cond in conds.items():
        expected = _expected(cond)
        met = {p.id for p, m, t in expected if m >= t}
        assert figures.people_behind_target(YEAR, cond) == (len(expected), len(met)), name
        behind = sorted(((p, m, t) for p, m, t in expected if m < t),
                        key=lambda r: (r[0].department_id, r[1], r[0].name_key, r[0].name, r[0].id))
        rows = [(p.id, int(m), int(t)) for p, m, t in db.session.execute(figures.behind_target_stmt(YEAR, cond))]
        assert rows == [(p.id, m, t) for p, m, t in behind], name
    for department in (org.city, org.county, org.town_b):
        met = {p.id for p, m, t in _expected(department.subtree_filter) if m >= t}
        ids = set(db.session.scalars(select(Person.id).where(Person.id.in_(figures.meeting_target_ids(YEAR, department)))))
        assert ids == met, department.name
    # the cases are there: someone with and someone without hours on each side of the target
    county = _expected(org.county.subtree_filter)
    if (general, special) == (0, 10):
        assert {p.name for p, m, t in county if m >= t} >= {"乙没学普通", "甲普通"}
        assert "乙没学" not in {p.name for p, m, t in county if m >= t}
    if (general, special) == (5, 0):
        assert {p.name for p, m, t in county if m >= t} == {"甲够", "乙封顶"}


def test_no_outer_or_anti_join_for_postgresql_to_loop_over(db, org, ledger):
    """The lists' shape on PostgreSQL, fixed by their SQL, not by the planner's costs: the people with
    hours by an inner join, those without by EXCEPT; no LEFT or anti join of every person, which without
    statistics PostgreSQL ran as a nested loop over an aggregate or the ledger once per person."""
    from intranet.testing import query_plan
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL plans")
    settings.put("person_hours_target", 0)     # the people without hours meet it: every branch is there
    settings.put("enforcement_hours_target", 10)
    db.session.commit()
    for stmt in (figures.behind_target_stmt(YEAR, org.county.subtree_filter),
                 figures.behind_target_stmt(YEAR, None),
                 select(Person.id).where(Person.id.in_(figures.meeting_target_ids(YEAR, org.county)))):
        plan = query_plan(db, stmt)
        assert "Left Join" not in plan and "Anti Join" not in plan and "SetOp Except" in plan, plan
