"""Pages of the report's submission and approval (报送、审核、发布) and its public page.

The rules are in ``submission``; these views check role and scope, parse forms and answer.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..access import BUREAU_ROLES, MANAGE_ROLES, public_view, require_scope, roles_required, scoped_get
from ..extensions import db
from ..forms import form_errors
from ..inputs import arg_int
from ..models import Department, ReportDraft, ReportVersion, ReportVersionFile
from ..models.report_submission import STATUSES, TEXT_SECTIONS
from ..pagination import Page, requested_page
from ..stored import computed
from . import submission as rules
from .drilldown import VIEW_ROLES
from .assemble import FIRST_YEAR, MIMETYPES, ReportError, assemble, check_year, file_name

bp = Blueprint("submissions", __name__, url_prefix="/reports/submissions")
public_bp = Blueprint("published_reports", __name__, url_prefix="/public/reports")

REVIEW_ROLES = BUREAU_ROLES


class TextsForm(FlaskForm):
    shortcomings = TextAreaField(TEXT_SECTIONS["shortcomings"], validators=[Optional()])
    leader_duties = TextAreaField(TEXT_SECTIONS["leader_duties"], validators=[Optional()])
    next_year = TextAreaField(TEXT_SECTIONS["next_year"], validators=[Optional()])
    other = TextAreaField(TEXT_SECTIONS["other"], validators=[Optional()])


class SubmitForm(FlaskForm):
    note = StringField("报送说明（可选）", validators=[Optional(), Length(max=500, message="说明不能超过500个字")])


class CommentForm(FlaskForm):
    comment = TextAreaField("意见", validators=[Optional(), Length(max=2000, message="意见不能超过2000个字")])


def _year_or_400(year: int) -> int:
    try:
        return check_year(year)
    except ReportError as exc:
        abort(400, str(exc))


def _department_or_404(dept_id: int) -> Department:
    dept = db.session.get(Department, dept_id)
    if dept is None:
        abort(404, f"单位（编号 {dept_id}）不存在")
    return dept


def default_year() -> int:
    """Last year's report is the one due this spring."""
    return max(date.today().year - 1, FIRST_YEAR)


def _refused(exc: rules.SubmissionError, back: str):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(back)


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    year = _year_or_400(arg_int("year", default_year(), maximum=9999))
    units = rules.review_list(current_user, year)
    submitted = sum(1 for u in units if u.submitted)
    per_page = 50
    page_no = min(requested_page(), max(1, -(-len(units) // per_page)))
    page = Page(units[(page_no - 1) * per_page:page_no * per_page], page_no, per_page, len(units))
    own = current_user.department if current_user.department_id else None
    return render_template("reports/submissions.html", year=year, page=page, submitted=submitted,
                           missing=len(units) - submitted, own=own, today=date.today(),
                           late=sum(1 for u in units if u.on_time is False))


@bp.route("/<int:dept_id>/<int:year>")
@roles_required(*VIEW_ROLES)
def unit(dept_id, year):
    dept = _department_or_404(dept_id)
    year = _year_or_400(year)
    require_scope(dept.id)
    draft = rules.find_draft(year, dept)
    versions = rules.versions(draft)
    current = next((v for v in versions if draft and v.id == draft.current_version_id), None)
    may_author = rules.can_author(current_user, dept)
    may_review = rules.can_review(current_user, dept)
    texts = rules.texts_of(draft)
    texts_form = TextsForm(formdata=None, data=texts) if may_author and (draft is None or draft.editable) else None
    changes = None
    if current is not None:
        changes = rules.figure_changes(current.data, assemble(year, dept, with_labels=True, figures_only=True))
    return render_template(
        "reports/submission.html", dept=dept, year=year, draft=draft, versions=versions, current=current,
        texts=texts, sections=TEXT_SECTIONS, texts_form=texts_form, submit_form=SubmitForm(formdata=None),
        comment_form=CommentForm(formdata=None), may_author=may_author, may_review=may_review,
        changes=changes, reviews=rules.reviews(current) if current else [],
        secrecy=rules.secrecy_review(current) if current else None,
        files=rules.version_files(current) if current else [], deadline=rules.deadline(year, dept),
        status_label=draft.status_label if draft else "未报送", statuses=STATUSES,
        pending=rules.pending_below(dept, year) if rules.is_government(dept) else [])


def _authoring(dept_id, year) -> tuple[Department, int]:
    dept = _department_or_404(dept_id)
    year = _year_or_400(year)
    require_scope(dept.id, write=True)
    if not rules.can_author(current_user, dept):
        abort(403, "只有本单位的单位管理员（政府报告为本级司法局）可以编写和报送本单位的报告")
    return dept, year


@bp.route("/<int:dept_id>/<int:year>/texts", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def save_texts(dept_id, year):
    dept, year = _authoring(dept_id, year)
    back = url_for(".unit", dept_id=dept.id, year=year)
    form = TextsForm()
    if not form.validate():
        return _refused(rules.SubmissionError(form_errors(form)), back)
    try:
        rules.save_texts(year, dept, {k: getattr(form, k).data for k in TEXT_SECTIONS}, current_user)
    except rules.SubmissionError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash("文字部分已保存", "success")
    return redirect(back)


@bp.route("/<int:dept_id>/<int:year>/submit", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def submit(dept_id, year):
    dept, year = _authoring(dept_id, year)
    back = url_for(".unit", dept_id=dept.id, year=year)
    form = SubmitForm()
    if not form.validate():
        return _refused(rules.SubmissionError(form_errors(form)), back)
    try:
        version = rules.submit(year, dept, current_user, form.note.data or "")
    except rules.SubmissionError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash(f"已报送{year}年度报告（第{version.number}版），报送内容已存档，不再随数据变化", "success")
    return redirect(back)


@bp.route("/versions/<int:version_id>")
@roles_required(*VIEW_ROLES)
def version(version_id):
    snap = scoped_get(ReportVersion, version_id)
    fmt = request.args.get("download")
    if fmt:
        stored = db.session.scalar(select(ReportVersionFile).where(ReportVersionFile.version_id == snap.id,
                                                                   ReportVersionFile.format == fmt))
        if stored is None:
            abort(404, f"该版本没有 {fmt} 格式的存档文件")
        response = Response(stored.content, content_type=MIMETYPES.get(fmt, "application/octet-stream"))
        name = file_name(snap.data, fmt).removesuffix(f".{fmt}") + f"（第{snap.number}版）.{fmt}"
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    draft = db.session.get(ReportDraft, snap.draft_id)
    return render_template("reports/submission_version.html", snap=snap, report=snap.data, draft=draft,
                           sections=TEXT_SECTIONS, files=rules.version_files(snap), reviews=rules.reviews(snap))


def _reviewing(version_id) -> ReportVersion:
    snap = scoped_get(ReportVersion, version_id, write=True)
    if not rules.can_review(current_user, snap.department):
        abort(403, "只有上一级的司法局可以审核、发布该报告")
    return snap


def _decide(version_id, step, done: str):
    snap = _reviewing(version_id)
    back = url_for(".unit", dept_id=snap.department_id, year=snap.year)
    form = CommentForm()
    if not form.validate():
        return _refused(rules.SubmissionError(form_errors(form)), back)
    try:
        step(snap, (form.comment.data or "").strip())
    except rules.SubmissionError as exc:
        return _refused(exc, back)
    db.session.commit()
    flash(done, "success")
    return redirect(back)


@bp.route("/versions/<int:version_id>/approve", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def approve(version_id):
    return _decide(version_id, lambda v, c: rules.approve(v, current_user, c), "已批准该报告")


@bp.route("/versions/<int:version_id>/return", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def return_report(version_id):
    return _decide(version_id, lambda v, c: rules.return_report(v, current_user, c), "已退回该报告，报送单位可修改后重新报送")


@bp.route("/versions/<int:version_id>/secrecy", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def secrecy(version_id):
    return _decide(version_id, lambda v, c: rules.sign_off_secrecy(v, current_user, c), "已签署保密审查意见")


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def publish(version_id):
    return _decide(version_id, lambda v, c: rules.publish(v, current_user), "已发布，公众可在公开页面查看")


# --- public ----------------------------------------------------------------------------------

def any_published() -> bool:
    """Whether the login page links to the published reports (only once there is one)."""
    return db.session.scalar(select(ReportDraft.id).where(ReportDraft.status == "published").limit(1)) is not None


@public_bp.route("/")
@public_view
def published():
    stmt = (select(ReportDraft, Department).join(Department, ReportDraft.department_id == Department.id)
            .where(ReportDraft.status == "published")
            .order_by(ReportDraft.year.desc(), Department.path))
    from ..pagination import paginate
    return render_template("reports/public_list.html", page=paginate(stmt, scalars=False))


@public_bp.route("/<token>")
@public_view
def public_report(token):
    draft = db.session.scalar(select(ReportDraft).where(ReportDraft.public_token == token[:40],
                                                        ReportDraft.status == "published")) if token else None
    if draft is None:
        abort(404, "未找到该公开报告")
    snap = db.session.get(ReportVersion, draft.current_version_id)
    approved = next((r for r in rules.reviews(snap) if r.action == "approve"), None)
    return render_template("reports/public_report.html", report=rules.public_report(snap.data), draft=draft,
                           snap=snap, approved=approved, secrecy=rules.secrecy_review(snap))


# --- dashboard ----------------------------------------------------------------------------

def dashboard_widget(user):
    """The 司法局's card: how many units have submitted last year's report, how many have not
    (a stored figure: counting every unit's draft is heavy at province scale); a 单位管理员's: the
    state of the own unit's report."""
    from ..hookspecs import Widget
    from ..stored import read, scope_key
    year = default_year()
    if user.role not in REVIEW_ROLES:
        own = user.department if user.role == "dept_admin" and user.department_id else None
        if own is None:
            return None
        draft = rules.find_draft(year, own)
        return Widget(plugin="core", title=f"本单位{year}年度法治政府建设工作报告", order=5,
                      figures=[("状态", draft.status_label if draft else "未报送"),
                               ("报送截止", rules.deadline(year, own).isoformat())],
                      links=[("编写与报送", url_for("submissions.unit", dept_id=own.id, year=year))])
    scope = scope_key(user)
    if scope is None:
        return None
    stored = read(review_counts, year, scope)
    counts = stored.value
    if stored.ready and not counts["units"]:
        return None
    figures = []
    if counts:
        figures = [("已报送", counts["submitted"]), ("未报送", counts["units"] - counts["submitted"])]
        if counts["waiting"]:
            figures.append(("待审核", counts["waiting"]))
    return Widget(plugin="core", title=f"{year}年度法治政府建设工作报告报送", order=5, figures=figures,
                  links=[("报送与审核", url_for("submissions.index", year=year))], html=stored.note())


@computed(version=1)
def review_counts(year: int, scope) -> dict:
    """Units a reviewer of ``scope`` reviews for ``year``: how many, submitted, waiting for review."""
    from ..stored import scope_user
    units = rules.review_list(scope_user(scope, role="bureau"), year)
    return {"units": len(units), "submitted": sum(1 for u in units if u.submitted),
            "waiting": sum(1 for u in units if u.status == "submitted")}


@bp.record_once
def _template_globals(state) -> None:
    # The standalone document (reports/document.html) names the four sections of a submitted report.
    state.app.jinja_env.globals["text_sections"] = TEXT_SECTIONS
