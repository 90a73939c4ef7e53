"""Long work in a real browser: a large people import and a roster export run as jobs, with a
progress bar that moves, then the result. JOBS_BROWSER_ROWS sets the import's size (200000 works)."""
import os
import signal
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from intranet.jobs import DONE, Job
from intranet.jobs.queue import get_queue
from intranet.idnumber import make_id_number
from intranet.models import Person
from intranet.testing import browser_login, make_id, xlsx_bytes

pytestmark = pytest.mark.browser

ROWS = int(os.environ.get("JOBS_BROWSER_ROWS", "20000"))
PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app_config(tmp_path):
    return {"WTF_CSRF_ENABLED": True, "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite3'}", "QUEUE_IMMEDIATE": False,
            "JOB_FOLDER": str(tmp_path / "jobs"), "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "XLSX_MAX_ROWS": max(ROWS, 200_000)}


@pytest.fixture
def worker(app):
    """A real huey consumer (threads) on the embedded SQLite queue, as `intranet worker` runs it."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = get_queue().huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    yield consumer
    consumer.stop(graceful=True)
    for s, h in handlers.items():
        signal.signal(s, h)


def unique_id(i: int) -> str:
    """The i-th of up to 20 million distinct valid ID numbers (make_id repeats after 40,000)."""
    return make_id_number("130821", date(1950, 1, 1) + timedelta(days=i % 20000), i // 20000 + 1)


def watch_progress(page, timeout=1800):
    """The <progress> values the page shows until the job ends (the page reloads then)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = page.evaluate("() => { const b = document.getElementById('job-progress');"
                                  " return b ? [b.value, b.max, !!document.querySelector('[data-job-poll]')] : null; }")
        except Exception:   # the page is reloading
            time.sleep(0.1)
            continue
        if value:
            seen.append((value[0], value[1]))
            if not value[2]:
                return seen
        time.sleep(0.2)
    raise AssertionError("the job did not finish in time")


def test_a_large_people_import_shows_progress_then_the_result(page, db, org, worker):
    rows = [[f"人员{i}", unique_id(i), "X01-A", "科员", "行政编制", "是", "在岗", None, "否"] for i in range(ROWS)]
    data = xlsx_bytes(PEOPLE_HEADER, rows)
    browser_login(page, "sfj")
    page.goto(page.base_url + "/imports/")
    page.set_input_files("#import-people input[type=file]",
                         files=[{"name": "人员.xlsx", "buffer": data, "mimeType": XLSX}])
    started = time.monotonic()
    page.click("#import-people button[type=submit]")
    page.wait_for_url("**/jobs/*")
    seen = watch_progress(page)
    elapsed = time.monotonic() - started
    print(f"\n{ROWS} rows imported as a job in {elapsed:.1f} s")
    assert any(0 < value < maximum for value, maximum in seen), seen       # the bar moved
    assert page.inner_text("#job-state") == DONE, page.inner_text("#job")
    assert f"新增 {ROWS} 条" in page.inner_text("#job-message")
    db.session.expire_all()
    assert db.session.scalar(select(Person).where(Person.name == f"人员{ROWS - 1}")) is not None


def test_a_roster_export_job_with_progress_then_download(page, db, org, worker):
    certificates = pytest.importorskip("intranet_certificates.models")
    n = 3000
    people = [dict(name=f"持证{i}", id_number=make_id(), department_id=org.town_a.id, staffing="行政编制",
                   enforcement_post=True, status="在岗", title="科员") for i in range(n)]
    db.session.execute(insert(Person), people)
    ids = db.session.scalars(select(Person.id).where(Person.name.startswith("持证")).order_by(Person.id)).all()
    today = date.today()
    db.session.execute(insert(certificates.Certificate), [
        dict(number=f"T{i:08d}", person_id=pid, department_id=org.town_a.id, category="综合执法",
             issued_on=today - timedelta(days=30), valid_until=today + timedelta(days=700))
        for i, pid in enumerate(ids)])
    db.session.commit()
    browser_login(page, "admin_a")
    page.goto(page.base_url + "/exports/")
    page.click("#export-roster button[type=submit]")
    page.wait_for_url("**/jobs/*")
    watch_progress(page)
    assert page.inner_text("#job-state") == DONE
    with page.expect_download() as download:
        page.click("#job-result")
    assert download.value.suggested_filename.endswith(".xlsx")
    db.session.expire_all()
    job = db.session.scalar(select(Job).where(Job.kind == "export", Job.name == "roster"))
    assert (job.done, job.total) == (n, n) and job.department_id == org.town_a.id
