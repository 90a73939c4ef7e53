from flask import render_template

from ..access import roles_required
from . import bp


@bp.route("/")
@roles_required("admin", "bureau", "dept_admin", "inspector")
def departments():
    return render_template("error.html", code=501, message="建设中")
