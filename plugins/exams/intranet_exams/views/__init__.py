"""The exams blueprint; routes live in one module per area."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort
from flask_login import current_user

from intranet.extensions import db

from ..models import Exam
from ..service import can_manage

HERE = Path(__file__).resolve().parent.parent
READ_ROLES = ("admin", "bureau", "dept_admin", "inspector")
REGISTER_ROLES = ("admin", "bureau", "dept_admin")
BUREAU_ROLES = ("admin", "bureau")
ALL_ROLES = ("admin", "bureau", "dept_admin", "staff", "inspector")
# Who may register themselves and take a paper: everybody but the read-only 督察.
CANDIDATE_ROLES = ("admin", "bureau", "dept_admin", "staff")

bp = Blueprint("exams", __name__, url_prefix="/exams", template_folder=str(HERE / "templates"),
               static_folder=str(HERE / "static"), static_url_path="/static")


def get_exam(exam_id: int) -> Exam:
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        abort(404, "考试不存在")
    return exam


def require_manage(exam: Exam) -> None:
    if not can_manage(exam, current_user):
        abort(403)


from . import bank, exams, online, registration, results  # noqa: E402,F401  (routes)
