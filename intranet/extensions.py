"""Flask extensions, created unbound and initialised in create_app."""
from flask import current_app, has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AppLimiter(Limiter):
    """A Limiter whose on/off switch is the current app's RATELIMIT_ENABLED.

    Flask-Limiter keeps ``enabled`` on the instance, so with one module-level limiter the last
    app made would switch rate limiting on or off for every app (and leak between tests).
    Each app gets fresh storage when it is made.
    """

    _initialising = False

    @property
    def enabled(self) -> bool:
        if self._initialising or not has_app_context():
            return True
        return bool(current_app.config.get("RATELIMIT_ENABLED", True))

    @enabled.setter
    def enabled(self, value) -> None:
        pass  # read per app from its config

    def init_app(self, app) -> None:
        app.config.setdefault("RATELIMIT_ENABLED", True)
        self._initialising = True
        self._key_prefix = None   # Flask-Limiter keeps the first app's RATELIMIT_KEY_PREFIX otherwise
        try:
            super().init_app(app)
        finally:
            self._initialising = False


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
limiter = AppLimiter(key_func=get_remote_address, default_limits=[])
