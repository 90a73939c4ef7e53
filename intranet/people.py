"""People: staff records and each person's one-page 学法档案."""
from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.route("/")
@login_required
def index():
    return render_template("error.html", code=501, message="建设中")


@bp.route("/<int:person_id>")
@login_required
def record(person_id):
    return render_template("error.html", code=501, message="建设中")
