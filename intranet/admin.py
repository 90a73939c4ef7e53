"""System administration: plugins, users, audit log."""
from flask import Blueprint, render_template

from .access import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required("admin", "bureau")
def index():
    return render_template("error.html", code=501, message="建设中")
