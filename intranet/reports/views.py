from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
@login_required
def index():
    return render_template("error.html", code=501, message="建设中")
