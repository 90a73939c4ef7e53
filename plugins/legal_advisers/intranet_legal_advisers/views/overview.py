"""Coverage, alerts, a department's 法律顾问 tab, the Excel downloads and the settings page."""
from __future__ import annotations

import io
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet import audit
from intranet.access import (deployment_settings_view, departments_in_scope, is_deployment_admin,
                             require_scope, roles_required, scope_filter, scope_root)
from intranet.extensions import db
from intranet.inputs import arg_int, date_range_error
from intranet.models import Department
from intranet.pagination import Page, requested_page

from .. import coverage, export, settings
from ..forms import SettingsForm
from ..models import Assessment, Contract, Service
from . import LIST_ROLES, bp, flash_form
from .contracts import filtered_contracts
from .services import filtered_services

SHOWN = 200        # the alerts page lists this many of each kind, with the total
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day() -> date:
    text = request.args.get("date", "").strip()
    if text:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            flash("日期无效，应为 2025-03-01 格式", "error")
            return date.today()
        if date_range_error(day):
            flash(date_range_error(day), "error")
            return date.today()
        return day
    return date.today()


def _root() -> Department | None:
    dept_id = arg_int("department")
    if dept_id is None:
        return scope_root()
    dept = db.session.get(Department, dept_id)
    if dept is None:
        abort(404)
    require_scope(dept.id)
    return dept


def _page(items, per_page=50) -> Page:
    page = requested_page()
    return Page(items[(page - 1) * per_page:page * per_page], page, per_page, len(items))


@bp.route("/coverage")
@roles_required(*LIST_ROLES)
def coverage_page():
    day, root = _day(), _root()
    cov = coverage.compute(root, day, scope_filter(Department.id))
    show = request.args.get("show", "without")
    rows = cov.idle if show == "idle" else cov.without
    return render_template("legal_advisers/coverage.html", cov=cov, counts=cov.counts(), day=day, root=root,
                           departments=departments_in_scope(), page=_page(rows), show=show,
                           category=coverage.category, categories=coverage.CATEGORIES)


@bp.route("/alerts")
@roles_required(*LIST_ROLES)
def alerts():
    today, root = date.today(), scope_root()
    scope = scope_filter(Contract.department_id)
    ending = coverage.ending(scope, today)
    buckets = {30: [], 60: [], 90: []}
    for c in ending:
        left = (c.end_on - today).days
        buckets[30 if left <= 30 else 60 if left <= 60 else 90].append((c, left))
    cov = coverage.compute(root, today, scope_filter(Department.id))
    due, late = coverage.assessments_due(scope, today), coverage.filed_late(scope, today)
    return render_template("legal_advisers/alerts.html", buckets=buckets, without=cov.without[:SHOWN],
                           without_total=len(cov.without), due=due[:SHOWN], due_total=len(due), late=late[:SHOWN],
                           late_total=len(late), today=today, shown=SHOWN)


@bp.route("/departments/<int:dept_id>")
@roles_required(*LIST_ROLES)
def department(dept_id):
    dept = db.session.get(Department, dept_id)
    if dept is None:
        abort(404)
    require_scope(dept.id)
    today = date.today()
    contracts = list(db.session.scalars(select(Contract).options(selectinload(Contract.advisers))
                                        .where(Contract.department_id == dept.id)
                                        .order_by(Contract.end_on.desc(), Contract.id.desc())))
    services = list(db.session.scalars(select(Service).options(joinedload(Service.contract))
                                       .where(Service.department_id == dept.id, Service.status == "有效")
                                       .order_by(Service.served_on.desc(), Service.id.desc()).limit(20)))
    assessments = list(db.session.scalars(select(Assessment).options(joinedload(Assessment.contract))
                                          .where(Assessment.department_id == dept.id).order_by(Assessment.year.desc())))
    cov = coverage.compute(dept, today)
    covered, idle = dept.id in cov.covered, dept.id in cov.covered and dept.id not in cov.served
    return render_template("legal_advisers/department.html", dept=dept, contracts=contracts, services=services,
                           assessments=assessments, covered=covered, idle=idle, today=today,
                           category=coverage.category(dept.kind))


@bp.route("/export/contracts")
@roles_required(*LIST_ROLES)
def export_contracts():
    stmt = filtered_contracts(select(Contract).order_by(Contract.start_on, Contract.id))
    data = export.contracts_workbook(stmt)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"法律顾问合同-{date.today().isoformat()}.xlsx")


@bp.route("/export/services")
@roles_required(*LIST_ROLES)
def export_services():
    stmt = filtered_services(select(Service).order_by(Service.served_on, Service.id))
    data = export.services_workbook(stmt)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"法律顾问服务台账-{date.today().isoformat()}.xlsx")


@bp.route("/settings", methods=["GET", "POST"])
@deployment_settings_view
def settings_page():
    dims = "\n".join(f"{d['name']}:{d['max']}" for d in settings.dimensions())
    form = SettingsForm(dimensions=dims, client_weight=settings.get("client_weight"), excellent=settings.get("excellent"),
                        competent=settings.get("competent"), basic=settings.get("basic"),
                        filing_days=settings.get("filing_days"))
    if request.method == "POST":
        if not is_deployment_admin():
            abort(403)
        if form.validate_on_submit():
            try:
                parsed = settings.parse_dimensions(form.dimensions.data)
                if not form.excellent.data > form.competent.data > form.basic.data:
                    raise ValueError("分数线应为 优秀 > 称职 > 基本称职")
            except ValueError as exc:
                flash(str(exc), "error")
            else:
                before = {k: settings.get(k) for k in ("dimensions", "client_weight", "excellent", "competent", "basic",
                                                        "filing_days")}
                settings.put("dimensions", parsed)
                for key in ("client_weight", "excellent", "competent", "basic", "filing_days"):
                    settings.put(key, getattr(form, key).data)
                after = {k: settings.get(k) for k in before}
                audit.record("legal_advisers.settings", "setting", "legal_advisers", summary="修改法律顾问设置",
                             before=before, after=after)
                db.session.commit()
                flash("设置已保存", "success")
                return redirect(url_for(".settings_page"))
        else:
            flash_form(form)
    return render_template("legal_advisers/settings.html", form=form)
