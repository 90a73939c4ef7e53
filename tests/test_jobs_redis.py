"""The production queue: RedisHuey on the machine's Redis, a real consumer thread runs an import job."""
import os
import time
import uuid

import pytest
from sqlalchemy import select

from intranet.imports import get_import_kind
from intranet.jobs import DONE, Job
from intranet.jobs import api
from intranet.jobs.queue import get_queue
from intranet.testing import make_id, xlsx_bytes

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]


def redis_reachable() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


if not os.environ.get("CI") and not redis_reachable():
    pytest.skip("Redis is not reachable on 127.0.0.1:6379 (CI runs this test)", allow_module_level=True)


@pytest.fixture
def app_config(tmp_path):
    return {"QUEUE_URL": REDIS_URL, "QUEUE_NAME": f"intranet-test-{uuid.uuid4().hex[:8]}",
            "QUEUE_IMMEDIATE": False, "JOB_FOLDER": str(tmp_path / "jobs"), "IMPORT_QUEUE_ROWS": 3,
            "JOB_HEARTBEAT_SECONDS": 1}


def test_a_redis_consumer_runs_an_import_job(app, db, org):
    queue = get_queue()
    assert type(queue.huey).__name__ == "RedisHuey"
    rows = [["测试", make_id(), "X01-A", "科员", "行政编制", "是", "在岗", None, "否"] for _ in range(8)]
    job, created = api.start_import(get_import_kind("people"), xlsx_bytes(PEOPLE_HEADER, rows), "a.xlsx",
                                    org.users["dept_admin_a"])
    assert created and queue.huey.pending_count() == 1
    consumer = queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    import signal
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.expire_all()
            state = db.session.scalar(select(Job.state).where(Job.id == job.id, Job.kind == "import"))
            db.session.rollback()
            if state == DONE:
                break
            time.sleep(0.2)
    finally:
        consumer.stop(graceful=True)
        for s, h in handlers.items():
            signal.signal(s, h)
        queue.huey.storage.flush_all()
    job = db.session.get(Job, job.id)
    assert job.state == DONE and "新增 8 条" in job.message and (job.done, job.total) == (8, 8)
