"""Several workers, one Redis (127.0.0.1:6379): the login throttle and the sessions are shared.

The second app runs in another process, as a second gunicorn worker would: an in-process second
app would share the first one's Python objects and prove nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis

from intranet.testing import BASE_CONFIG, login, make_department, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = f"intranet-test-{uuid.uuid4().hex[:8]}"

WORKER = r"""
import json, sys
from intranet import create_app
config, requests = json.loads(sys.argv[1]), json.loads(sys.argv[2])
app = create_app(config)
client = app.test_client()
codes = []
for method, path, data, cookie in requests:
    if cookie:
        client.set_cookie("session", cookie)
    codes.append(client.open(path, method=method, data=data).status_code)
print(json.dumps(codes))
"""


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
            "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": PREFIX,
            "SESSION_REDIS_URL": REDIS_URL, "SESSION_KEY_PREFIX": f"{PREFIX}:session:"}


@pytest.fixture(autouse=True)
def clean_redis():
    r = redis.Redis.from_url(REDIS_URL)
    yield
    for key in r.scan_iter(f"*{PREFIX}*"):
        r.delete(key)


def other_worker(database, app_config, requests) -> list[int]:
    config = {**BASE_CONFIG, **app_config, "SQLALCHEMY_DATABASE_URI": database.url}
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(config), json.dumps(requests)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_login_attempts_counted_across_workers(client, db, database, app_config):
    make_user("admin", username="shared")
    db.session.commit()
    wrong = {"username": "shared", "password": "wrong-password"}
    assert [client.post("/login", data=wrong).status_code for _ in range(3)] == [200, 200, 200]
    # the other worker has seen no attempt itself, yet refuses the fourth
    assert other_worker(database, app_config, [["POST", "/login", wrong, None]]) == [429]


def test_session_shared_across_workers(client, db, database, app_config):
    user = make_user("dept_admin", make_department())
    db.session.commit()
    login(client, user)
    cookie = client.get_cookie("session").value
    assert redis.Redis.from_url(REDIS_URL).exists(f"{PREFIX}:session:{cookie}")
    assert other_worker(database, app_config, [["GET", "/people/", None, cookie]]) == [200]
    client.post("/logout")   # logging out on one worker ends the session on every worker
    assert other_worker(database, app_config, [["GET", "/people/", None, cookie]]) == [302]


def test_one_redis_client_per_url_and_timeout():
    from intranet.redis_clients import client
    url = "redis://127.0.0.1:6379/0"
    assert client(url) is client(url)
    assert client(url, 0.5) is not client(url)
    assert client(url, 0.5).connection_pool.connection_kwargs["socket_timeout"] == 0.5
