"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py``.

Behind the reverse proxy in deploy/nginx.conf. Every value can be changed from the environment
(GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_TIMEOUT); the app's own settings come, as always, from
instance/config.py and INTRANET_* / DATABASE_URL variables. Several workers must share the login
throttle, the sessions and the job queue, so Redis is the default for all three here.
"""
import multiprocessing
import os

wsgi_app = "intranet:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 9)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))     # long work belongs in `intranet worker`
graceful_timeout = 30
keepalive = 5
max_requests = 2000          # recycle workers now and then (memory held by big pages)
max_requests_jitter = 200
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
# X-Forwarded-* are handled by the app's ProxyFix (PROXY_HOPS), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
proc_name = "intranet"
# gunicorn ≥ 23's control socket lives at one path per user (~/.gunicorn/gunicorn.ctl), which two
# instances on one machine would share; the app needs none.
control_socket_disable = True

os.environ.setdefault("INTRANET_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
os.environ.setdefault("INTRANET_SESSION_REDIS_URL", "redis://127.0.0.1:6379/0")
# The long lists' counts are reused until a table is written: every worker must see every write.
os.environ.setdefault("INTRANET_COUNT_CACHE_REDIS_URL", "redis://127.0.0.1:6379/0")
# The job queue: `intranet worker` must be started with the same INTRANET_QUEUE_URL.
os.environ.setdefault("INTRANET_QUEUE_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("INTRANET_PROXY_HOPS", "1")   # nginx in front; 0 when clients reach gunicorn directly
