"""The job queue: queued imports, exports and reports, the runner's lock, recovery, permissions."""
import io
import os
import threading
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.cli import cli
from intranet.extensions import db as _db
from intranet.hookspecs import ExportKind, ScheduledJob, hookimpl
from intranet.jobs import DONE, FAILED, QUEUED, RUNNING, Job
from intranet.jobs import api, runner
from intranet.imports import get_import_kind
from intranet.models import AuditEvent, Person
from intranet.plugins import get_pm
from intranet.spreadsheets import WorkbookWriter
from intranet.testing import login, make_id, xlsx_bytes

PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads"), "JOB_FOLDER": str(tmp_path / "jobs"),
            "IMPORT_QUEUE_ROWS": 3, }


@pytest.fixture
def held(app):
    """The queue does not run jobs: they stay 排队中 until a test runs them."""
    from intranet.jobs.queue import get_queue
    get_queue().huey.immediate = False
    get_queue().huey.storage.flush_queue()
    return app


def people_rows(n, code="X01-A", bad=False):
    return [["测试", "123" if bad else make_id(), code, "科员", "行政编制", "是", "在岗", None, "否"] for _ in range(n)]


def upload(client, data, dry_run=False):
    form = {"people-file": (io.BytesIO(data), "人员.xlsx")}
    if dry_run:
        form["people-dry_run"] = "y"
    return client.post("/imports/people", data=form, content_type="multipart/form-data")


def jobs_of(kind, name=None):
    _db.session.expire_all()
    stmt = select(Job).where(Job.kind == kind).order_by(Job.id)
    if name:
        stmt = stmt.where(Job.name == name)
    return list(_db.session.scalars(stmt))


def people_count(code="X01-A"):
    _db.session.expire_all()
    from intranet.models import Department
    return _db.session.scalar(select(func.count()).select_from(Person).join(Department)
                              .where(Department.code == code))


def uploads(app):
    folder = runner.upload_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


class ExportPlugin:
    """A test plugin's export: the names of people in the department scope, with progress."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def export_kinds(self):
        return [ExportKind("jobs_test", "names", "人员名单", self.write, roles=("admin", "dept_admin"), progress=True)]

    def write(self, path, department, progress=None):
        self.calls.append(department.id if department else None)
        stmt = select(Person.name).order_by(Person.id)
        if department is not None:
            stmt = stmt.where(department.subtree_filter(Person.department_id))
        names = _db.session.scalars(stmt).all()
        writer = WorkbookWriter()
        sheet = writer.sheet("名单")
        for i, name in enumerate(names, 1):
            sheet.append([name])
            progress(i, len(names))
        writer.save(path)


@pytest.fixture
def exporter(app):
    plugin = ExportPlugin()
    get_pm(app).register(plugin, name="jobs_test_export")
    return plugin


# --- imports ------------------------------------------------------------------------------

def test_small_import_stays_in_the_request(client, db, org):
    login(client, org.users["dept_admin_a"])
    html = upload(client, xlsx_bytes(PEOPLE_HEADER, people_rows(3))).get_data(as_text=True)
    assert "导入成功" in html and not jobs_of("import")


def test_large_import_runs_as_a_job_and_shows_its_result(app, client, db, org):
    before = people_count()
    login(client, org.users["dept_admin_a"])
    response = upload(client, xlsx_bytes(PEOPLE_HEADER, people_rows(5)))
    [job] = jobs_of("import", "people")
    assert response.status_code == 302 and response.location.endswith(f"/jobs/{job.id}")
    assert job.state == DONE and (job.done, job.total) == (5, 5) and "新增 5 条" in job.message
    assert job.owner_id == org.users["dept_admin_a"].id and job.department_id == org.town_a.id
    assert people_count() == before + 5
    assert uploads(app) == []                          # the file with the ID numbers is gone
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "已完成" in page and "<progress" in page and "新增 5 条" in page
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["finished"] and status["percent"] == 100 and status["state"] == DONE
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "job",
                                                                 AuditEvent.object_id == str(job.id))).all()
    assert sorted(actions) == ["job_finish", "job_start"]


def test_import_job_with_errors_changes_nothing_and_lists_the_rows(app, client, db, org):
    before = people_count()
    login(client, org.users["dept_admin_a"])
    upload(client, xlsx_bytes(PEOPLE_HEADER, people_rows(4) + people_rows(60, bad=True)))
    [job] = jobs_of("import", "people")
    assert job.state == FAILED and job.error_count == 60 and people_count() == before
    assert len(runner.row_errors(job.id)) == 60
    assert uploads(app) == []
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "错误明细（共 60 处）" in page and "第 1 / 2 页" in page
    assert "第 2 / 2 页" in client.get(f"/jobs/{job.id}?page=2").get_data(as_text=True)
    report = client.get(f"/jobs/{job.id}/result")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.data)).active
    assert sheet.cell(1, 10).value == "错误信息"


def test_the_same_file_is_not_queued_twice_but_a_dead_job_does_not_hold_it(held, client, db, org):
    login(client, org.users["dept_admin_a"])
    data = xlsx_bytes(PEOPLE_HEADER, people_rows(5))
    upload(client, data)
    second = upload(client, data)
    [job] = jobs_of("import", "people")
    assert second.location.endswith(f"/jobs/{job.id}")
    # Its worker took it and was killed: the heartbeat went silent long ago.
    long_ago = datetime.now() - timedelta(hours=1)
    job.state, job.started_at, job.heartbeat_at = RUNNING, long_ago, long_ago
    db.session.commit()
    third = upload(client, data)
    old, new = jobs_of("import", "people")
    assert third.location.endswith(f"/jobs/{new.id}")
    assert old.state == FAILED and old.message == runner.INTERRUPTED and new.state == QUEUED
    assert uploads(held) == [new.params["upload"]]      # the dead job's file is gone


def test_a_job_delivered_twice_runs_once(held, db, org):
    kind = get_import_kind("people")
    job, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(5)), "a.xlsx", org.users["dept_admin_a"])
    before = people_count()
    app = held
    results = []

    def deliver():
        with app.app_context():
            results.append(runner.run_job(job.id))
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [None, DONE]
    assert runner.run_job(job.id) is None                 # a third, late delivery
    assert people_count() == before + 5
    starts = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "job_start", AuditEvent.object_id == str(job.id)))
    assert starts == 1


@pytest.mark.parametrize("change", ["demoted", "moved", "disabled"])
def test_the_worker_rechecks_the_owner_at_run_time(held, db, org, change):
    kind = get_import_kind("people")
    user = org.users["dept_admin_a"]
    job, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(5)), "a.xlsx", user)
    before = people_count()
    if change == "demoted":
        user.role = "staff"
    elif change == "moved":
        user.department_id = org.town_b.id
    else:
        user.active = False
    db.session.commit()
    assert runner.run_job(job.id) == FAILED
    job = db.session.get(Job, job.id)
    assert job.message == runner.NO_PERMISSION and people_count() == before and uploads(held) == []


def test_an_unchanged_owner_runs(held, db, org):
    kind = get_import_kind("people")
    job, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(5)), "a.xlsx", org.users["dept_admin_a"])
    assert runner.run_job(job.id) == DONE


# --- recovery -----------------------------------------------------------------------------

def test_a_stale_running_job_is_recovered_and_a_live_one_is_not(held, client, db, org):
    kind = get_import_kind("people")
    user = org.users["dept_admin_a"]
    dead, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(5)), "a.xlsx", user)
    live, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(6)), "b.xlsx", user)
    long_ago = datetime.now() - timedelta(hours=1)
    dead.state, dead.started_at, dead.heartbeat_at = RUNNING, long_ago, long_ago
    live.state, live.started_at, live.heartbeat_at = RUNNING, long_ago, long_ago
    db.session.commit()
    from intranet.jobs.queue import get_queue
    get_queue().beat(live.id)                             # its worker is alive
    assert runner.recover_stale() == 1
    dead, live = db.session.get(Job, dead.id), db.session.get(Job, live.id)
    assert dead.state == FAILED and dead.message == runner.INTERRUPTED and live.state == RUNNING
    assert uploads(held) == [live.params["upload"]]


def test_the_job_page_changes_nothing_and_the_sweep_recovers_a_stale_job(held, client, db, org):
    job = Job(kind="export", name="names", label="x", params={}, owner_id=org.users["dept_admin_a"].id,
              department_id=org.town_a.id, state=RUNNING, message="", result_name="",
              started_at=datetime.now() - timedelta(hours=1), heartbeat_at=datetime.now() - timedelta(hours=1))
    db.session.add(job)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    events = lambda: db.session.scalar(select(func.count()).select_from(AuditEvent))  # noqa: E731
    before = events()
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["state"] == RUNNING and status["stale"] and not status["finished"]
    assert "处理进程已长时间无响应" in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == RUNNING and events() == before   # a GET changed nothing
    from intranet.jobs.queue import get_queue
    huey = get_queue().huey
    [sweep] = [t for t in huey.read_periodic(datetime(2026, 3, 1, 10, 0)) if t.name == "intranet.sweep"]
    assert huey.execute(sweep) == 1
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == FAILED
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["finished"] and status["message"] == runner.INTERRUPTED and not status["stale"]


def test_the_sweep_runs_every_few_minutes(app):
    from intranet.jobs.queue import get_queue
    huey = get_queue().huey
    names = lambda moment: [t.name for t in huey.read_periodic(moment)]  # noqa: E731
    assert app.config["JOB_SWEEP_MINUTES"] == 5
    assert "intranet.sweep" in names(datetime(2026, 3, 1, 10, 35))
    assert "intranet.sweep" not in names(datetime(2026, 3, 1, 10, 37))


def test_row_errors_beyond_the_kept_ones_are_counted_and_paged(app, client, db, org, monkeypatch):
    """Many row errors: a row each in job_row_error (not one JSON value), the first MAX kept, paged."""
    monkeypatch.setattr(runner, "MAX_ROW_ERRORS", 70)
    from intranet.jobs import views
    monkeypatch.setattr(views, "MAX_ROW_ERRORS", 70)
    login(client, org.users["dept_admin_a"])
    upload(client, xlsx_bytes(PEOPLE_HEADER, people_rows(120, bad=True)))
    [job] = jobs_of("import", "people")
    assert job.state == FAILED and job.error_count == 120
    kept = runner.row_errors(job.id)
    assert len(kept) == 70 and [r for r, _c, _m in kept] == sorted(r for r, _c, _m in kept)
    page = client.get(f"/jobs/{job.id}?page=2").get_data(as_text=True)
    assert "错误明细（共 120 处）" in page and "此处列出前 70 处" in page and "第 2 / 2 页" in page
    assert page.count("<tr><td>") == 20   # 70 kept, 50 on page 1


def test_worker_start_requeues_waiting_jobs(held, db, org):
    kind = get_import_kind("people")
    job, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(5)), "a.xlsx", org.users["dept_admin_a"])
    from intranet.jobs.queue import get_queue
    get_queue().huey.storage.flush_queue()                # the queue lost its messages
    assert runner.requeue_waiting() == 1
    assert get_queue().huey.pending_count() == 1


# --- scheduled jobs -----------------------------------------------------------------------

class DailyPlugin:
    def __init__(self):
        self.runs = 0
        self.fail = False
        self.lock = threading.Lock()

    @hookimpl
    def scheduled_jobs(self):
        return [ScheduledJob("jobs_test", "count", self.run, description="计数")]

    def run(self):
        with self.lock:
            self.runs += 1
        if self.fail:
            raise RuntimeError("数据源不可用")
        return "ok"


@pytest.fixture
def daily(app):
    plugin = DailyPlugin()
    get_pm(app).register(plugin, name="jobs_test_daily")
    return plugin


def test_a_scheduled_job_runs_once_a_day_even_with_several_consumers(app, db, daily):
    today = date(2026, 3, 1)
    results = []

    def consumer():
        with app.app_context():
            results.append(runner.run_scheduled(today))
    threads = [threading.Thread(target=consumer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runner.run_scheduled(today)
    assert daily.runs == 1
    [job] = jobs_of("scheduled", "jobs_test.count")
    assert job.state == DONE and job.message == "ok" and job.run_key == "jobs_test.count@2026-03-01"
    runner.run_scheduled(today + timedelta(days=1))
    assert daily.runs == 2


def test_the_cli_and_the_worker_share_the_daily_claim(app, db, daily):
    first = app.test_cli_runner().invoke(cli, ["jobs", "run", "jobs_test.count"])
    assert first.exit_code == 0 and "jobs_test.count: ok" in first.output and daily.runs == 1
    assert runner.run_scheduled()["jobs_test.count"] == runner.SKIPPED and daily.runs == 1
    again = app.test_cli_runner().invoke(cli, ["jobs", "run"])
    assert again.exit_code == 0 and "jobs_test.count: 今日已运行，跳过" in again.output and daily.runs == 1
    [job] = jobs_of("scheduled", "jobs_test.count")
    assert job.run_key == f"jobs_test.count@{date.today().isoformat()}" and job.state == DONE


def test_a_run_that_failed_today_is_retried_by_the_cli_not_by_the_worker(app, db, daily):
    daily.fail = True
    assert runner.run_scheduled()["jobs_test.count"] == FAILED
    assert runner.run_scheduled()["jobs_test.count"] == runner.SKIPPED and daily.runs == 1
    daily.fail = False
    result = app.test_cli_runner().invoke(cli, ["jobs", "run", "jobs_test.count"])
    assert result.exit_code == 0 and "jobs_test.count: ok" in result.output and daily.runs == 2
    again = app.test_cli_runner().invoke(cli, ["jobs", "run", "jobs_test.count"])
    assert "今日已运行，跳过" in again.output and daily.runs == 2
    failed, done = jobs_of("scheduled", "jobs_test.count")
    key = f"jobs_test.count@{date.today().isoformat()}"
    assert (failed.state, failed.run_key) == (FAILED, f"{key}#{failed.id}") and (done.state, done.run_key) == (DONE, key)


def test_the_worker_first_then_the_cli_skips(app, db, daily):
    assert runner.run_scheduled()["jobs_test.count"] == DONE
    result = app.test_cli_runner().invoke(cli, ["jobs", "run", "jobs_test.count"])
    assert result.exit_code == 0 and "今日已运行，跳过" in result.output and daily.runs == 1


def test_a_stale_scheduled_job_does_not_block_the_next_day(app, db, daily):
    long_ago = datetime.now() - timedelta(days=1)
    db.session.add(Job(kind="scheduled", name="jobs_test.count", label="计数", params={}, state=RUNNING, message="",
                       result_name="", run_key="jobs_test.count@2026-03-01", started_at=long_ago,
                       heartbeat_at=long_ago))
    db.session.commit()
    runner.recover_stale()
    assert runner.run_scheduled(date(2026, 3, 2))["jobs_test.count"] == DONE
    states = [j.state for j in jobs_of("scheduled", "jobs_test.count")]
    assert states == [FAILED, DONE] and daily.runs == 1


# --- exports and results ------------------------------------------------------------------

def test_export_job_for_the_users_scope_and_who_may_download(app, client, db, org, exporter):
    login(client, org.users["dept_admin_a"])
    page = client.get("/exports/").get_data(as_text=True)
    assert "人员名单" in page
    response = client.post("/exports/names")
    [job] = jobs_of("export", "names")
    assert response.location.endswith(f"/jobs/{job.id}") and job.state == DONE
    assert exporter.calls == [org.town_a.id] and job.department_id == org.town_a.id
    assert job.total >= 1 and job.done == job.total
    assert client.get(f"/jobs/{job.id}/result").status_code == 200
    url = f"/jobs/{job.id}/result"
    login(client, org.users["dept_admin_b"])
    assert client.get(url).status_code == 403
    assert client.get(f"/jobs/{job.id}").status_code == 403
    assert client.get(f"/jobs/{job.id}.json").status_code == 403
    login(client, org.users["staff_a"])
    assert client.get(url).status_code == 403
    login(client, org.users["admin"])
    assert client.get(url).status_code == 200
    assert client.get("/jobs/999999/result").status_code == 404
    assert client.get("/jobs/999999").status_code == 404
    # The owner loses the role, then the scope: no download any more.
    owner = org.users["dept_admin_a"]
    owner.role = "staff"
    db.session.commit()
    login(client, owner)
    assert client.get(url).status_code == 403
    owner.role, owner.department_id = "dept_admin", org.town_b.id
    db.session.commit()
    login(client, owner)
    assert client.get(url).status_code == 403
    owner.department_id = org.town_a.id
    db.session.commit()
    login(client, owner)
    assert client.get(url).status_code == 200


def test_export_roles_and_unknown_kinds(client, db, org, exporter):
    login(client, org.users["bureau"])                       # not in the kind's roles
    assert "人员名单" not in client.get("/exports/").get_data(as_text=True)
    assert client.post("/exports/names").status_code == 403
    assert client.post("/exports/nothing").status_code == 404
    assert not jobs_of("export", "names")


def test_job_list_shows_own_jobs_and_admin_sees_all(client, db, org):
    a, b = org.users["dept_admin_a"], org.users["dept_admin_b"]
    for user in (a, b):
        db.session.add(Job(kind="export", name="names", label=f"名单-{user.username}", params={}, owner_id=user.id,
                           department_id=user.department_id, state=DONE, message="", result_name=""))
    db.session.commit()
    login(client, a)
    page = client.get("/jobs/").get_data(as_text=True)
    assert "名单-admin_a" in page and "名单-admin_b" not in page
    login(client, org.users["admin"])
    page = client.get("/jobs/").get_data(as_text=True)
    assert "名单-admin_a" in page and "名单-admin_b" in page


def test_old_results_are_cleaned(app, client, db, org, exporter):
    login(client, org.users["dept_admin_a"])
    client.post("/exports/names")
    [job] = jobs_of("export", "names")
    path = job.result_path
    assert runner.clean_old_results() == 0
    assert runner.clean_old_results(datetime.now() + timedelta(days=8)) == 1
    job = jobs_of("export", "names")[0]
    assert job.result_path is None and not os.path.exists(path)
    assert client.get(f"/jobs/{job.id}/result").status_code == 404


# --- reports ------------------------------------------------------------------------------

def test_a_large_report_is_offered_then_built_as_a_job(app, client, db, org):
    app.config["REPORT_QUEUE_UNITS"] = 2
    login(client, org.users["bureau"])
    year = date.today().year - 1
    offer = client.get(f"/reports/?year={year}&department={org.city.id}&download=json")
    assert "后台生成" in offer.get_data(as_text=True)
    response = client.post("/jobs/report", data={"year": year, "department": org.city.id, "format": "json"})
    [job] = jobs_of("report", "json")
    assert response.location.endswith(f"/jobs/{job.id}") and job.state == DONE, job.message
    data = client.get(f"/jobs/{job.id}/result").get_json()
    assert data["year"] == year and data["department"]["code"] == "C01"
    # A small subtree is still answered at once.
    direct = client.get(f"/reports/?year={year}&department={org.town_a.id}&download=json")
    assert direct.status_code == 200 and direct.get_json()["department"]["code"] == "X01-A"


def test_report_job_refusals(client, db, org):
    login(client, org.users["dept_admin_a"])
    year = date.today().year - 1
    assert client.post("/jobs/report", data={"year": year, "department": org.town_b.id}).status_code == 403
    assert client.post("/jobs/report", data={"year": year, "department": 999999}).status_code == 404
    assert client.post("/jobs/report", data={"year": 1900, "department": org.town_a.id}).status_code == 400
    login(client, org.users["staff_a"])
    assert client.post("/jobs/report", data={"year": year, "department": org.town_a.id}).status_code == 403
    assert not jobs_of("report")


def test_a_report_job_for_a_missing_department_fails_clearly(held, db, org):
    job = api.start_report(date.today().year - 1, org.town_a, "json", None)
    job.params = {**job.params, "department_id": 999999}
    db.session.commit()
    assert runner.run_job(job.id) == FAILED
    assert "所选单位不存在" in db.session.get(Job, job.id).message


# --- CSRF and the command line --------------------------------------------------------------

class TestCsrf:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"WTF_CSRF_ENABLED": True, "JOB_FOLDER": str(tmp_path / "jobs")}

    def test_starting_a_job_needs_the_token(self, client, db, org, exporter):
        login_with_csrf(client, org.users["dept_admin_a"])
        assert client.post("/exports/names").status_code == 400
        assert client.post("/jobs/report", data={"year": 2024, "department": org.town_a.id}).status_code == 400
        assert not jobs_of("export") and not jobs_of("report")


def login_with_csrf(client, user):
    import re

    from flask import g
    g.pop("_login_user", None)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": user.username, "password": "test-password-1", "csrf_token": token})
    g.pop("_login_user", None)


def test_cli_import_queue_and_export_progress(app, db, org, tmp_path, exporter):
    file = tmp_path / "people.xlsx"
    file.write_bytes(xlsx_bytes(PEOPLE_HEADER, people_rows(5)))
    runner_ = app.test_cli_runner(mix_stderr=False) if _mix_stderr_supported() else app.test_cli_runner()
    result = runner_.invoke(cli, ["import", "people", str(file), "--queue", "--wait"])
    assert result.exit_code == 0, result.output
    [job] = jobs_of("import", "people")
    assert job.state == DONE and job.owner_id is None and "新增 5 条" in result.output
    out = tmp_path / "names.xlsx"
    result = runner_.invoke(cli, ["export", "names", "--output", str(out)])
    assert result.exit_code == 0 and out.exists()


def _mix_stderr_supported():
    import inspect

    from click.testing import CliRunner
    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters



def test_count_rows_reads_the_sheet_across_chunks(app):
    rows = [[f"名字{i}" * 20, make_id(), "X01-A", "科员" * 30, "行政编制", "是", "在岗", None, "否"] for i in range(7000)]
    assert api.count_rows(xlsx_bytes(PEOPLE_HEADER, rows)) == 7000
    assert api.count_rows(b"PK\x03\x04 not a zip") == 0


def test_the_daily_run_is_at_the_configured_local_hour(app):
    from intranet.jobs.queue import get_queue
    huey = get_queue().huey
    assert not huey.utc
    names = lambda moment: [t.name for t in huey.read_periodic(moment)]  # noqa: E731
    assert "intranet.daily" in names(datetime(2026, 3, 1, app.config["SCHEDULED_JOBS_HOUR"], 0))
    assert "intranet.daily" not in names(datetime(2026, 3, 1, app.config["SCHEDULED_JOBS_HOUR"] + 1, 0))


def test_worker_start_recovers_killed_jobs_and_redelivers_waiting_ones(held, db, org, monkeypatch):
    from intranet.jobs.queue import get_queue
    huey = get_queue().huey
    started = []

    class Consumer:
        def run(self):
            started.append(huey.pending_count())
    monkeypatch.setattr(type(huey), "create_consumer", lambda self, **options: Consumer())
    kind = get_import_kind("people")
    user = org.users["dept_admin_a"]
    dead, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(5)), "a.xlsx", user)
    waiting, _ = api.start_import(kind, xlsx_bytes(PEOPLE_HEADER, people_rows(6)), "b.xlsx", user)
    long_ago = datetime.now() - timedelta(hours=1)
    dead.state, dead.started_at, dead.heartbeat_at = RUNNING, long_ago, long_ago
    db.session.commit()
    huey.storage.flush_queue()
    result = held.test_cli_runner().invoke(cli, ["worker", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert started == [1]                                   # the waiting job, delivered again
    assert db.session.get(Job, dead.id).state == FAILED and uploads(held) == [waiting.params["upload"]]
