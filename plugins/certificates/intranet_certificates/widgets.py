"""The dashboard cards: the holder's own certificate; for admins the scope's certificates in
figures (counted over every certificate of the scope: a stored figure) and the work waiting."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from flask import url_for
from sqlalchemy import bindparam, case, func, select

from intranet import counts
from intranet.access import apply_scope, scoped, statement_scope
from intranet.extensions import db
from intranet.hookspecs import Widget
from intranet.models import Person
from intranet.stored import computed, read, scope_key, scope_user

from . import settings
from .dates import add_months
from .models import CAMPAIGN_OPEN, Certificate, CertificateApplication, CleanupCampaign, CleanupCandidate
from .states import VALID

NAME = "certificates"
READ = ("admin", "bureau", "dept_admin", "inspector")


@computed(version=1)
def certificate_counts(scope, warn_months: int) -> list[int]:
    """Valid certificates of the scope: in all, review due within ``warn_months``, review overdue,
    expiring within ``warn_months``."""
    today = date.today()
    warn = add_months(today, warn_months)
    valid = Certificate.status == VALID
    row = db.session.execute(apply_scope(select(
        func.count(case((valid, 1))),
        func.count(case((valid & Certificate.next_review_due.between(today, warn), 1))),
        func.count(case((valid & (Certificate.next_review_due < today), 1))),
        func.count(case((valid & Certificate.valid_until.between(today, warn), 1))),
    ).select_from(Certificate), Certificate.department_id, scope_user(scope))).one()
    return [int(v or 0) for v in row]


def _returned_cond():
    return (CertificateApplication.status == "已退回") & (CertificateApplication.reviewed_at >= bindparam("since"))


# The statements below are built once per scope, with the date as a bound parameter ("since").
@lru_cache(maxsize=256)
def _todo_statement(scope):
    apps = select(func.count()).select_from(CertificateApplication)
    return select(
        scoped(apps.where(CertificateApplication.status == "待审核"), CertificateApplication.department_id, scope)
        .scalar_subquery(),
        scoped(apps.where(CertificateApplication.status == "已批准"), CertificateApplication.department_id, scope)
        .scalar_subquery(),
        scoped(select(CleanupCandidate.id).join(CleanupCampaign, CleanupCampaign.id == CleanupCandidate.campaign_id)
                .where(CleanupCampaign.status == CAMPAIGN_OPEN).limit(1), CleanupCandidate.department_id, scope)
        .scalar_subquery(),
        scoped(select(CertificateApplication.id).where(_returned_cond()).limit(1),
                CertificateApplication.department_id, scope).scalar_subquery(),
    )


@lru_cache(maxsize=256)
def _campaigns_statement(scope):
    return scoped(
        select(CleanupCampaign.id, CleanupCampaign.name, func.count(CleanupCandidate.id),
               func.count(case((CleanupCandidate.decision.is_(None), 1))))
        .join(CleanupCandidate, CleanupCandidate.campaign_id == CleanupCampaign.id)
        .where(CleanupCampaign.status == CAMPAIGN_OPEN)
        .group_by(CleanupCampaign.id, CleanupCampaign.name).order_by(CleanupCampaign.id),
        CleanupCandidate.department_id, scope)


@lru_cache(maxsize=256)
def _returned_statement(scope):
    return scoped(
        select(CertificateApplication.id, Person.name, CertificateApplication.review_note)
        .join(Person, Person.id == CertificateApplication.person_id)
        .where(_returned_cond())
        .order_by(CertificateApplication.reviewed_at.desc(), CertificateApplication.id.desc()).limit(4),
        CertificateApplication.department_id, scope)


def dashboard_widgets(user):
    if user.role == "staff":
        return _own(user)
    if user.role not in READ:
        return None
    today = date.today()
    stored = read(certificate_counts, scope_key(user), int(settings.get("review_warn_months")))
    scope = statement_scope(user)
    since = {"since": datetime.combine(today - timedelta(days=60), time.min)}
    # The to-do counts in one statement; the lists below only when there is something to list.
    todo = _todo_statement(scope)   # kept while the applications and campaigns are unchanged
    pending, approved, any_campaign, any_returned = counts.remember(
        todo, lambda: tuple(db.session.execute(todo, since).one()), params=since)
    within = settings.warn_period_text()
    figures = []
    if stored.ready:
        valid = stored.value
        figures = [("有效证件", valid[0]), (f"{within}内年审", valid[1]), ("年审逾期", valid[2]),
                   (f"{within}内到期", valid[3])]
    figures += [("待审核申领", pending), ("待发证", approved)]
    links = [("年审提醒", url_for("certificates.reviews")), ("申领", url_for("certificates.applications"))]
    open_candidates = db.session.execute(_campaigns_statement(scope)).all() if any_campaign is not None else []
    # Returned applications of the last 60 days, with the reason, so the unit can act on them.
    returned = db.session.execute(_returned_statement(scope), since).all() if any_returned is not None else []
    for app_id, name, reason in returned[:3]:
        figures.append((f"已退回：{name}（第 {app_id} 号）", reason if len(reason) <= 60 else reason[:60] + "…"))
        links.append((f"退回的申领第 {app_id} 号", url_for("certificates.application", app_id=app_id)))
    if len(returned) > 3:
        links.append(("全部已退回的申领", url_for("certificates.applications", status="已退回")))
    for campaign_id, name, total, undecided in open_candidates[:3]:
        figures.append((f"清理“{name}”待处理", f"{undecided}/{total}"))
        links.append((f"清理：{name}", url_for("certificates.campaign", campaign_id=campaign_id)))
    return Widget(NAME, "行政执法证", order=30, figures=figures, links=links,
                  html=stored.note())


def _own(user):
    if not user.person_id:
        return None
    cert = db.session.scalars(select(Certificate).where(Certificate.person_id == user.person_id)
                              .order_by(Certificate.issued_on.desc(), Certificate.id.desc())).first()
    if cert is None:
        return Widget(NAME, "我的行政执法证", order=30, figures=[("持证情况", "未持证")])
    return Widget(NAME, "我的行政执法证", order=30, figures=[
        ("证件编号", cert.number), ("状态", cert.effective_status), ("有效期至", cert.valid_until.isoformat()),
        ("下次年审", cert.next_review_due.isoformat() if cert.next_review_due else "—")])
