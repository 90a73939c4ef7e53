"""What the worker runs: one job once, the daily scheduled jobs, recovery and clean-up.

A job is run once even when delivered twice: the runner locks its row and starts it only if it is
still 排队中. At run time it re-checks that the job's owner still holds the role and the
department scope the job needs (a user demoted or moved after queuing gets 失败「无权限」). An
uploaded import file is removed when the job ends in any way.
"""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..locking import locked
from ..models import Department, Job, User
from ..models.job import DONE, FAILED, QUEUED, RUNNING, JobRowError
from .queue import get_queue

NO_PERMISSION = "无权限：提交任务的用户已不再具有所需的角色或单位范围，任务未执行"
INTERRUPTED = "任务中断：处理进程已停止（可能被重启或终止），本任务未完成，数据未作更改，请重新提交"
MAX_ROW_ERRORS = 20000   # kept for the job page (all of them are in the error report file)
ALREADY_RAN = "今日已运行，跳过"


def _job_folder() -> Path:
    return Path(current_app.config.get("JOB_FOLDER") or current_app.instance_path)


def upload_dir() -> Path:
    """Uploaded import files (they hold ID numbers): a folder of their own, for backups to skip."""
    return _job_folder() / "job_uploads"


def result_dir() -> Path:
    return _job_folder() / "job_results"


class Outcome:
    """How a job ended; ``row_errors``: [(row, column, message)] to keep, ``error_count``: how many
    were found (may be more than kept)."""

    def __init__(self, state, message="", result_path=None, result_name="", row_errors=None, error_count=None):
        self.state, self.message = state, message
        self.result_path, self.result_name, self.row_errors = result_path, result_name, row_errors
        self.error_count = len(row_errors or []) if error_count is None else error_count


class Progress:
    """The callback the work reports to, ``progress(done, total)``; a thread beats meanwhile."""

    def __init__(self, job_id: int):
        self.job_id, self.done, self.total = job_id, 0, 0
        self.queue = get_queue()
        self._last = 0.0
        self._stop = threading.Event()
        self._thread = None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self._last >= 0.3 or done >= total:
            self._last = now
            self.queue.put_progress(self.job_id, done, total)

    def _beat(self):
        every = float(current_app.config.get("JOB_HEARTBEAT_SECONDS", 10))
        while True:
            self.queue.beat(self.job_id)
            if self._stop.wait(every):
                return

    def __enter__(self):
        self.queue.beat(self.job_id)
        app = current_app._get_current_object()

        def beat():
            with app.app_context():
                self._beat()
        self._thread = threading.Thread(target=beat, daemon=True, name=f"job-{self.job_id}-heartbeat")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)


# --- permissions --------------------------------------------------------------------------

def allowed_roles(job: Job) -> tuple[str, ...]:
    if job.kind == "import":
        from ..imports import all_import_kinds
        kind = all_import_kinds().get(job.name)
        return kind.roles if kind else ()
    if job.kind == "export":
        from .api import export_kinds
        kind = export_kinds().get(job.name)
        return kind.roles if kind else ()
    if job.kind == "report":
        from ..reports.drilldown import VIEW_ROLES
        return VIEW_ROLES
    return ()


def permission_problem(job: Job, user: User | None) -> str:
    """"" when ``user`` (the job's owner) may still run or fetch ``job``; else the 无权限 message.

    A job without an owner came from the command line (full rights)."""
    from ..access import in_scope
    if job.owner_id is None:
        return ""
    if user is None or not user.active or user.role not in allowed_roles(job):
        return NO_PERMISSION
    if job.department_id is None:
        return "" if user.sees_everything else NO_PERMISSION
    return "" if in_scope(job.department_id, user) else NO_PERMISSION


# --- one job --------------------------------------------------------------------------------

def run_job(job_id: int) -> str | None:
    """Run job ``job_id`` if it is still 排队中 (else nothing: it was delivered twice). Returns its final state."""
    job = locked(Job, job_id)
    if job is None or job.state != QUEUED:
        db.session.rollback()
        return None
    owner = db.session.get(User, job.owner_id) if job.owner_id else None
    problem = permission_problem(job, owner)
    if problem:
        remove_upload(job)
        _close(job, Outcome(FAILED, problem), owner)
        return FAILED
    now = datetime.now()
    job.state, job.started_at, job.heartbeat_at = RUNNING, now, now
    audit.record("job_start", "job", job.id, summary=f"开始{job.kind_label}任务「{job.label or job.name}」",
                 actor=owner, department_id=job.department_id)
    db.session.commit()
    kind, params, department_id = job.kind, dict(job.params or {}), job.department_id
    with Progress(job_id) as progress:
        try:
            outcome = BODIES[kind](job, owner, params, department_id, progress)
        except Exception as exc:  # noqa: BLE001 - the job fails, the worker goes on
            db.session.rollback()
            from ..plugins import record_failure
            failure = record_failure("core", f"job {job_id}", exc)
            outcome = Outcome(FAILED, f"任务出错（错误编号 {failure.reference}），未完成，请联系系统管理员")
        finally:
            job = db.session.get(Job, job_id)
            remove_upload(job)
    job = locked(Job, job_id)
    job.done, job.total = progress.done, progress.total
    owner = db.session.get(User, job.owner_id) if job.owner_id else None
    _close(job, outcome, owner)
    get_queue().forget(job_id)
    return outcome.state


def _close(job: Job, outcome: Outcome, owner) -> None:
    """Write the outcome to the (locked) job row with an audit entry, and commit."""
    job.state, job.message = outcome.state, outcome.message[:2000]
    job.result_path, job.result_name = outcome.result_path, outcome.result_name
    if outcome.row_errors:
        _store_row_errors(job.id, outcome.row_errors)
        job.error_count = outcome.error_count
    job.finished_at = job.heartbeat_at = datetime.now()
    if outcome.state == DONE and job.total == 0:
        job.done = job.total = 1
    audit.record("job_finish", "job", job.id, actor=owner, department_id=job.department_id,
                 summary=f"{job.kind_label}任务「{job.label or job.name}」{outcome.state}：{outcome.message}"[:500])
    db.session.commit()


def _store_row_errors(job_id: int, errors) -> None:
    rows = [{"job_id": job_id, "row": row, "column": (column or "")[:100], "message": message or ""}
            for row, column, message in errors[:MAX_ROW_ERRORS]]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(JobRowError), rows[start:start + 1000])


def row_errors(job_id: int, offset: int = 0, limit: int | None = None) -> list[tuple]:
    """(row, column, message) of a job's kept row errors, in the order they were found."""
    stmt = (select(JobRowError.row, JobRowError.column, JobRowError.message)
            .where(JobRowError.job_id == job_id).order_by(JobRowError.id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [tuple(r) for r in db.session.execute(stmt)]


def remove_upload(job: Job | None) -> None:
    name = (job.params or {}).get("upload") if job is not None else None
    if name:
        (upload_dir() / Path(name).name).unlink(missing_ok=True)


def _import(job, owner, params, department_id, progress) -> Outcome:
    from ..imports import all_import_kinds, run_import
    from ..imports.framework import error_workbook
    kind = all_import_kinds().get(job.name)
    if kind is None:
        return Outcome(FAILED, f"导入类型 {job.name} 已不存在（插件可能已停用），未导入")
    path = upload_dir() / Path(params.get("upload", "")).name
    if not params.get("upload") or not path.is_file():
        return Outcome(FAILED, "上传的文件已不存在，未导入，请重新上传")
    rows = max(int(params.get("rows") or 0), 1)
    steps = 2 * rows   # the bar's first half is reading the file, its second half applying the rows

    def applied(done, total):
        progress(rows + (done * rows // total if total else rows), steps)
    with path.open("rb") as fh:
        result = run_import(kind, fh, user=owner, dry_run=bool(params.get("dry_run")), progress=applied,
                            read_progress=lambda read: progress(min(read, rows), steps))
    if result.ok:
        progress(result.total_rows, result.total_rows)
        return Outcome(DONE, result.summary())
    errors = [(e.row, e.column, e.message) for e in result.errors[:MAX_ROW_ERRORS]]
    report = result_dir() / f"{job.id}-errors.xlsx"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_bytes(error_workbook(result))
    return Outcome(FAILED, result.summary(), str(report), "导入错误报告.xlsx", errors, len(result.errors))


def _export(job, owner, params, department_id, progress) -> Outcome:
    from .api import export_kinds
    kind = export_kinds().get(job.name)
    if kind is None:
        return Outcome(FAILED, f"导出类型 {job.name} 已不存在（插件可能已停用），未导出")
    department = db.session.get(Department, department_id) if department_id is not None else None
    if department_id is not None and department is None:
        return Outcome(FAILED, "所选单位不存在，未导出")
    path = result_dir() / f"{job.id}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind.progress:
        kind.write(str(path), department, progress=progress)
    else:
        kind.write(str(path), department)
    db.session.rollback()   # an export only reads
    return Outcome(DONE, "导出完成", str(path), f"{kind.label}.xlsx")


def _report(job, owner, params, department_id, progress) -> Outcome:
    from ..reports.assemble import ReportError, assemble, file_name, refuse_incomplete, render
    department = db.session.get(Department, params.get("department_id") or -1)
    if department is None:
        return Outcome(FAILED, "所选单位不存在（可能已被合并或编号有误），未生成报告")
    fmt = params.get("format", "docx")
    progress(0, 2)
    try:
        report = assemble(params.get("year"), department, with_labels=fmt != "json")
        progress(1, 2)
        if fmt in ("docx", "xlsx"):
            refuse_incomplete(report)
        content = render(report, fmt)
    except ReportError as exc:
        db.session.rollback()
        return Outcome(FAILED, str(exc))
    db.session.rollback()
    path = result_dir() / f"{job.id}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    progress(2, 2)
    return Outcome(DONE, "报告已生成", str(path), file_name(report, fmt))


BODIES = {"import": _import, "export": _export, "report": _report}


# --- the daily run ------------------------------------------------------------------------

def run_scheduled(day: date | None = None) -> dict[str, str]:
    """Run every plugin's scheduled job once for ``day`` (today). Returns name → state (SKIPPED
    for a job another consumer, or ``intranet jobs run``, runs or ran that day)."""
    from ..hookspecs import ScheduledJob
    from ..plugins import call_safely
    jobs, _failures = call_safely("scheduled_jobs", expect=ScheduledJob)
    states = {}
    for scheduled in jobs:
        outcome = run_scheduled_once(scheduled, day)
        states[f"{scheduled.plugin}.{scheduled.name}"] = SKIPPED if outcome is None else outcome.state
    return states


SKIPPED = "已跳过"


def run_scheduled_once(scheduled, day: date | None = None, *, retry_failed: bool = False) -> Outcome | None:
    """Run one scheduled job for ``day`` (today) if nobody has yet: its (name, day) claim, the job
    row's unique ``run_key``, is shared by every worker and the ``intranet jobs run`` command, so a
    daily job runs once a day. Returns its outcome, or None when the day's run was already claimed.

    ``retry_failed`` (the command, run by hand after a failure): a claim whose run 失败 is released
    (the failed row keeps its history under another key) and the job runs again."""
    from ..plugins import record_failure
    day = day or date.today()
    name = f"{scheduled.plugin}.{scheduled.name}"
    key = f"{name}@{day.isoformat()}"
    job_id = _claim(name, scheduled.description or name, day, key)
    if job_id is None and retry_failed and _release_failed(key):
        job_id = _claim(name, scheduled.description or name, day, key)
    if job_id is None:
        return None
    audit.record("job_start", "job", job_id, summary=f"开始定时任务「{name}」")
    db.session.commit()
    with Progress(job_id):
        try:
            result = scheduled.func()
            outcome = Outcome(DONE, "完成" if result is None else str(result))
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            db.session.rollback()
            failure = record_failure(scheduled.plugin, f"job {scheduled.name}", exc)
            outcome = Outcome(FAILED, f"任务失败：{exc}（错误编号 {failure.reference}）")
    _close(locked(Job, job_id), outcome, None)
    get_queue().forget(job_id)
    return outcome


def _claim(name: str, label: str, day: date, key: str) -> int | None:
    """Insert the day's 进行中 row of a scheduled job (committed); None when the key is taken."""
    now = datetime.now()
    job = Job(kind="scheduled", name=name, label=label, params={"day": day.isoformat()}, state=RUNNING,
              started_at=now, heartbeat_at=now, run_key=key, message="", result_name="", done=0, total=0)
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:   # taken: another consumer runs (or ran) it that day
        db.session.rollback()
        return None
    return job.id


def _release_failed(key: str) -> bool:
    """Free the claim ``key`` if its run 失败 (re-checked under the row's lock)."""
    from ..locking import lock_rows
    job = db.session.scalar(lock_rows(select(Job).where(Job.run_key == key)))
    if job is None or job.state != FAILED:
        db.session.rollback()
        return False
    job.run_key = f"{key}#{job.id}"
    db.session.commit()
    return True


def is_stale(job: Job) -> bool:
    """A 进行中 job whose worker has been silent for JOB_STALE_SECONDS (killed, or its machine restarted)."""
    if job.state != RUNNING:
        return False
    beats = [get_queue().last_beat(job.id) or 0.0]
    for moment in (job.heartbeat_at, job.started_at):
        if moment is not None:
            beats.append(moment.timestamp())
    return time.time() - max(beats) > float(current_app.config.get("JOB_STALE_SECONDS", 120))


def recover(job_id: int) -> bool:
    """Mark a stale 进行中 job 失败 (under its row lock, re-checked there) and remove its upload."""
    job = locked(Job, job_id)
    if job is None or not is_stale(job):
        db.session.rollback()
        return False
    remove_upload(job)
    _close(job, Outcome(FAILED, INTERRUPTED), None)
    get_queue().forget(job_id)
    return True


def recover_stale() -> int:
    """Every stale job marked 失败; returns how many."""
    ids = db.session.scalars(select(Job.id).where(Job.state == RUNNING)).all()
    db.session.rollback()
    return sum(recover(job_id) for job_id in ids)


def requeue_waiting() -> int:
    """Deliver every 排队中 job again (a queue that lost its messages); the runner's lock makes a
    second delivery harmless."""
    ids = db.session.scalars(select(Job.id).where(Job.state == QUEUED).order_by(Job.id)).all()
    db.session.rollback()
    for job_id in ids:
        get_queue().enqueue(job_id)
    return len(ids)


def clean_old_results(now: datetime | None = None) -> int:
    """Remove result files (and stray uploads) older than JOB_RESULT_DAYS; the job rows stay."""
    now = now or datetime.now()
    cutoff = now - timedelta(days=int(current_app.config.get("JOB_RESULT_DAYS", 7)))
    jobs = db.session.scalars(select(Job).where(Job.result_path.is_not(None), Job.finished_at < cutoff)).all()
    for job in jobs:
        Path(job.result_path).unlink(missing_ok=True)
        job.result_path = None
        job.message = (job.message + "（结果文件已过期清除）")[:2000]
    db.session.commit()
    folder = upload_dir()
    if folder.is_dir():
        active = {(j.params or {}).get("upload") for j in db.session.scalars(
            select(Job).where(Job.kind == "import", Job.state.in_((QUEUED, RUNNING))))}
        for path in folder.iterdir():
            if path.name not in active and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
    return len(jobs)
