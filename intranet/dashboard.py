"""The dashboard (widgets from every plugin) and the public landing page."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from .plugins import flatten, get_pm

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.login"))


@bp.route("/dashboard")
@login_required
def index():
    widgets = sorted(flatten(get_pm().hook.dashboard_widgets(user=current_user)), key=lambda w: (w.order, w.title))
    return render_template("dashboard/index.html", widgets=widgets)
