"""The annual report issues the same, bounded number of SQL statements for a subtree of 6 units and
of 50 (set-based figures: no query per department, person or record)."""
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet import demo
from intranet.models import Department
from intranet.reports.assemble import assemble
from intranet.testing import count_queries

# 1 city with 31 departments and 3 counties of 1 department and 4 townships each: 50 units, a county 6
SMALL_TREE = dict(cities=1, counties=3, townships=4, city_departments=31, county_departments=1, staff=(4, 8))
BOUND = 100   # both years of the page (with the previous year), settings reads included


@pytest.fixture
def demo_tree(app, db, monkeypatch):
    monkeypatch.setitem(demo.SCALES, "query_count", SMALL_TREE)
    demo.load_demo("query_count", echo=lambda *a: None)
    city = db.session.scalar(select(Department).where(Department.parent_id.is_(None)))
    county = db.session.scalar(select(Department).where(Department.kind == "县(区)").order_by(Department.path))
    return city, county


def units(db, department) -> int:
    return db.session.scalar(select(func.count()).select_from(Department).where(
        department.subtree_filter(Department.id)))


def statements(db, department_id: int) -> int:
    db.session.remove()                  # as a request: a fresh session
    department = db.session.get(Department, department_id)
    with count_queries(db) as q:
        report = assemble(date.today().year, department, with_labels=True, with_previous=True)
    assert not report.get("missing_fragments")
    return len(q)


def test_report_statements_do_not_grow_with_the_subtree(app, db, demo_tree):
    city, county = demo_tree
    assert (units(db, county), units(db, city)) == (6, 50)
    small, large = statements(db, county.id), statements(db, city.id)
    assert small == large, f"6 units: {small} statements, 50 units: {large}"
    assert large <= BOUND
