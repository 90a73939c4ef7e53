"""The huey instance of an app, made from ``QUEUE_URL``, and the tasks it runs: a job, the sweep
of dead jobs (every JOB_SWEEP_MINUTES), the refresh of a stored figure and the daily run.

``sqlite:///PATH`` (the default: instance/queue.sqlite3, nothing to start), ``redis://…``
(production, several workers) or ``memory://`` (one process). ``QUEUE_IMMEDIATE`` runs every
task inline in the caller (tests). Live progress and heartbeats go to the queue's key-value
storage, not the database: an import holds its database transaction (and on SQLite the write
lock) until it ends, so a second connection could not record its progress there.
"""
from __future__ import annotations

import time
from pathlib import Path

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab


class QueueConfigError(ValueError):
    pass


def make_huey(config, instance_path: str):
    url = config.get("QUEUE_URL") or f"sqlite:///{Path(instance_path) / 'queue.sqlite3'}"
    name = config.get("QUEUE_NAME") or "intranet"
    immediate = bool(config.get("QUEUE_IMMEDIATE"))
    # utc=False: the daily run's SCHEDULED_JOBS_HOUR is the server's local hour.
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, immediate=immediate, utc=False)
    if url.startswith("memory://"):
        return MemoryHuey(name, immediate=immediate, utc=False)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), immediate=immediate, utc=False)
    raise QueueConfigError(f"QUEUE_URL 无效：{url}（应为 sqlite:///路径、redis://主机:端口/库 或 memory://）")


def init_app(app) -> None:
    huey = make_huey(app.config, app.instance_path)
    hour = int(app.config.get("SCHEDULED_JOBS_HOUR", 2))

    @huey.task(name="intranet.run_job")
    def run_job(job_id: int):
        from .runner import run_job as run
        with app.app_context():
            return run(job_id)

    sweep_minutes = int(app.config.get("JOB_SWEEP_MINUTES", 5))

    # Jobs whose worker died are marked 失败 here, not when someone views them (GETs change nothing).
    @huey.periodic_task(crontab(minute=f"*/{sweep_minutes}"), name="intranet.sweep")
    def sweep():
        from .runner import recover_stale
        with app.app_context():
            return recover_stale()

    @huey.task(name="intranet.refresh_figures")
    def refresh_figures(key: str, token: str):
        from ..stored import refresh
        with app.app_context():
            return refresh(key, token)

    @huey.periodic_task(crontab(minute="0", hour=str(hour)), name="intranet.daily")
    def daily():
        from ..stored import forget_unread
        from .runner import clean_old_results, recover_stale, run_scheduled
        with app.app_context():
            recover_stale()
            run_scheduled()
            clean_old_results()
            forget_unread()

    app.extensions["intranet_queue"] = Queue(huey, run_job, daily, refresh_figures)


class Queue:
    """An app's queue: ``enqueue(job_id)`` and the live progress of running jobs."""

    def __init__(self, huey, task, daily, refresh_figures=None):
        self.huey, self.task, self.daily = huey, task, daily
        self.refresh_figures = refresh_figures   # intranet.stored's refresh of one key

    def enqueue(self, job_id: int) -> None:
        self.task(job_id)

    def put_progress(self, job_id: int, done: int, total: int) -> None:
        self.huey.put(f"job:{job_id}:progress", (int(done), int(total), time.time()))

    def progress(self, job_id: int) -> tuple[int, int] | None:
        value = self.huey.get(f"job:{job_id}:progress", peek=True)
        return (value[0], value[1]) if value else None

    def beat(self, job_id: int) -> None:
        self.huey.put(f"job:{job_id}:beat", time.time())

    def last_beat(self, job_id: int) -> float | None:
        return self.huey.get(f"job:{job_id}:beat", peek=True)

    def forget(self, job_id: int) -> None:
        for key in (f"job:{job_id}:progress", f"job:{job_id}:beat"):
            self.huey.delete(key)


def get_queue(app=None) -> Queue:
    from flask import current_app
    return (app or current_app).extensions["intranet_queue"]
