"""Login loading, session invalidation, security headers and error pages."""
from __future__ import annotations

from datetime import timedelta

from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, make_response, redirect, render_template, request
from flask_login import login_url
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .access import refuse_read_only_writes, view_marked
from .extensions import db, login_manager
from .models import User

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
REMEMBER_MAX = timedelta(days=14)

ERROR_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "您没有权限访问此页面或操作此记录",
    404: "页面或记录不存在",
    405: "不支持的请求方法",
    413: "上传的文件过大",
    414: "网址过长（查询条件太多或太长），请缩短搜索内容后重试",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请联系系统管理员",
    503: "数据库暂时无法访问，请稍后刷新重试；如持续出现，请联系系统管理员",
}
CSRF_MESSAGE = "表单已失效或缺少安全令牌（CSRF），请刷新页面后重试"

# Used when the error page itself cannot be rendered (e.g. the database is down).
PLAIN_ERROR_PAGE = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{code}</title>'
    "<h1>{code}</h1><p>{message}</p></html>"
)


@login_manager.user_loader
def load_user(user_id: str):
    """The session id is "<id>:<session_version>"; a bumped version ends old sessions."""
    try:
        ident, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def wants_json() -> bool:
    """Answer errors in JSON: an API path, ?format=json, a JSON Accept or body, or a ``json_view``."""
    if (request.path.startswith("/api/") or request.args.get("format") == "json" or request.is_json
            or request.accept_mimetypes.best == "application/json"):
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return view is not None and view_marked(view, "json")


def _error_response(code: int, message: str | None = None):
    message = message or ERROR_MESSAGES.get(code, "出错了")
    if wants_json():
        return jsonify({"error": message, "status": code}), code
    try:
        return render_template("error.html", code=code, message=message), code
    except Exception:  # never let a broken page turn an error into a stack trace
        db.session.rollback()
        return PLAIN_ERROR_PAGE.format(code=code, message=message), code


def _unauthorized():
    """Anonymous: JSON callers get 401, browsers go to the login page (with a safe ``next``)."""
    if wants_json():
        return _error_response(401)
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def safe_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site (no scheme, host, "//" or backslash tricks), else ``fallback``."""
    if target and target.startswith("/") and not any(c in target for c in "\\\r\n\t"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return fallback


def init_app(app) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(_unauthorized)
    duration = app.config.get("REMEMBER_COOKIE_DURATION") or REMEMBER_MAX
    if not isinstance(duration, timedelta):
        duration = timedelta(seconds=int(duration))
    app.config["REMEMBER_COOKIE_DURATION"] = min(duration, REMEMBER_MAX)
    app.before_request(refuse_read_only_writes)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _error_response(400, CSRF_MESSAGE)

    for code in (400, 401, 403, 404, 405, 413, 414, 429):
        app.register_error_handler(code, lambda exc, code=code: _error_response(
            code, getattr(exc, "description", None) if code in (400, 403, 404) and _is_custom(exc) else None))

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        """The database went away (restarted, unreachable, file missing): say so, and let the next
        request start afresh. The pool is emptied, so no connection to the lost database is reused;
        the pool's pre-ping (create_app) catches connections that died while idle."""
        current_app.logger.warning("database unavailable: %s", exc)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        db.session.remove()
        if not _lock_conflict(exc):   # a lost lock race is not a lost database: keep the pool
            db.engine.dispose()
        message = ERROR_MESSAGES[503]
        if wants_json():
            response = jsonify({"error": message, "status": 503})
        else:   # not the site's layout: it would ask the database for the user and the menu
            response = make_response(PLAIN_ERROR_PAGE.format(code=503, message=message))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        return _error_response(500)


def _lock_conflict(exc) -> bool:
    """A deadlock, serialization failure, lock timeout (PostgreSQL) or a busy file (SQLite)."""
    return (getattr(exc.orig, "sqlstate", None) in ("40001", "40P01", "55P03")
            or getattr(exc.orig, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")))


def _is_custom(exc) -> bool:
    """abort(404, "证件编号不存在") carries our own Chinese message; Werkzeug's default is English."""
    desc = getattr(exc, "description", "") or ""
    return any("\u4e00" <= ch <= "\u9fff" for ch in desc)
