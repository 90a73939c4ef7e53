"""The benchmark's floor (benchmarks/report_floor.py, hand-written aggregate SQL) computes the same
figures as the report, key by key, on the small demo data: for the whole tree and a county."""
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from intranet.demo import load_demo
from intranet.models import Department
from intranet.reports.assemble import assemble

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from report_floor import floor_figures  # noqa: E402


def comparable(value):
    return round(float(value), 4) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


@pytest.mark.parametrize("year_back", [0, 1])
def test_floor_equals_the_report(app, db, year_back):
    load_demo("small", echo=lambda *a: None)
    year = date.today().year - year_back
    city = db.session.scalar(select(Department).where(Department.parent_id.is_(None)))
    county = db.session.scalar(select(Department).where(Department.kind == "县(区)").order_by(Department.path))
    checked = 0
    for department in (city, county):
        report = {f"{f['plugin']}.{f['key']}": f["figures"] for f in assemble(year, department)["fragments"]}
        floor = floor_figures(year, department)
        assert floor, "no plugin the floor knows is enabled"
        for ref, figures in floor.items():
            for key, value in figures.items():
                assert comparable(value) == comparable(report[ref][key]), f"{department.name} {ref} {key}"
                checked += 1
    assert checked > 60
    if year_back == 0:   # the demo has data for this year: the comparison is not between zeros
        assert sum(1 for figures in floor_figures(year, city).values() for v in figures.values() if v) > 20
