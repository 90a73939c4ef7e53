"""执法主体资格确认: which departments are confirmed enforcement subjects (managed by the 司法局)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import audit
from intranet.access import BUREAU_ROLES, apply_scope, require_scope, roles_required, scoped_get
from intranet.extensions import db
from intranet.pagination import paginate

from ..forms import SubjectForm
from ..models import EnforcementSubject
from . import bp
from .helpers import department_choices, flash_errors

READ = ("admin", "bureau", "dept_admin", "inspector")


@bp.route("/subjects/")
@roles_required(*READ)
def subjects():
    stmt = (select(EnforcementSubject).options(joinedload(EnforcementSubject.department))
            .order_by(EnforcementSubject.active.desc(), EnforcementSubject.id))
    return render_template("certificates/subjects/index.html",
                           page=paginate(apply_scope(stmt, EnforcementSubject.department_id)))


@bp.route("/subjects/new", methods=["GET", "POST"])
@bp.route("/subjects/<int:subject_id>", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def subject(subject_id=None):
    item = scoped_get(EnforcementSubject, subject_id, write=True) if subject_id else None
    form = SubjectForm(obj=item)
    form.department_id.choices = department_choices()
    if form.validate_on_submit():
        require_scope(form.department_id.data, write=True)
        other = db.session.scalar(select(EnforcementSubject).where(
            EnforcementSubject.department_id == form.department_id.data))
        if other is not None and other is not item:
            flash(f"{other.department.name}已有执法主体确认记录，请在原记录上修改", "error")
        else:
            before = item.audit_state() if item else None
            if item is None:
                item = EnforcementSubject()
                db.session.add(item)
            form.populate_obj(item)
            db.session.flush()
            audit.record("certificates.subject", "certificate_subject", item.id, before=before,
                         after=item.audit_state(), department_id=item.department_id,
                         summary=f"{'修改' if before else '确认'}执法主体：{item.department.name}（{item.kind}）")
            db.session.commit()
            flash("执法主体确认已保存", "success")
            return redirect(url_for(".subjects"))
    else:
        flash_errors(form)
    return render_template("certificates/subjects/form.html", form=form, item=item)
