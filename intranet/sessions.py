"""Server-side sessions (Flask-Session): the cookie carries only a random id.

The login, the CSRF token and flash messages (which may name people) stay on the server, in
files under ``instance/sessions`` (an in-memory store for tests), or in Redis when
``SESSION_REDIS_URL`` is set, so that every worker and every machine behind the proxy sees the
same sessions; logging out deletes them.
"""
from __future__ import annotations

from pathlib import Path

from cachelib import FileSystemCache, SimpleCache
from flask import current_app, session
from flask_session import Session

# More stored sessions than this and the expired ones (then the oldest) are removed.
SESSION_FILE_LIMIT = 20000  # the default of the SESSION_FILE_LIMIT setting


def init_app(app) -> None:
    if app.config.get("SESSION_REDIS_URL"):
        from .redis_clients import client
        app.config["SESSION_TYPE"] = "redis"
        app.config["SESSION_REDIS"] = client(app.config["SESSION_REDIS_URL"])
        app.config.setdefault("SESSION_KEY_PREFIX", "intranet:session:")
    app.config.setdefault("SESSION_TYPE", "cachelib")
    app.config.setdefault("SESSION_PERMANENT", False)  # a browser-session cookie unless "remember me"
    if app.config["SESSION_TYPE"] == "cachelib" and app.config.get("SESSION_CACHELIB") is None:
        if app.testing:
            store = SimpleCache(threshold=SESSION_FILE_LIMIT)
        else:
            store = FileSystemCache(str(Path(app.instance_path) / "sessions"), mode=0o600,
                                    threshold=int(app.config.get("SESSION_FILE_LIMIT") or SESSION_FILE_LIMIT))
        app.config["SESSION_CACHELIB"] = store
    Session(app)


def new_session_id() -> None:
    """Give the session a fresh id (at login), so an id known before it is no use after it."""
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)
