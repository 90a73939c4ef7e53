"""The login throttle's Limiter (made on first use by intranet.extensions)."""
from flask import current_app, has_app_context
from flask_limiter import Limiter


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
