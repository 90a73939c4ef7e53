"""法治政府建设 intranet: a small Flask core that hosts plugins."""
from __future__ import annotations

from flask import Flask

from .config import REPO_ROOT, instance_path, load_config

__version__ = "0.1.0"


def create_app(config: dict | None = None) -> Flask:
    """Build the app: config, extensions, plugins, blueprints."""
    from . import counts, inputs, locking, security, sessions, transactions
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .plugins import make_plugin_manager, resolve_plugins

    app = Flask(
        __name__,
        instance_path=str(instance_path()),
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "templates" / "static"),
    )
    load_config(app, config)
    _trust_proxies(app)
    inputs.init_app(app)  # first: the bounded <int:> converter must exist before any route

    infos, loaded = resolve_plugins(app.config)
    app.extensions["intranet_plugins"] = infos
    pm = make_plugin_manager(loaded)
    app.extensions["intranet_pm"] = pm

    # Test each pooled connection before use: one the database dropped (a restart, an idle
    # timeout) is replaced instead of failing the request.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    db.init_app(app)
    _configure_engine(app)
    counts.init_app(app, db)
    transactions.init_app(app, db)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    sessions.init_app(app)
    security.init_app(app)
    locking.init_app(app)

    pm.hook.configure_app.call_historic(kwargs={"app": app})
    from . import admin, auth, dashboard, imports, org, people, reports, users
    for module in (auth, dashboard, org, people, users, imports, reports, admin):
        app.register_blueprint(module.bp)
    from . import jobs
    jobs.init_app(app)
    from .reports import submissions
    app.register_blueprint(submissions.bp)
    app.register_blueprint(submissions.public_bp)
    from .cli import CORE_COMMANDS
    from .plugin_checks import check_at_start, register_blueprints
    register_blueprints(app)
    check_at_start(app, CORE_COMMANDS)
    from .templating import init_templating
    init_templating(app)
    return app


def _trust_proxies(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _configure_engine(app: Flask) -> None:
    """Every database: a pooled connection is never used by a forked child (a live test server,
    a pre-forking web server), which would share its socket with the parent. SQLite: foreign keys
    on, WAL, a busy timeout (set per connection)."""
    import os

    from sqlalchemy import event, exc

    from .extensions import db

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _remember_process(_dbapi_connection, record):
            record.info["pid"] = os.getpid()

        @event.listens_for(engine, "checkout")
        def _refuse_inherited(_dbapi_connection, record, proxy):
            # SQLAlchemy's recipe "Using Connection Pools with Multiprocessing": drop the parent's
            # connection without closing it (the parent still uses it) and let the pool connect anew.
            if record.info.get("pid") != os.getpid():
                record.dbapi_connection = proxy.dbapi_connection = None
                raise exc.DisconnectionError("connection made in another process")

        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            return

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
