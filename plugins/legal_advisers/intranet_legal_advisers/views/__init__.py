"""The legal_advisers blueprint; routes live in one module per area."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, flash

from intranet.extensions import db
from intranet.forms import form_errors
from intranet.locking import StateChanged

HERE = Path(__file__).resolve().parent.parent
LIST_ROLES = ("admin", "bureau", "dept_admin", "inspector")   # contracts, the log, coverage, alerts
BUREAU_ROLES = ("admin", "bureau")

bp = Blueprint("legal_advisers", __name__, url_prefix="/legal-advisers", template_folder=str(HERE / "templates"))


def flash_form(form) -> None:
    if form.errors:
        flash(form_errors(form), "error")


def refuse(exc: Exception) -> None:
    """Roll back what the refused action began and say why."""
    db.session.rollback()
    flash(exc.message if isinstance(exc, StateChanged) else str(exc), "error")


from . import advisers, contracts, overview, services  # noqa: E402,F401  (routes)
