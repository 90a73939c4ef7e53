"""Long work in a real browser: a 200,000-row people import and a roster export of 20,000
certificates run as jobs, with a progress bar that moves, then the result. JOBS_BROWSER_ROWS and
EXPORT_ROWS set the sizes (smaller for a quick look)."""
import io
import os
import signal
import time
import zipfile
from xml.sax.saxutils import escape
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from intranet.jobs import DONE, Job
from intranet.jobs.queue import get_queue
from intranet.idnumber import make_id_number
from intranet.models import Person
from intranet.testing import browser_login

pytestmark = pytest.mark.browser

ROWS = int(os.environ.get("JOBS_BROWSER_ROWS", "200000"))
EXPORT_ROWS = int(os.environ.get("EXPORT_ROWS", "20000"))
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


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def fast_xlsx(header: list[str], rows: list[list]) -> bytes:
    """A minimal .xlsx of text cells (None: no cell) with a shared-strings table, as Excel writes
    it: 200,000 rows in seconds, where openpyxl takes about a minute. The import reads it through
    the same safe reader as any upload."""
    strings: dict[str, int] = {}
    parts = []
    for r, values in enumerate([header] + rows, start=1):
        cells = []
        for c, value in enumerate(values):
            if value is None:
                continue
            index = strings.setdefault(str(value), len(strings))
            cells.append(f'<c r="{column_letter(c)}{r}" t="s"><v>{index}</v></c>')
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    last = f"{column_letter(len(header) - 1)}{len(rows) + 1}"
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">'
             f'<dimension ref="A1:{last}"/><sheetData>{"".join(parts)}</sheetData></worksheet>')
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                   f'xml"/><Override PartName="/xl/workbook.xml" ContentType="{OOXML}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.worksheet+xml"/>'
                   f'<Override PartName="/xl/sharedStrings.xml" ContentType="{OOXML}.sharedStrings+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
                   '<sheet name="人员" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">'
                   f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
                   f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}" count="{len(strings)}" '
                   f'uniqueCount="{len(strings)}">{shared}</sst>')
    return buf.getvalue()


def test_the_fast_writer_reads_back_through_the_safe_reader(app):
    from intranet.imports import get_import_kind
    from intranet.imports.framework import ImportResult, read_rows
    rows = [["人员<&1>", unique_id(1), "X01-A", "科员", "行政编制", "是", "在岗", None, "否"],
            ["人员2", unique_id(2), "X01-A", None, "行政编制", "否", "退休", "2024-03-01", "是"]]
    result = ImportResult(kind="people")
    parsed = read_rows(get_import_kind("people"), io.BytesIO(fast_xlsx(PEOPLE_HEADER, rows)), result)
    assert not result.errors, result.errors
    assert [p.values["姓名"] for p in parsed] == ["人员<&1>", "人员2"]
    assert parsed[1].values["状态变更日期"] == date(2024, 3, 1) and parsed[1].values["职务"] is None
    assert [v for _n, v in result.raw_rows] == rows


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
    data = fast_xlsx(PEOPLE_HEADER, rows)
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
    n = EXPORT_ROWS
    people = [dict(name=f"持证{i}", id_number=unique_id(i), department_id=org.town_a.id, staffing="行政编制",
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
    seen = watch_progress(page)
    assert any(0 < value < maximum for value, maximum in seen), seen       # the bar moved
    assert page.inner_text("#job-state") == DONE
    with page.expect_download() as download:
        page.click("#job-result")
    assert download.value.suggested_filename.endswith(".xlsx")
    db.session.expire_all()
    job = db.session.scalar(select(Job).where(Job.kind == "export", Job.name == "roster"))
    assert (job.done, job.total) == (n, n) and job.department_id == org.town_a.id
