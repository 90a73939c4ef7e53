"""Speed at city scale (≈ 300 units, 20,000 people): ``make bench``.

Each backend gets a throw-away database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
migrated with ``intranet.schema.upgrade`` and the enabled plugins (INTRANET_PLUGINS, default:
every installed one). Nothing here asserts a time: pytest-benchmark reports them.
"""
from datetime import date

import pytest

from intranet import create_app
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, backends


def migrated_app(store):
    from intranet.schema import upgrade
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="module", params=backends())
def store(request):
    database = ThrowAwayDatabase(request.param)
    yield database
    database.drop()


@pytest.fixture(scope="module")
def city(store):
    """A database with the city-scale demo loaded once (by the first benchmark)."""
    app = migrated_app(store)
    state = {"app": app, "loaded": False}
    yield state
    from intranet.extensions import db
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_load_city(benchmark, city):
    from intranet.demo import load_demo
    from intranet.extensions import db
    app = city["app"]

    def load():
        with app.app_context():
            load_demo("city", echo=lambda *_: None)
            db.session.remove()
        city["loaded"] = True

    benchmark.pedantic(load, rounds=1, iterations=1)


def test_report_assembly_city(benchmark, city):
    from sqlalchemy import select

    from intranet.demo import load_demo
    from intranet.extensions import db
    from intranet.models import Department
    from intranet.reports.assemble import assemble
    app = city["app"]
    with app.app_context(), app.test_request_context():
        if not city["loaded"]:
            load_demo("city", echo=lambda *_: None)
            city["loaded"] = True
        root = db.session.scalar(select(Department).where(Department.parent_id.is_(None)))
        report = benchmark(assemble, date.today().year, root)
        assert report["department"]["code"] == root.code


def _city_root(city):
    from sqlalchemy import select

    from intranet.demo import load_demo
    from intranet.extensions import db
    from intranet.models import Department
    if not city["loaded"]:
        load_demo("city", echo=lambda *_: None)
        city["loaded"] = True
    return db.session.scalar(select(Department).where(Department.parent_id.is_(None)))


def test_report_page_city(benchmark, city):
    """What the report page assembles: the year with its extras and the year before (for the change)."""
    from intranet.reports.assemble import assemble
    app = city["app"]
    with app.app_context(), app.test_request_context():
        root = _city_root(city)
        report = benchmark(assemble, date.today().year - 1, root, with_labels=True, with_previous=True)
        assert report["previous"] and report["fragments"]


def test_report_charts_city(benchmark, city):
    """Drawing every chart of the city report as SVG and PNG (first draw; later draws are cached)."""
    from intranet.reports import charts
    from intranet.reports.assemble import assemble
    app = city["app"]
    with app.app_context(), app.test_request_context():
        report = assemble(date.today().year - 1, _city_root(city), with_labels=True)
    assert report["charts"]

    def draw():
        charts._cached.cache_clear()
        return [charts.svg(c) for c in report["charts"]], charts.report_charts(report)

    svgs, pngs = benchmark.pedantic(draw, rounds=3, iterations=1)
    assert len(svgs) == len(pngs) == len(report["charts"])
