"""Putting work on the queue (used by views and the CLI), and reading jobs back."""
from __future__ import annotations

import hashlib
import re
import secrets
import zipfile
from io import BytesIO

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Department, Job
from ..models.job import ACTIVE_STATES, QUEUED
from .queue import get_queue
from .runner import is_stale, recover, upload_dir

ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]")


def export_kinds() -> dict:
    from ..plugins import flatten, get_pm
    return {k.name: k for k in flatten(get_pm().hook.export_kinds())}


def _owner_fields(user) -> dict:
    if user is None:
        return {"owner_id": None, "department_id": None}
    return {"owner_id": user.id, "department_id": user.department_id}


def enqueue(job: Job) -> Job:
    """Store ``job`` (排队中), commit, and hand it to the queue; returns it fresh from the database."""
    job.state = QUEUED
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    get_queue().enqueue(job_id)
    db.session.expire_all()   # QUEUE_IMMEDIATE: the job has already run in its own session
    return db.session.get(Job, job_id)


def count_rows(data: bytes) -> int:
    """Data rows of the first sheet of an .xlsx (rows counted in its XML; header excluded); 0 if unreadable."""
    from ..spreadsheets import SpreadsheetError
    from ..spreadsheets.reading import check_xlsx
    try:
        part = check_xlsx(BytesIO(data))
        rows, tail = 0, b""
        with zipfile.ZipFile(BytesIO(data)) as archive, archive.open(part) as fh:
            while chunk := fh.read(1 << 20):
                buf = tail + chunk
                # a tag starting in the last 40 bytes may be cut: it is counted with the next chunk
                rows += sum(1 for m in ROW_TAG.finditer(buf) if m.start() < len(buf) - 40)
                tail = buf[-40:]
        rows += len(ROW_TAG.findall(tail))
        return max(rows - 1, 0)
    except (SpreadsheetError, zipfile.BadZipFile, KeyError, OSError):
        return 0


def should_queue_import(data: bytes) -> int:
    """The file's data rows when they are more than IMPORT_QUEUE_ROWS (a job), else 0 (the request)."""
    rows = count_rows(data)
    return rows if rows > int(current_app.config.get("IMPORT_QUEUE_ROWS", 5000)) else 0


def start_import(kind, data: bytes, filename: str, user=None, dry_run: bool = False,
                 rows: int | None = None) -> tuple[Job, bool]:
    """Queue an import of ``data``; the same file already waiting or running for the same user is
    not queued twice: (that job, False). A dead one (stale heartbeat) is recovered first."""
    digest = hashlib.sha256(b"%s\0%s\0%d\0" % (kind.name.encode(), str(getattr(user, "id", "")).encode(), dry_run)
                            + data).hexdigest()
    same = db.session.scalars(select(Job).where(Job.digest == digest, Job.state.in_(ACTIVE_STATES))
                              .order_by(Job.id.desc())).all()
    for job in same:
        if not recover(job.id):
            return db.session.get(Job, job.id), False
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    upload = f"{secrets.token_hex(16)}.xlsx"
    (folder / upload).write_bytes(data)
    label = f"{kind.label}（{filename}）" if filename else kind.label
    job = Job(kind="import", name=kind.name, label=label[:200], digest=digest, message="", result_name="",
              params={"upload": upload, "filename": filename, "dry_run": dry_run,
                      "rows": count_rows(data) if rows is None else rows},
              **_owner_fields(user))
    return enqueue(job), True


def start_export(kind, user=None, department: Department | None = None) -> Job:
    """Queue export ``kind`` for ``department`` (a web user: their scope; the CLI: any or all)."""
    fields = _owner_fields(user)
    if user is not None:
        from ..access import scope_root
        root = scope_root(user)
        fields["department_id"] = root.id if root is not None else None
    elif department is not None:
        fields["department_id"] = department.id
    return enqueue(Job(kind="export", name=kind.name, label=kind.label, params={"plugin": kind.plugin},
                       message="", result_name="", **fields))


def start_report(year: int, department: Department, fmt: str, user=None) -> Job:
    fields = _owner_fields(user)
    fields["department_id"] = department.id
    return enqueue(Job(kind="report", name=fmt, label=f"{year}年{department.name}年度报告（{fmt}）",
                       params={"year": year, "department_id": department.id, "format": fmt},
                       message="", result_name="", **fields))


def subtree_units(department: Department) -> int:
    return db.session.scalar(select(func.count()).select_from(Department).where(department.subtree_filter(None)))


def should_queue_report(department: Department) -> bool:
    return subtree_units(department) > int(current_app.config.get("REPORT_QUEUE_UNITS", 200))


def visible_jobs(user):
    """The jobs ``user`` may see: their own; the 系统管理员 sees all."""
    stmt = select(Job).order_by(Job.id.desc())
    return stmt if user.role == "admin" else stmt.where(Job.owner_id == user.id)


def progress_of(job: Job) -> dict:
    """What the progress bar shows: live figures from the queue while running, the row's after."""
    done, total = job.done, job.total
    if not job.finished:
        live = get_queue().progress(job.id)
        if live:
            done, total = live
    percent = int(100 * done / total) if total else (100 if job.finished else 0)
    return {"id": job.id, "state": job.state, "done": done, "total": total, "percent": min(percent, 100),
            "message": job.message, "finished": job.finished, "stale": is_stale(job)}
