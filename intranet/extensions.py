"""Flask extensions, created unbound and initialised in create_app.

``db`` is made at import (the models need it). ``login_manager``, ``csrf``, ``migrate`` and
``limiter`` are made on first use (``from intranet.extensions import limiter`` works as before):
importing Flask-Migrate (Alembic), Flask-Limiter, Flask-Login and Flask-WTF would cost
``intranet --help`` and other commands that never build the app a few tenths of a second.
"""
import threading

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def _login_manager():
    from flask_login import LoginManager
    return LoginManager()


def _csrf():
    from flask_wtf import CSRFProtect
    return CSRFProtect()


def _migrate():
    from flask_migrate import Migrate
    return Migrate()


def _limiter():
    from flask_limiter.util import get_remote_address

    from .limiter import AppLimiter
    return AppLimiter(key_func=get_remote_address, default_limits=[])


_FACTORIES = {"login_manager": _login_manager, "csrf": _csrf, "migrate": _migrate, "limiter": _limiter}
_lock = threading.Lock()


def __getattr__(name):
    factory = _FACTORIES.get(name)
    if factory is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _lock:   # one object per name, even when two threads ask first at the same time
        if name not in globals():
            globals()[name] = factory()
    return globals()[name]
