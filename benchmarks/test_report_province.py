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
    results.add("年度报告（全省，全部插件）", province.backend, value, floor_seconds=floor, goal=f"≤ {GOAL}×",
                note=f"页面所用（含标签与上年对比）{page:.3f} s")


def test_report_page_html_size(province, results):
    from intranet.reports.assemble import find_department
    from intranet.testing import make_user, PASSWORD
    from intranet.extensions import db
    app = province.app
    with app.app_context():
        root = find_department(None)
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
    results.add("年度报告页面（全省）", province.backend, warm, goal="HTML 不超过 150 KB",
                note=f"首次 {cold:.2f} s，HTML {size / 1024:.0f} KB")
    assert size < 150 * 1024
