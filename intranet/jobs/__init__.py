"""Long work on a job queue (huey): big imports, exports, report builds, the daily jobs.

``queue`` makes the huey instance from config; ``api`` queues work; ``runner`` runs it in the
worker (``intranet worker``); ``views`` shows progress and results.
"""
from ..models.job import ACTIVE_STATES, DONE, FAILED, QUEUED, RUNNING, Job

__all__ = ["ACTIVE_STATES", "DONE", "FAILED", "QUEUED", "RUNNING", "Job", "init_app"]


def init_app(app) -> None:
    from . import queue, views
    queue.init_app(app)
    views.init_app(app)
