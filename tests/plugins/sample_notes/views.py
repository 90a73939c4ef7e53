"""The plugin's page: notes in the user's scope, and a form to add one."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from intranet import audit
from intranet.access import (MANAGE_ROLES, READ_ROLES, apply_scope, departments_in_scope, public_view, require_scope,
                             roles_required)
from intranet.extensions import db
from intranet.pagination import paginate

from .models import Note

bp = Blueprint("sample_notes", __name__, url_prefix="/sample-notes", template_folder="templates")


class NoteForm(FlaskForm):
    department_id = SelectField("单位", coerce=int, validators=[DataRequired("请选择单位")])
    title = StringField("标题", validators=[DataRequired("请输入标题"), Length(max=200, message="标题不能超过200个字")])
    noted_on = DateField("日期", default=date.today, validators=[DataRequired("请输入有效日期")])
    body = TextAreaField("内容", validators=[Length(max=5000, message="内容不能超过5000个字")])


def _form() -> NoteForm:
    form = NoteForm()
    form.department_id.choices = [(d.id, d.name) for d in departments_in_scope()]
    return form


@bp.route("/")
@roles_required(*READ_ROLES)
def index():
    stmt = select(Note).options(joinedload(Note.department)).order_by(Note.noted_on.desc(), Note.id.desc())
    page = paginate(apply_scope(stmt, Note.department_id))
    form = _form() if current_user.can_write else None
    return render_template("sample_notes/index.html", page=page, form=form)


@bp.route("/new", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def create():
    form = _form()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for(".index"))
    require_scope(form.department_id.data, write=True)
    note = Note(department_id=form.department_id.data, title=form.title.data.strip(),
                noted_on=form.noted_on.data, body=form.body.data or "")
    db.session.add(note)
    db.session.flush()
    audit.record("create", "sample_notes_note", note.id, summary=f"新建样例笔记：{note.title}",
                 after={"title": note.title, "noted_on": note.noted_on.isoformat()},
                 department_id=note.department_id)
    db.session.commit()
    flash("笔记已保存", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:note_id>/archive", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def archive(note_id):
    note = db.session.get(Note, note_id) or abort(404)
    require_scope(note.department_id, write=True)
    if note.active:
        note.active = False
        audit.record("archive", "sample_notes_note", note.id, summary=f"归档样例笔记：{note.title}",
                     before={"active": True}, after={"active": False}, department_id=note.department_id)
        db.session.commit()
    flash("笔记已归档", "success")
    return redirect(url_for(".index"))


@bp.route("/about")
@public_view
def about():
    """A page open to the public, linked from the login page through ``public_links``."""
    return render_template("sample_notes/about.html")
