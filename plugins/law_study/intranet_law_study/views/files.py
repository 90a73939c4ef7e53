"""Evidence files: upload for a session, download (scope checked), withdraw."""
from __future__ import annotations

from flask import abort, flash, redirect, send_file, url_for
from flask_login import current_user

from intranet import audit
from intranet.access import MANAGE_ROLES, READ_ROLES, in_scope, roles_required, scoped_get
from intranet.extensions import db
from intranet.locking import StateChanged, lock

from .. import evidence as files
from .. import service
from ..forms import ActionForm, EvidenceForm
from ..models import CANCELLED, EVIDENCE_ACTIVE, EVIDENCE_WITHDRAWN, Evidence, HoursEntry, StudySession
from ..service import StudyError
from . import LIST_ROLES, bp, flash_form


@bp.route("/sessions/<int:session_id>/evidence", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def upload(session_id):
    session = scoped_get(StudySession, session_id, write=True)
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash_form(form)
        return redirect(url_for(".detail", session_id=session.id))
    try:
        service.require_open_year(session.year)
        if session.status == CANCELLED:
            raise StudyError("该活动已撤销，不能上传材料")
        files.save(form.file.data, kind=form.kind.data, department_id=session.department_id, user=current_user,
                   session=session)
    except StudyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("材料已上传", "success")
    return redirect(url_for(".detail", session_id=session.id))


def _may_read(evidence: Evidence) -> bool:
    if evidence.entry_id is not None:
        entry = db.session.get(HoursEntry, evidence.entry_id)
        if entry is not None and current_user.person_id == entry.person_id:
            return True
    return current_user.role in LIST_ROLES and in_scope(evidence.department_id)


@bp.route("/evidence/<int:evidence_id>")
@roles_required(*READ_ROLES)
def download(evidence_id):
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.status != EVIDENCE_ACTIVE:
        abort(404)
    if not _may_read(evidence):
        abort(403)
    path = files.path_of(evidence)
    if path is None:
        abort(404)
    return send_file(path, mimetype=evidence.mimetype, as_attachment=True,
                     download_name=evidence.original_name or evidence.stored_name)


@bp.route("/evidence/<int:evidence_id>/withdraw", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def withdraw_evidence(evidence_id):
    evidence = scoped_get(Evidence, evidence_id, write=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    back = url_for(".detail", session_id=evidence.session_id) if evidence.session_id else url_for(".approvals")
    try:
        evidence = lock(evidence)
        session = db.session.get(StudySession, evidence.session_id) if evidence.session_id else None
        entry = db.session.get(HoursEntry, evidence.entry_id) if evidence.entry_id else None
        service.require_open_year(session.year if session else entry.year)
        if evidence.status != EVIDENCE_ACTIVE:
            raise StudyError("该材料已撤销")
        evidence.status = EVIDENCE_WITHDRAWN
        audit.record("law_study.withdraw", "law_study_evidence", evidence.id, summary=f"撤销佐证材料：{evidence.original_name}",
                     before={"status": EVIDENCE_ACTIVE}, after={"status": EVIDENCE_WITHDRAWN},
                     department_id=evidence.department_id)
    except (StudyError, StateChanged) as exc:
        db.session.rollback()
        flash(str(exc) if isinstance(exc, StudyError) else exc.message, "error")
    else:
        db.session.commit()
        flash("材料已撤销", "success")
    return redirect(back)
