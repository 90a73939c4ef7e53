"""The dashboard (widgets from every plugin) and the public landing page."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user, login_required

from .access import public_view
from .hookspecs import Widget
from .plugins import call_safely

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.login"))


@bp.route("/favicon.ico")
@public_view
def favicon():
    """The site icon (an SVG; browsers asking for /favicon.ico accept it by its Content-Type)."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.route("/dashboard")
@login_required
def index():
    from .reports.submissions import dashboard_widget
    from .stored import batch
    with batch():   # the cards' stored figures are read in one SELECT
        widgets, failures = call_safely("dashboard_widgets", expect=Widget, user=current_user)
        core = dashboard_widget(current_user)
        charts = _report_charts()
    widgets = [*([core] if core else []), *widgets]
    widgets = sorted(widgets, key=lambda w: (w.order, w.title))
    return render_template("dashboard/index.html", widgets=widgets, failures=failures, report_charts=charts)


def _report_charts():
    """The report's charts for the user's department (department, year, Stored: computed by the
    worker, see intranet.stored); a failure leaves them out, never the page."""
    from .reports.dashboard import dashboard_charts
    from .stored import Stored
    try:
        return dashboard_charts(current_user)
    except Exception:  # noqa: BLE001 - the dashboard must open even if a chart cannot be drawn
        current_app.logger.exception("dashboard charts failed")
        return None, 0, Stored([])
