"""公告注销 notices: list, printable PDF, and a batch notice for several numbers."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.access import BUREAU_ROLES, in_scope, roles_required, scope_filter
from intranet.extensions import db
from intranet.locking import StateChanged
from intranet.pagination import paginate

from .. import lifecycle, pdf
from ..forms import NoticeForm
from ..models import CancellationNotice, Certificate
from ..states import TransitionError
from . import bp
from .helpers import flash_errors, refuse

READ = ("admin", "bureau", "dept_admin", "inspector")


def notice_rows(notice: CancellationNotice):
    """The notice's cards with holder and unit, in the published order (only the user's scope)."""
    stmt = (select(Certificate).where(Certificate.notice_id == notice.id)
            .options(joinedload(Certificate.person), joinedload(Certificate.department)))
    cond = scope_filter(Certificate.department_id)
    certs = {c.number: c for c in db.session.scalars(stmt if cond is None else stmt.where(cond))}
    if cond is not None:
        return [(n, certs[n]) for n in notice.numbers or [] if n in certs]
    return [(n, certs.get(n)) for n in notice.numbers or []]


def visible_notices():
    """Notices listing at least one card of the user's scope (a notice has no department of its own)."""
    stmt = select(CancellationNotice)
    cond = scope_filter(Certificate.department_id)
    if cond is None:
        return stmt
    return stmt.where(select(Certificate.id).where(Certificate.notice_id == CancellationNotice.id, cond).exists())


def get_notice(notice_id: int) -> CancellationNotice:
    item = db.session.get(CancellationNotice, notice_id) or abort(404)
    if db.session.scalar(visible_notices().where(CancellationNotice.id == item.id)) is None:
        abort(403)
    return item


@bp.route("/notices/")
@roles_required(*READ)
def notices():
    stmt = visible_notices().order_by(CancellationNotice.published_on.desc(), CancellationNotice.id.desc())
    return render_template("certificates/notices/index.html", page=paginate(stmt))


@bp.route("/notices/<int:notice_id>")
@roles_required(*READ)
def notice(notice_id):
    item = get_notice(notice_id)
    return render_template("certificates/notices/detail.html", notice=item, rows=notice_rows(item))


@bp.route("/notices/<int:notice_id>.pdf")
@roles_required(*READ)
def notice_pdf(notice_id):
    item = get_notice(notice_id)
    body = pdf.to_pdf(pdf.notice_html(item, notice_rows(item)))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=notice-{item.id}.pdf"})


@bp.route("/notices/new", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def new_notice():
    form = NoticeForm()
    if form.validate_on_submit():
        numbers = list(dict.fromkeys(n.strip() for n in form.numbers.data.replace("，", "\n").replace(",", "\n")
                                     .splitlines() if n.strip()))
        certs = {c.number: c for c in db.session.scalars(select(Certificate).where(Certificate.number.in_(numbers)))}
        missing = [n for n in numbers if n not in certs]
        outside = [n for n, c in certs.items() if not in_scope(c.department_id)]
        if missing:
            flash("以下证件编号不存在：" + "、".join(missing[:20]), "error")
        elif outside:
            flash("以下证件不在您的管理范围内：" + "、".join(outside[:20]), "error")
        else:
            try:
                item = lifecycle.publish_notice([certs[n] for n in numbers], reason=form.reason.data,
                                                title=form.title.data, actor=current_user)
            except (lifecycle.CertificateError, TransitionError, StateChanged) as exc:
                refuse(exc)
            else:
                db.session.commit()
                flash(f"已发布公告，注销证件{len(numbers)}个", "success")
                return redirect(url_for(".notice", notice_id=item.id))
    else:
        flash_errors(form)
    return render_template("certificates/notices/new.html", form=form)
