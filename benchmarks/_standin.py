"""Stand-ins for the ``province`` and ``results`` fixtures of benchmarks/conftest.py (another
branch), so test_report_province.py runs alone; used only while that conftest is absent.
BENCH_SCALE picks the demo scale (default city: the province takes minutes to generate)."""
import os
from types import SimpleNamespace

import pytest

from intranet import create_app
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, backends


@pytest.fixture(scope="module", params=backends())
def province(request):
    from sqlalchemy import text

    from intranet.demo import load_demo
    from intranet.extensions import db
    from intranet.schema import upgrade
    store = ThrowAwayDatabase(request.param)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url})
    with app.app_context():
        upgrade()
        load_demo(os.environ.get("BENCH_SCALE", "city"), echo=lambda *_: None)
        db.session.execute(text("ANALYZE"))    # a freshly loaded database has no planner statistics
        db.session.commit()
        db.session.remove()
    yield SimpleNamespace(app=app, backend=request.param, url=store.url)
    with app.app_context():
        db.engine.dispose()
    store.drop()


class Results:
    def __init__(self):
        self.rows = []

    def add(self, name, backend, value_seconds, floor_seconds=None, goal=None, note=""):
        self.rows.append((name, backend, value_seconds, floor_seconds, goal, note))


@pytest.fixture(scope="session")
def results():
    found = Results()
    yield found
    for name, backend, value, floor, goal, note in found.rows:
        ratio = f"{value / floor:.2f}× floor" if floor else ""
        print(f"\n{name} [{backend}]: {value:.3f} s {ratio} (goal {goal}) {note}")
