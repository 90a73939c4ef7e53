"""The plugin's pages: the records in the user's scope, and a form to add one."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import audit
from intranet.access import MANAGE_ROLES, READ_ROLES, apply_scope, departments_in_scope, require_scope, roles_required
from intranet.extensions import db
from intranet.forms import form_errors
from intranet.pagination import paginate

from .forms import ItemForm
from .models import Item

bp = Blueprint("law_study", __name__, url_prefix="/law-study", template_folder="templates")


def _form() -> ItemForm:
    form = ItemForm()
    form.department_id.choices = [(d.id, d.tree_label) for d in departments_in_scope()]
    return form


@bp.route("/")
@roles_required(*READ_ROLES)
def index():
    stmt = select(Item).options(joinedload(Item.department)).order_by(Item.held_on.desc(), Item.id.desc())
    page = paginate(apply_scope(stmt, Item.department_id))
    form = _form() if current_user.can_write else None
    return render_template("law_study/index.html", page=page, form=form)


@bp.route("/new", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def create():
    form = _form()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for(".index"))
    require_scope(form.department_id.data, write=True)
    item = Item(department_id=form.department_id.data, title=form.title.data.strip(), held_on=form.held_on.data)
    db.session.add(item)
    db.session.flush()
    audit.record("create", "law_study_item", item.id, summary=f"新建学法：{item.title}",
                 after={"title": item.title, "held_on": item.held_on.isoformat()}, department_id=item.department_id)
    db.session.commit()
    flash("已保存", "success")
    return redirect(url_for(".index"))
