"""清理 campaigns: the bureau opens, departments decide their candidates, the bureau confirms and closes."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from intranet.access import (BUREAU_ROLES, MANAGE_ROLES, apply_scope, in_scope, require_scope, roles_required,
                            scope_filter, visible_get)
from intranet.extensions import db
from intranet.locking import StateChanged
from intranet.models import Department
from intranet.pagination import paginate
from intranet.security import safe_path
from intranet.forms import options

from .. import cleanup as service
from ..forms import CampaignForm, CandidateFilterForm, CloseForm, ConfirmForm, DecisionForm, GroupDecisionForm
from ..models import DECISIONS, Certificate, CleanupCampaign, CleanupCandidate
from . import bp
from .helpers import department_choices, flash_errors, refuse

READ = ("admin", "bureau", "dept_admin", "inspector")


def visible_campaigns():
    """Campaigns whose subtree meets the user's scope: within it, or covering it."""
    return apply_scope(select(CleanupCampaign), CleanupCampaign.department_id, covering=True)


def get_campaign(campaign_id: int) -> CleanupCampaign:
    return visible_get(visible_campaigns(), CleanupCampaign, campaign_id)


def decision_form(**kwargs) -> DecisionForm:
    """An undecided candidate shows as undecided: nothing is preselected."""
    form = DecisionForm(**kwargs)
    form.decision.choices = options([("", "未处理（请选择）")] + [(d, d) for d in DECISIONS])
    return form


@bp.route("/cleanup/")
@roles_required(*READ)
def campaigns():
    stmt = visible_campaigns().options(joinedload(CleanupCampaign.department)).order_by(CleanupCampaign.id.desc())
    return render_template("certificates/cleanup/index.html", page=paginate(stmt))


@bp.route("/cleanup/new", methods=["GET", "POST"])
@roles_required(*BUREAU_ROLES)
def new_campaign():
    form = CampaignForm()
    form.department_id.choices = department_choices()
    if form.validate_on_submit():
        require_scope(form.department_id.data, write=True)
        department = db.session.get(Department, form.department_id.data)
        try:
            campaign = service.open_campaign(form.name.data, department, actor=current_user, note=form.note.data)
        except (service.CleanupError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            count = db.session.scalar(select(func.count()).select_from(CleanupCandidate)
                                      .where(CleanupCandidate.campaign_id == campaign.id))
            flash(f"清理活动已开始，系统提出候选证件{count}个，请各单位自查", "success")
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    else:
        flash_errors(form)
    return render_template("certificates/cleanup/new.html", form=form)


@bp.route("/cleanup/<int:campaign_id>")
@roles_required(*READ)
def campaign(campaign_id):
    campaign = get_campaign(campaign_id)
    filters = CandidateFilterForm(request.args)
    filters.group.choices = options([("", "全部分组")] + list(service.GROUPS.items()))
    filters.validate()
    group = filters.group.data if filters.group.data in service.GROUPS else ""
    decision = filters.decision.data or ""
    stmt = (select(CleanupCandidate).where(CleanupCandidate.campaign_id == campaign.id)
            .options(joinedload(CleanupCandidate.certificate).joinedload(Certificate.person),
                     joinedload(CleanupCandidate.certificate).joinedload(Certificate.department))
            .order_by(CleanupCandidate.department_id, CleanupCandidate.id))
    stmt = apply_scope(stmt, CleanupCandidate.department_id)
    cond = scope_filter(CleanupCandidate.department_id)
    if group in service.GROUPS:
        stmt = stmt.where(CleanupCandidate.group == group)
    if decision == "未处理":
        stmt = stmt.where(CleanupCandidate.decision.is_(None))
    elif decision in DECISIONS:
        stmt = stmt.where(CleanupCandidate.decision == decision)
    page = paginate(stmt)
    can_decide = campaign.is_open and current_user.can_write
    forms = {}
    if can_decide:
        for c in page.items:
            if not c.confirmed:
                forms[c.id] = decision_form(formdata=None, number=c.certificate.number,
                                            decision=c.decision or "", reason=c.decision_reason)
    group_form = None
    if can_decide:
        group_form = GroupDecisionForm(formdata=None, group=group or None)
        group_form.group.choices = options(service.GROUPS.items())
    return render_template("certificates/cleanup/detail.html", campaign=campaign, page=page, forms=forms,
                           group_form=group_form,
                           figures=service.figures(campaign, cond), groups=service.GROUPS, group=group,
                           decision=decision, filters=filters, confirm_form=ConfirmForm(), close_form=CloseForm(),
                           is_bureau=current_user.role in BUREAU_ROLES)


@bp.route("/cleanup/<int:campaign_id>/decide", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def decide(campaign_id):
    campaign = get_campaign(campaign_id)
    form = decision_form()
    back = safe_path(request.form.get("next"), url_for(".campaign", campaign_id=campaign.id))
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(back)
    cert = db.session.scalar(select(Certificate).where(Certificate.number == form.number.data.strip()))
    candidate = service.candidate_for(campaign, cert.id) if cert is not None else None
    if candidate is not None and not in_scope(candidate.department_id):
        abort(403)
    try:
        service.decide(campaign, form.number.data, form.decision.data, form.reason.data, actor=current_user)
    except (service.CleanupError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash(f"证件 {form.number.data} 已处理为“{form.decision.data}”", "success")
    return redirect(back)


@bp.route("/cleanup/<int:campaign_id>/decide-group", methods=["POST"])
@roles_required(*MANAGE_ROLES)
def decide_group(campaign_id):
    campaign = get_campaign(campaign_id)
    form = GroupDecisionForm()
    form.group.choices = options(service.GROUPS.items())
    if not form.validate_on_submit():
        flash_errors(form)
    else:
        try:
            count = service.decide_group(campaign, form.group.data, form.decision.data, form.reason.data,
                                         scope=scope_filter(CleanupCandidate.department_id), actor=current_user)
        except (service.CleanupError, StateChanged) as exc:
            refuse(exc)
        else:
            db.session.commit()
            flash(f"已将{count}个未处理的候选证件处理为“{form.decision.data}”", "success")
    return redirect(url_for(".campaign", campaign_id=campaign.id, group=form.group.data or ""))


@bp.route("/cleanup/<int:campaign_id>/candidates.xlsx")
@roles_required(*READ)
def candidates_download(campaign_id):
    """The user's candidates as a cleanup-decisions file to fill in (details on a second sheet)."""
    from intranet.models import Person
    from intranet.spreadsheets import WorkbookWriter
    campaign = get_campaign(campaign_id)
    stmt = (select(Certificate.number, Person.name, Department.name, CleanupCandidate.groups,
                   CleanupCandidate.decision, CleanupCandidate.decision_reason)
            .join(Certificate, Certificate.id == CleanupCandidate.certificate_id)
            .join(Person, Person.id == Certificate.person_id)
            .join(Department, Department.id == CleanupCandidate.department_id)
            .where(CleanupCandidate.campaign_id == campaign.id).order_by(Department.path, Certificate.number))
    stmt = apply_scope(stmt, CleanupCandidate.department_id)
    writer = WorkbookWriter()
    decisions, details = writer.sheet("清理处理结果"), writer.sheet("候选证件信息")
    decisions.append(["证件编号", "处理结果", "原因"])
    details.append(["证件编号", "持证人", "单位", "情形"])
    for number, name, unit, groups, decision, reason in db.session.execute(stmt):
        decisions.append([decisions.cell(number, number_format="@"), decision, reason or None])
        details.append([details.cell(number, number_format="@"), name, unit,
                        "；".join(service.GROUPS[g] for g in groups.split(",") if g)])
    return Response(writer.save(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=cleanup-{campaign.id}.xlsx"})


@bp.route("/cleanup/<int:campaign_id>/confirm", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def confirm(campaign_id):
    campaign = get_campaign(campaign_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".campaign", campaign_id=campaign.id))
    stmt = (select(CleanupCandidate).where(CleanupCandidate.campaign_id == campaign.id,
                                           CleanupCandidate.decision.is_not(None),
                                           CleanupCandidate.confirmed.is_(False))
            .options(joinedload(CleanupCandidate.certificate)))
    stmt = apply_scope(stmt, CleanupCandidate.department_id)
    if form.group.data in service.GROUPS:
        stmt = stmt.where(CleanupCandidate.group == form.group.data)
    candidates = db.session.scalars(stmt).unique().all()
    if not candidates:
        flash("没有待确认的处理结果", "warning")
        return redirect(url_for(".campaign", campaign_id=campaign.id))
    if form.sure.data != "1":  # first show what will happen, with the counts
        counts = {d: sum(1 for c in candidates if c.decision == d) for d in DECISIONS}
        return render_template("certificates/cleanup/confirm.html", campaign=campaign, form=form, step="confirm",
                               group=form.group.data if form.group.data in service.GROUPS else "",
                               groups=service.GROUPS, total=len(candidates),
                               counts={k: v for k, v in counts.items() if v})
    try:
        counts = service.confirm(campaign, candidates, actor=current_user)
    except (service.CleanupError, service.CertificateError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash("已确认：" + "，".join(f"{k}{v}个" for k, v in counts.items()), "success")
    return redirect(url_for(".campaign", campaign_id=campaign.id))


@bp.route("/cleanup/<int:campaign_id>/close", methods=["POST"])
@roles_required(*BUREAU_ROLES)
def close(campaign_id):
    campaign = get_campaign(campaign_id)
    require_scope(campaign.department_id, write=True)
    form = CloseForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".campaign", campaign_id=campaign.id))
    figures = service.figures(campaign)
    ready = campaign.is_open and not figures["by_decision"]["未处理"] and not figures["unconfirmed"]
    if ready and form.sure.data != "1":  # first show the figures the campaign will close with
        return render_template("certificates/cleanup/confirm.html", campaign=campaign, form=form, step="close",
                               total=figures["candidates"],
                               counts={k: v for k, v in figures["by_decision"].items() if v and k != "未处理"})
    try:
        service.close(campaign, actor=current_user)
    except (service.CleanupError, StateChanged) as exc:
        refuse(exc)
    else:
        db.session.commit()
        flash(f"清理活动“{campaign.name}”已结束", "success")
    return redirect(url_for(".campaign", campaign_id=campaign.id))
