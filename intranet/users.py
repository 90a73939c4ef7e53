"""Logins: list, create, edit, deactivate, reset password (系统管理员 and 司法局)."""
from flask import Blueprint, render_template

from .access import roles_required

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.route("/")
@roles_required("admin", "bureau")
def index():
    return render_template("error.html", code=501, message="建设中")
