from __future__ import annotations

from datetime import datetime, timedelta
from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import audit
from ..access import own_account_view, public_view
from ..extensions import db, limiter
from ..models import User
from ..passwords import password_problem
from ..security import safe_path
from ..sessions import new_session_id
from . import throttle
from .forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__)


def _login_rate_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "30 per minute")


def _spend_hash_time(password: str) -> None:
    """Check against a throw-away hash so an unknown username takes as long as a known one."""
    dummy = User(password_hash=current_app.extensions.get("intranet_dummy_hash", ""))
    if not dummy.password_hash:
        dummy.set_password("unknown-user-dummy")
        current_app.extensions["intranet_dummy_hash"] = dummy.password_hash
    dummy.check_password(password)


LOGIN_REFUSED = "用户名或密码错误；多次失败后需等待一段时间再试"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public_view
@own_account_view
def login():
    """Unknown user, wrong password and a throttled client get the same answer after the same work."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = db.session.scalar(select(User).where(User.username == username))
        throttled = throttle.is_throttled(user, username)
        if user is None:
            _spend_hash_time(form.password.data)
            right = False
        else:
            right = user.check_password(form.password.data)
        if throttled or not right:
            _record_failure(user, username, throttled)
            flash(LOGIN_REFUSED, "error")
        elif not user.active:
            flash("该账户已停用，请联系系统管理员", "error")
        else:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = datetime.now()
            audit.record("login", "user", user.id, summary=f"登录成功：{user.username}",
                         department_id=user.department_id, actor=user)
            db.session.commit()
            # A session id or CSRF token seen before login is no use after it.
            new_session_id()
            session.pop("csrf_token", None)
            g.pop("csrf_token", None)
            login_user(user, remember=form.remember.data)
            return redirect(safe_path(request.args.get("next"), url_for("dashboard.index")))
    return render_template("auth/login.html", form=form)


def _record_failure(user: User | None, username: str, throttled: bool) -> None:
    """Audit the failure; mark the account locked (users page) when this client reaches the limit."""
    object_type, object_id = throttle.subject(user, username)
    audit.record(throttle.FAILED, object_type, object_id, summary=f"登录失败：{username[:50]}",
                 department_id=user.department_id if user else None, actor=user)
    db.session.flush()
    reached = throttle.is_throttled(user, username)  # counted for unknown names too: the same work
    if user is not None and not throttled:
        user.failed_logins = (user.failed_logins or 0) + 1
        if reached:
            minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
            user.locked_until = datetime.now() + timedelta(minutes=minutes)
            audit.record("lock", "user", user.id, department_id=user.department_id, actor=user,
                         summary=f"账户 {user.username} 在 {request.remote_addr or '未知地址'} 多次登录失败，"
                                 f"该地址暂停登录 {minutes} 分钟")
    db.session.commit()


@bp.route("/logout", methods=["POST"])
@own_account_view
def logout():
    """Bump the session version, so a copy of this session or remember cookie no longer works."""
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        user.session_version += 1
        audit.record("logout", "user", user.id, summary=f"退出登录：{user.username}",
                     department_id=user.department_id, actor=user)
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that deletes the remember cookie
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@own_account_view
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确")
        elif form.new.data == form.current.data:
            form.new.errors.append("新密码不能与当前密码相同")
        elif problem := password_problem(form.new.data, username=current_user.username, role=current_user.role,
                                         display_name=current_user.display_name):
            form.new.errors.append(problem)
        else:
            current_user.set_password(form.new.data)
            current_user.must_change_password = False
            current_user.session_version += 1
            audit.record("password", "user", current_user.id, summary="修改密码",
                         department_id=current_user.department_id)
            db.session.commit()
            # Other sessions end with the version bump; this one logs in again with the new id.
            login_user(current_user)
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form, required=current_user.must_change_password)


# Where a user who must choose a new password may still go: the form itself, logging out, files.
PASSWORD_CHANGE_OPEN = {"auth.password", "auth.logout", "auth.login", "static", "dashboard.favicon"}
MUST_CHANGE_MESSAGE = "您的密码由管理员设置，请先修改为只有您自己知道的密码"


def require_own_password():
    """``before_request``: an account whose password an administrator set goes to the password form
    first (a new account, or after a reset), so the administrator never knows a password in use."""
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    endpoint = request.endpoint or ""
    if endpoint in PASSWORD_CHANGE_OPEN or endpoint.endswith(".static"):
        return None
    from ..security import wants_json
    if wants_json():
        return jsonify({"error": MUST_CHANGE_MESSAGE, "status": 403}), 403
    flash(MUST_CHANGE_MESSAGE, "info")
    return redirect(url_for("auth.password"))


bp.before_app_request(require_own_password)
