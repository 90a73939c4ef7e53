from __future__ import annotations

from datetime import datetime, timedelta
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import audit
from ..access import public_view
from ..extensions import db, limiter
from ..models import User
from ..security import safe_path
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public_view
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        now = datetime.now()
        if user is not None and user.locked_until and user.locked_until > now:
            minutes = int((user.locked_until - now).total_seconds() // 60) + 1
            flash(f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试", "error")
        elif user is None or not user.check_password(form.password.data):
            if user is None:
                _spend_hash_time(form.password.data)
            else:
                user.failed_logins += 1
                if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
                    user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
                    user.failed_logins = 0
                    audit.record("lock", "user", user.id, summary=f"账户 {user.username} 因多次登录失败被锁定",
                                 department_id=user.department_id, actor=user)
                db.session.commit()
            flash("用户名或密码错误", "error")
        elif not user.active:
            flash("该账户已停用，请联系系统管理员", "error")
        else:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_path(request.args.get("next"), url_for("dashboard.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确")
        elif form.new.data == form.current.data:
            form.new.errors.append("新密码不能与当前密码相同")
        else:
            current_user.set_password(form.new.data)
            current_user.session_version += 1
            audit.record("password", "user", current_user.id, summary="修改密码",
                         department_id=current_user.department_id)
            db.session.commit()
            # Other sessions end with the version bump; this one logs in again with the new id.
            login_user(current_user)
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form)
