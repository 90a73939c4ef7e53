"""Departments: the tree, its pages and the users' department scope."""
from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/departments")

from . import views  # noqa: E402,F401
