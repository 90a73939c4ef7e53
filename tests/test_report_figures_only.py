"""Figures only (``report_fragments(..., figures_only=True)``): the previous year's column asks each
plugin for its figures alone; they are the figures of its full fragment, and a plugin that does not
declare the argument still answers with its full fragment."""
from datetime import date

import pytest
from sqlalchemy import select

from intranet import demo
from intranet.hookspecs import ReportFragment, hookimpl
from intranet.models import Department
from intranet.plugins import get_pm
from intranet.reports.assemble import assemble, collect_fragments, json_safe, previous_figures

BUNDLED = {"certificates", "exams", "law_study", "legal_advisers"}
TREE = dict(cities=1, counties=2, townships=3, city_departments=6, county_departments=2, staff=(4, 8))


@pytest.fixture
def demo_root(app, db, monkeypatch):
    monkeypatch.setitem(demo.SCALES, "figures_only", TREE)
    demo.load_demo("figures_only", echo=lambda *a: None)
    return db.session.scalar(select(Department).where(Department.parent_id.is_(None)))


def by_ref(fragments) -> dict:
    return {f"{f.plugin}.{f.key}": f for f in fragments}


def test_each_plugins_figures_only_are_its_full_fragments_figures(app, db, demo_root):
    year = date.today().year          # the demo's year: every bundled plugin has records in it
    with app.test_request_context():
        full, failed = collect_fragments(year, demo_root)
        only, failed_only = collect_fragments(year, demo_root, figures_only=True)
    assert not failed and not failed_only
    full, only = by_ref(full), by_ref(only)
    assert set(only) == set(full) and BUNDLED <= {f.plugin for f in full.values()}
    for ref, fragment in full.items():
        if fragment.plugin in BUNDLED:   # a year with data: the full path has sentences and figures
            assert fragment.paragraphs and any(json_safe(fragment.figures).values()), ref
        assert json_safe(only[ref].figures) == json_safe(fragment.figures), ref
        assert (only[ref].title, only[ref].labels) == (fragment.title, fragment.labels), ref
    for ref, fragment in only.items():
        if fragment.plugin in BUNDLED:   # none of them builds what the figures do not need
            assert (fragment.paragraphs, fragment.tables, fragment.charts, fragment.drilldown) == ([], [], [], {}), ref
    assert previous_figures(year, demo_root) == {ref: json_safe(f.figures) for ref, f in full.items()}


class Recorder:
    """Declares ``figures_only`` and records what it was asked."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def report_fragments(self, year, department, figures_only):
        self.calls.append((year, figures_only))
        return ReportFragment("recorder", "calls", "调用", figures={"n": 1},
                              paragraphs=[] if figures_only else ["全文"])


class WithoutTheArgument:
    """A plugin written before ``figures_only``."""

    @hookimpl
    def report_fragments(self, year, department):
        return ReportFragment("old", "full", "旧插件", figures={"year": year}, paragraphs=["全文"])


def test_the_previous_year_is_asked_for_figures_only(app, db, org):
    recorder = Recorder()
    get_pm().register(recorder, name="recorder")
    year = date.today().year
    with app.test_request_context():
        report = assemble(year, org.county, with_labels=True, with_previous=True)
    assert recorder.calls == [(year, False), (year - 1, True)]
    assert report["previous"]["recorder.calls"] == {"n": 1}


def test_a_plugin_not_declaring_figures_only_still_answers(app, db, org):
    get_pm().register(WithoutTheArgument(), name="old")
    year = date.today().year
    with app.test_request_context():
        report = assemble(year, org.county, with_labels=True, with_previous=True)
        only, failures = collect_fragments(year, org.county, figures_only=True)
    assert not report.get("missing_fragments") and not failures
    assert [f["figures"] for f in report["fragments"] if f["plugin"] == "old"] == [{"year": year}]
    assert report["previous"]["old.full"] == {"year": year - 1}
    assert [f.paragraphs for f in only if f.plugin == "old"] == [["全文"]]     # its full fragment
