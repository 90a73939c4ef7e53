"""Benchmark 1 of issue #13: the whole-province annual report (every enabled plugin) against the
hand-written aggregate SQL of report_floor.py computing the same figures (goal ≤ 2×), and the size
of the report page's HTML (department tables fold, charts are <img>).

Uses the ``province`` and ``results`` fixtures of benchmarks/conftest.py; without that conftest the
stand-ins of _standin.py (city scale unless BENCH_SCALE says otherwise) serve.
"""
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report_floor import floor_figures  # noqa: E402

if "def province" not in (HERE / "conftest.py").read_text("utf-8") if (HERE / "conftest.py").exists() else True:
    from _standin import province, results  # noqa: E402,F401

GOAL = 2.0
HTML_GOAL_KB = 150
ROUNDS = 3


def best(fn, rounds=ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_report_against_floor(province, results):
    from intranet.extensions import db
    from intranet.reports.assemble import assemble, find_department
    year = date.today().year
    with province.app.app_context():
        root = find_department(None)
        floor_figures(year, root)            # warm both (settings, statement caches)
        report = assemble(year, root)
        got = {f"{f['plugin']}.{f['key']}": f["figures"] for f in report["fragments"]}
        for ref, figures in floor_figures(year, root).items():     # the same figures, or the ratio means nothing
            for key, value in figures.items():
                assert round(float(value), 4) == round(float(got[ref][key]), 4), (ref, key)
        floor = best(lambda: floor_figures(year, root))
        value = best(lambda: assemble(year, root))
        page = best(lambda: assemble(year, root, with_labels=True, with_previous=True))
        db.session.remove()
    results.add("annual report, whole province (all plugins)", province.backend, value, floor_seconds=floor,
                goal=GOAL, note=f"with labels and last year's figures (as the page): {page:.3f} s")


def test_report_page_html_size(province, results):
    from intranet.reports.assemble import find_department
    from intranet.testing import make_user, PASSWORD
    from intranet.extensions import db
    from intranet.models import User
    from sqlalchemy import select
    app = province.app
    with app.app_context():
        root = find_department(None)
        # the kept database keeps the user of an earlier run (a second run must not fail on it)
        user = db.session.scalar(select(User).where(User.username == f"bench_{province.backend}"))
        if user is None:
            user = make_user("bureau", username=f"bench_{province.backend}")
            db.session.commit()
        root_id, username = root.id, user.username
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    path = f"/reports/?year={date.today().year}&department={root_id}"
    start = time.perf_counter()
    response = client.get(path)
    cold = time.perf_counter() - start
    assert response.status_code == 200
    size = len(response.data)
    warm = best(lambda: client.get(path))
    results.add("annual report page, whole province", province.backend, warm, note=f"first view {cold:.2f} s")
    results.add("annual report page, HTML size", province.backend, size / 1024, goal=HTML_GOAL_KB, unit="KB")
    assert size < HTML_GOAL_KB * 1024
