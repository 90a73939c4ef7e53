"""Exam records: list, create, edit, the exam page, statistics, 成绩册 export and settings."""
from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date
from typing import NamedTuple

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from intranet import audit, counts
from intranet.access import (deployment_settings_view, departments_in_scope, roles_required, scope_filter,
                             scoped, statement_scope)
from intranet.extensions import db
from intranet.idnumber import mask_id_number, sees_full_id
from intranet.inputs import arg_int
from intranet.locking import lock
from intranet.models import Department, Person
from intranet.pagination import (PAGE_LIMIT, PAGE_OFFSET, Page, group_counts, paginate, paginate_grouped,
                                 requested_page)
from intranet.stored import scope_key

from .. import figures, online, settings
from ..export import results_workbook
from ..forms import ExamFilterForm, ExamForm, SettingsForm, options
from ..models import Exam, ExamResult, Exemption, Registration
from ..service import best_result_columns, can_manage, outcome, pending_exemptions
from . import BUREAU_ROLES, READ_ROLES, bp, get_exam, require_manage


def scope_cond(user=None):
    """A department condition for figures limited to the viewer's scope (None: everything)."""
    user = user or current_user
    if scope_filter(Department.id, user) is None:
        return None
    return lambda column: scope_filter(column, user)


def page_of(items: list, per_page: int = 20) -> Page:
    """Paginate an already aggregated list (figures by department)."""
    page = requested_page()
    last = max(1, -(-len(items) // per_page))
    page = min(page, last)
    return Page(items[(page - 1) * per_page: page * per_page], page, per_page, len(items))


@bp.route("/")
@roles_required(*READ_ROLES)
def index():
    form = ExamFilterForm(request.args)
    stmt = select(Exam).options(joinedload(Exam.organiser)).order_by(Exam.year.desc(), Exam.code.desc())
    if form.q.data:
        like = f"%{form.q.data.strip()}%"
        stmt = stmt.where(or_(Exam.name.like(like), Exam.code.like(like)))
    if form.kind.data:
        stmt = stmt.where(Exam.kind == form.kind.data)
    if form.year.data:
        stmt = stmt.where(Exam.year == form.year.data)
    page = paginate(stmt)
    stats = figures.compute(exam_ids=[e.id for e in page.items], department_cond=scope_cond(), group_by="exam")
    return render_template("exams/index.html", page=page, form=form, stats=stats,
                           can_create=current_user.role in BUREAU_ROLES)


def _form_choices(form: ExamForm) -> None:
    departments = departments_in_scope()
    form.organiser_id.choices = options((d.id, d.name) for d in departments)
    form.audience_department_id.choices = options([(0, "—")] + [(d.id, d.name) for d in departments])


def _apply(form: ExamForm, exam: Exam) -> None:
    exam.code, exam.name = form.code.data.strip(), form.name.data.strip()
    exam.kind, exam.part = form.kind.data, (form.part.data if form.kind.data == "行政执法资格考试" else "")
    exam.organiser_id = form.organiser_id.data
    exam.exam_date, exam.opens_at, exam.closes_at = form.exam_date.data, form.opens_at.data, form.closes_at.data
    exam.year = (exam.exam_date or exam.opens_at.date()).year
    exam.full_mark, exam.pass_mark = form.full_mark.data, form.pass_mark.data
    exam.online, exam.audience = form.online.data, form.audience.data
    exam.audience_department_id = form.audience_department_id.data or None
    exam.max_attempts, exam.self_registration = form.max_attempts.data, form.self_registration.data
    exam.note = form.note.data or ""


def _code_taken(code: str, exam_id: int | None) -> bool:
    stmt = select(Exam.id).where(Exam.code == code.strip())
    if exam_id:
        stmt = stmt.where(Exam.id != exam_id)
    return db.session.scalar(stmt) is not None


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def new():
    form = ExamForm()
    _form_choices(form)
    if request.method == "GET":
        form.max_attempts.data = settings.get("max_attempts")
        if current_user.department_id:
            form.organiser_id.data = current_user.department_id
    if form.validate_on_submit():
        if _code_taken(form.code.data, None):
            form.code.errors.append("考试编号已存在")
        else:
            exam = Exam()
            _apply(form, exam)
            db.session.add(exam)
            db.session.flush()
            audit.record("create", "exams_exam", exam.id, summary=f"新建考试 {exam.code} {exam.name}",
                         department_id=exam.organiser_id, after=exam.audit_state())
            db.session.commit()
            flash(f"已新建考试：{exam.title}", "success")
            return redirect(url_for("exams.detail", exam_id=exam.id))
    return render_template("exams/form.html", form=form, exam=None)


@bp.route("/<int:exam_id>/edit", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def edit(exam_id):
    exam = get_exam(exam_id)
    require_manage(exam)
    form = ExamForm(obj=exam)
    _form_choices(form)
    if request.method == "GET":
        form.audience_department_id.data = exam.audience_department_id or 0
    if form.validate_on_submit():
        top = db.session.scalar(select(func.max(ExamResult.score)).where(ExamResult.exam_id == exam.id))
        if _code_taken(form.code.data, exam.id):
            form.code.errors.append("考试编号已存在")
        elif top is not None and form.full_mark.data < top:
            form.full_mark.errors.append(f"已有成绩 {top:g} 分，满分不能低于该成绩")
        else:
            before = exam.audit_state()
            _apply(form, exam)
            if before["pass_mark"] != exam.pass_mark:
                db.session.execute(update(ExamResult).where(ExamResult.exam_id == exam.id).values(
                    passed=and_(ExamResult.status == "参考", ExamResult.score >= exam.pass_mark)))
            old, new_ = audit.diff(before, exam.audit_state())
            audit.record("update", "exams_exam", exam.id, summary=f"修改考试 {exam.code}",
                         department_id=exam.organiser_id, before=old, after=new_)
            db.session.commit()
            flash("考试信息已保存", "success")
            return redirect(url_for("exams.detail", exam_id=exam.id))
    return render_template("exams/form.html", form=form, exam=exam)


@bp.route("/<int:exam_id>/withdraw", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def withdraw(exam_id):
    exam = get_exam(exam_id)
    require_manage(exam)
    lock(exam)  # withdrawn meanwhile: StateChanged (the app answers it)
    if not exam.active:
        flash("该考试已撤销", "error")
    else:
        exam.active = False
        audit.record("withdraw", "exams_exam", exam.id, summary=f"撤销考试 {exam.code}",
                     department_id=exam.organiser_id, before={"active": True}, after={"active": False})
        db.session.commit()
        flash("考试已撤销（记录保留）", "success")
    return redirect(url_for("exams.detail", exam_id=exam.id))


@bp.route("/<int:exam_id>")
@roles_required(*READ_ROLES)
def detail(exam_id):
    # the organiser is on the page: loaded with the exam (not lazily while rendering)
    exam = db.session.scalar(_exam_stmt(), {"exam_id": exam_id})
    if exam is None:
        abort(404, "考试不存在")
    if exam.online and online.close_expired(exam_id=exam.id):
        db.session.commit()
    status = request.args.get("status", "")
    scope = statement_scope(current_user)
    listed, rows, registered = _registrations_stmts(scope, bool(status))
    of_exam = {"exam_id": exam.id}
    params = {**of_exam, "status": status} if status else of_exam
    page = paginate_grouped(listed, Registration.department_id, rows=rows, scalars=False, params=params,
                            counts=group_counts(listed, Registration.department_id, params))
    # every status's registrations, kept like the pager's counts (intranet.counts)
    size = page.total if not status else counts.remember(
        registered, lambda: db.session.scalar(registered, of_exam), params=of_exam)
    totals, stored = figures.exam_summary(exam.id, scope_cond(), scope_key(current_user), size)
    page.items = _registration_rows(page.items)
    pending = pending_exemptions(scope, exam.id)
    return render_template("exams/detail.html", exam=exam, totals=totals, stored=stored, page=page, status=status,
                           pending=pending, manage=can_manage(exam, current_user),
                           may_register=current_user.can_write, labels=figures.LABELS,
                           blueprint=online.blueprint_of(exam) if exam.online else None)


@functools.lru_cache(maxsize=256)   # built once per scope; the exam, the status and the page bound per call
def _registrations_stmts(scope, by_status: bool):
    """The exam page's registrations in ``scope``: (those listed, the page's rows of them with
    their results, how many there are of every status), for paginate_grouped."""
    registered = scoped(select(Registration).where(Registration.exam_id == bindparam("exam_id")),
                        Registration.department_id, scope)
    listed = registered.where(Registration.status == bindparam("status")) if by_status else registered
    # the people's names order the rows: joined for the page's units only, not to count
    page = (listed.join(Registration.person).join(Registration.department)
            .where(Registration.department_id.in_(bindparam("groups", expanding=True)))
            .with_only_columns(Registration.id, Registration.person_id, Registration.status,
                               Registration.self_registered, Person.name.label("person_name"), Person.id_number,
                               Department.name.label("department_name"), Department.path, Person.name_key)
            .order_by(Department.path, Person.name_key, Person.name, Registration.id)
            .limit(PAGE_LIMIT).offset(PAGE_OFFSET)).subquery("page")
    # the page's people's best results and latest exemption, in the same statement
    latest_exemption = (select(Exemption.status).where(Exemption.exam_id == bindparam("exam_id"),
                                                       Exemption.person_id == page.c.person_id)
                        .order_by(Exemption.id.desc()).limit(1).scalar_subquery())
    rows = (select(page.c.id, page.c.person_name, page.c.department_name, page.c.id_number, page.c.status,
                   page.c.self_registered, latest_exemption.label("exemption"), *best_result_columns())
            .select_from(page.outerjoin(ExamResult, and_(ExamResult.exam_id == bindparam("exam_id"),
                                                         ExamResult.person_id == page.c.person_id)))
            .group_by(*page.c)
            .order_by(page.c.path, page.c.name_key, page.c.person_name, page.c.id))
    return listed, rows, registered.with_only_columns(func.count(), maintain_column_froms=True)


class RegistrationRow(NamedTuple):
    """One line of the exam page's 报名名单."""
    id: int
    person_name: str
    department_name: str
    masked_id: str
    status: str
    self_registered: bool
    exemption: str | None   # the latest exemption request's status
    best_score: float | None
    result: str             # outcome(): 合格, 不合格, 免考, 缺考 or ""
    attempts: int           # 0: no result yet


def _registration_rows(rows) -> list[RegistrationRow]:
    """The page's rows as the template shows them: the ID number masked, the result worked out."""
    return [RegistrationRow(r.id, r.person_name, r.department_name, mask_id_number(r.id_number), r.status,
                            r.self_registered, r.exemption, r.best_score,
                            outcome(r.passed, r.sat, r.exempt, r.attempts), r.attempts) for r in rows]


@functools.cache   # built once, the exam bound per call
def _exam_stmt():
    return select(Exam).options(joinedload(Exam.organiser)).where(Exam.id == bindparam("exam_id"))


@bp.route("/<int:exam_id>/departments")
@roles_required(*READ_ROLES)
def by_department(exam_id):
    exam = get_exam(exam_id)
    rows = figures.by_department(exam_ids=[exam.id], department_cond=scope_cond())
    return render_template("exams/by_department.html", exam=exam, page=page_of(rows), labels=figures.LABELS)


@bp.route("/statistics")
@roles_required(*READ_ROLES)
def statistics():
    year = arg_int("year", date.today().year, maximum=9999)
    cond = scope_cond()
    exam_cond = and_(Exam.year == year, Exam.active.is_(True))
    grid = figures.grid(exam_cond=exam_cond, department_cond=cond)   # one query, folded four ways
    totals = figures.combine(grid)
    by_kind = _combined(grid, "kind")
    by_exam = _combined(grid, "exam_id")
    exams = {e.id: e for e in db.session.scalars(select(Exam).where(Exam.id.in_(list(by_exam))))}
    exam_rows = sorted(((exams[i], f) for i, f in by_exam.items()), key=lambda r: r[0].code)
    by_unit = _combined(grid, "department_id")
    dept_rows = [(d, by_unit[d.id]) for d in db.session.scalars(
        select(Department).where(Department.id.in_(list(by_unit))).order_by(Department.path))] if by_unit else []
    years = list(db.session.scalars(select(Exam.year).group_by(Exam.year).order_by(Exam.year.desc())))
    return render_template("exams/statistics.html", year=year, years=years, totals=totals, by_kind=by_kind,
                           exam_rows=exam_rows, page=page_of(dept_rows), labels=figures.LABELS)


def _combined(grid, key) -> dict:
    groups = defaultdict(list)
    for row in grid:
        groups[row[key]].append(row)
    return {k: figures.combine(rows) for k, rows in groups.items()}


@bp.route("/<int:exam_id>/results.xlsx")
@roles_required(*READ_ROLES)
def export_results(exam_id):
    exam = get_exam(exam_id)
    # the 司法局 and the exam's organiser get the whole roll; anyone else only their own subtree
    scope = None if can_manage(exam, current_user) else scope_filter(Registration.department_id)
    data = results_workbook(exam_ids=[exam.id], scope=scope, full_id=sees_full_id(current_user))
    audit.record("export", "exams_exam", exam.id, summary=f"导出成绩册 {exam.code}")
    db.session.commit()
    return send_file(data, as_attachment=True, download_name=f"{exam.code}_成绩册.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/settings", methods=["GET", "POST"])
@deployment_settings_view
def settings_page():
    form = SettingsForm()
    if request.method == "GET":
        for key in settings.DEFAULTS:
            getattr(form, key).data = settings.get(key)
    if form.validate_on_submit():
        before = {k: settings.get(k) for k in settings.DEFAULTS}
        for key in settings.DEFAULTS:
            settings.put(key, getattr(form, key).data)
        after = {k: getattr(form, k).data for k in settings.DEFAULTS}
        old, new_ = audit.diff(before, after)
        audit.record("update", "setting", "exams", summary="修改考试设置", before=old, after=new_)
        db.session.commit()
        flash("考试设置已保存", "success")
        return redirect(url_for("exams.settings_page"))
    return render_template("exams/settings.html", form=form)
