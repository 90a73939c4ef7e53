"""Configuration: defaults, then instance/config.py, then INTRANET_* environment variables."""
import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    SECRET_KEY = None  # always set from instance/config.py, the environment or SECRET_KEY_FILE
    SECRET_KEY_FILE = None  # a file holding the key (production); overrides SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # computed: SQLite in the instance folder
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Enabled plugins, in load order. None means "every installed plugin".
    PLUGINS = None
    # name -> module path, for plugins that are not installed through entry points
    # (tests and development only).
    PLUGIN_SOURCES: dict = {}
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    MAX_QUERY_BYTES = 8192  # a longer query string (as sent, percent-encoded) is refused with 414
    # Uploaded .xlsx files are checked before parsing; XLSX_MAX_UNZIPPED_MB, XLSX_MAX_PART_MB,
    # XLSX_MAX_RATIO, XLSX_MAX_ROWS, XLSX_MAX_COLUMNS, XLSX_MAX_CELL_CHARS override the defaults
    # in intranet.spreadsheets.Limits.
    ANALYZE_AFTER_ROWS = 5000  # PostgreSQL: ANALYZE the tables an import wrote once it wrote this many rows
    PER_PAGE = 20
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    LOGIN_RATE_LIMIT = "30 per minute"  # per client address, POST /login only
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure (HTTPS only) unless the app runs in debug or testing; set True/False to decide.
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_SECURE = None
    SESSION_FILE_LIMIT = 20000  # server-side session files kept in instance/sessions
    WTF_CSRF_TIME_LIMIT = None
    WTF_I18N_ENABLED = False  # WTForms' own Chinese catalogue instead (see intranet.forms)
    # Per worker process by default; with several workers (gunicorn) use Redis so that every worker
    # counts the same login attempts: redis://127.0.0.1:6379/0 (deploy/ sets it).
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "intranet"
    # Server-side sessions in Redis instead of instance/sessions (shared by workers and machines).
    SESSION_REDIS_URL = None
    # Store the session only when a request changed it. Rewritten on every request, a page's
    # parallel requests (a chart image loading while a form is posted) each save the copy they
    # loaded, and the last one drops what another just stored: the post's flash message.
    SESSION_REFRESH_EACH_REQUEST = False
    # The pagers' counts are reused while the tables they count are unchanged (intranet.counts), for
    # at most this many seconds (0: count on every page). With several workers, Redis shares the
    # tables' versions so that a write in one worker is seen by all at once: redis://127.0.0.1:6379/0.
    COUNT_CACHE_SECONDS = 60
    COUNT_CACHE_REDIS_URL = None
    # Reverse proxies in front of the app (0: none). Each trusted hop's X-Forwarded-For/-Proto/-Host
    # is believed, so the login throttle and the audit log see the client's address.
    PROXY_HOPS = 0
    RATELIMIT_HEADERS_ENABLED = True
    UPLOAD_FOLDER = None  # computed: instance/uploads
    REPORT_CACHE_FOLDER = None  # report page's charts and long tables (intranet.reports.pieces): instance/cache/report
    REGION_NAME = "永安市"
    # The annual report's deadlines (厅字〔2019〕28号), month-day of the year after the report's year:
    # departments report to their government by 1 March, governments to the level above by 1 April.
    REPORT_DEADLINE_DEPARTMENT = "03-01"
    REPORT_DEADLINE_GOVERNMENT = "04-01"
    # The job queue (intranet.jobs, huey). None: SQLite at instance/queue.sqlite3 (nothing to start);
    # "redis://host:6379/0" in production; "memory://" for one process only.
    QUEUE_URL = None
    QUEUE_NAME = "intranet"
    QUEUE_IMMEDIATE = False      # run tasks inline, in the caller (tests)
    QUEUE_WORKERS = 2            # worker threads of `intranet worker`
    IMPORT_QUEUE_ROWS = 5000     # larger imports run as a job
    REPORT_QUEUE_UNITS = 200     # report files for a larger subtree are built as a job
    SCHEDULED_JOBS_HOUR = 2      # the worker runs the scheduled jobs daily at this hour
    JOB_RESULT_DAYS = 7          # result files are removed after this many days
    JOB_HEARTBEAT_SECONDS = 10   # a running job says it is alive this often
    JOB_STALE_SECONDS = 120      # a running job silent this long is taken as dead (worker killed)
    JOB_SWEEP_MINUTES = 5        # the worker marks dead jobs 失败 this often (a divisor of 60)
    # job_uploads/ (uploaded import files, which hold ID numbers: leave it out of backups) and
    # job_results/ live here; None: the instance folder.
    JOB_FOLDER = None
    # Heavy figures of the pages (the dashboard's), computed by the worker (intranet.stored): fresh
    # this long; a worker's claim on one expires after STORED_CLAIM_SECONDS; unread ones are forgotten
    # after STORED_FORGET_DAYS. STORED_FIGURES_INLINE: compute in the request (None: when TESTING).
    STORED_FIGURES_SECONDS = 300
    STORED_CLAIM_SECONDS = 600
    STORED_FORGET_DAYS = 30
    STORED_FIGURES_INLINE = None


def instance_path() -> Path:
    return Path(os.environ.get("INTRANET_INSTANCE_PATH", REPO_ROOT / "instance")).resolve()


def ensure_instance_config(path: Path) -> Path:
    """Create instance/config.py with a random SECRET_KEY on first run."""
    path.mkdir(parents=True, exist_ok=True)
    config_file = path / "config.py"
    if not config_file.exists():
        config_file.write_text(
            "# Generated on first run. Never commit this file.\n"
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n",
            encoding="utf-8",
        )
        config_file.chmod(0o600)
    return config_file


def _parse_env_value(key: str, raw: str):
    if key == "PLUGINS":
        return [p.strip() for p in raw.split(",") if p.strip()]
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if raw.isdigit():
        return int(raw)
    return raw


def _secret_from_file(app) -> None:
    """SECRET_KEY_FILE (config or INTRANET_SECRET_KEY_FILE): the key is read from that file (kept
    out of the code, the environment and instance/config.py; readable by the app's user only)."""
    path = app.config.get("SECRET_KEY_FILE")
    if not path:
        return
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise RuntimeError(f"无法读取 SECRET_KEY_FILE {path}：{exc.strerror}") from None
    if len(key) < 32:
        raise RuntimeError(f"SECRET_KEY_FILE {path} 中的密钥太短（至少 32 个字符）")
    app.config["SECRET_KEY"] = key


def load_config(app, overrides: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile(str(ensure_instance_config(Path(app.instance_path))))
    for key, raw in os.environ.items():
        if key.startswith("INTRANET_") and key != "INTRANET_INSTANCE_PATH":
            app.config[key[len("INTRANET_"):]] = _parse_env_value(key[len("INTRANET_"):], raw)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if overrides:
        app.config.update(overrides)
    _secret_from_file(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'intranet.db'}"
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not (app.debug or app.config.get("TESTING"))
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
