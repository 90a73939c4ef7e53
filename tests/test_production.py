"""The production setup runs: gunicorn with deploy/gunicorn.conf.py (2 workers) on a free port,
PostgreSQL migrated by `intranet db upgrade`, Redis for the login throttle and the sessions, the
secret from SECRET_KEY_FILE, one trusted proxy hop; a user logs in over HTTP."""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

from intranet.config import REPO_ROOT
from intranet.testing import ThrowAwayDatabase

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "Prod-Check-7319-xq!"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def production(tmp_path):
    store = ThrowAwayDatabase("postgresql")
    prefix = f"intranet-prod-test-{uuid.uuid4().hex[:8]}"
    secret = tmp_path / "secret_key"
    secret.write_text("k" * 64)
    secret.chmod(0o600)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": store.url, "INTRANET_INSTANCE_PATH": str(tmp_path / "instance"),
           "INTRANET_SECRET_KEY_FILE": str(secret), "INTRANET_RATELIMIT_KEY_PREFIX": prefix,
           "INTRANET_SESSION_KEY_PREFIX": f"{prefix}:session:", "INTRANET_SESSION_COOKIE_SECURE": "false",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
    env.pop("INTRANET_PROXY_HOPS", None)
    server = None
    try:
        for args in (["db", "upgrade"], ["users", "create-admin", "--username", "root", "--password", PASSWORD]):
            done = subprocess.run([str(BIN / "intranet"), *args], env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
        log = (tmp_path / "gunicorn.log").open("w")
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py")],
                                  env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=10)
                break
            except OSError:   # not listening yet, or a worker still starting
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.5)
        yield base, prefix
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        store.drop()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_login_over_http_with_gunicorn_postgresql_redis(production):
    base, prefix = production
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.addheaders = [("X-Forwarded-For", "203.0.113.9")]   # as nginx sends on every request
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": "root", "password": PASSWORD}).encode()
    try:
        answer = opener.open(f"{base}/login", data=form)
        status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 302
    # several requests, so both workers answer: the session lives in Redis, not in one worker
    for _ in range(6):
        assert opener.open(f"{base}/people/").status == 200
    r = redis.Redis.from_url(REDIS_URL)
    assert list(r.scan_iter(f"{prefix}:session:*"))
    # the throttle counted the client's address given by the (trusted) proxy, in Redis
    assert any(b"203.0.113.9" in key for key in r.scan_iter(f"*{prefix}*"))
