"""Small helpers shared by the plugin's views."""
from __future__ import annotations

from flask import flash
from flask_login import current_user
from sqlalchemy import select

from intranet.access import departments_in_scope
from intranet.extensions import db
from intranet.forms import options

from .. import settings


def flash_errors(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


def refuse(exc: Exception) -> None:
    """A refused action: undo whatever the request staged and say why."""
    db.session.rollback()
    flash(str(exc), "error")


def category_choices(blank: str | None = None) -> list:
    choices = [(c, c) for c in settings.get("categories")]
    return options(([("", blank)] if blank is not None else []) + choices)


def department_choices(only_ids=None) -> list:
    depts = departments_in_scope(current_user)
    if only_ids is not None:
        depts = [d for d in depts if d.id in only_ids]
    return options((d.id, d.tree_label) for d in depts)


def first(stmt):
    return db.session.scalars(stmt).first()


__all__ = ["flash_errors", "refuse", "category_choices", "department_choices", "first", "select"]
