"""The law_study blueprint; routes live in one module per area."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, flash

from intranet.forms import form_errors

HERE = Path(__file__).resolve().parent.parent
LIST_ROLES = ("admin", "bureau", "dept_admin", "inspector")   # the lists of sessions and people

bp = Blueprint("law_study", __name__, url_prefix="/law-study", template_folder=str(HERE / "templates"))


def flash_form(form) -> None:
    if form.errors:
        flash(form_errors(form), "error")


from . import admin, documents, files, plans, reminders, sessions, study  # noqa: E402,F401  (routes)
