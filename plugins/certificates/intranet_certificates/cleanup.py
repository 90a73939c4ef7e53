"""清理 campaigns: propose candidates (set-based), department decisions, bureau confirmation, closing.

Every step locks the rows it changes first (intranet.locking), so a repeated or concurrent
request is refused with StateChanged, or finds nothing left to do, and changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, func, or_, select, update

from intranet import audit
from intranet.extensions import db
from intranet.imports.framework import bulk_insert
from intranet.locking import StateChanged, lock, lock_rows
from intranet.models import Department, Person
from intranet.models.org import FORMAL_STAFFING

from . import lifecycle, settings
from .dates import add_months
from .lifecycle import CertificateError, actor_name
from .models import (CAMPAIGN_CLOSED, CAMPAIGN_OPEN, DECISIONS, Certificate, CleanupCampaign, CleanupCandidate)
from .states import EXPIRED, OUTSTANDING, SUSPENDED, VALID

# The six groups, in the order a card is filed under when it matches several.
GROUPS = {
    "expired_lost": "过期或遗失",
    "left_post": "退休、调离、辞职、辞退、开除或已不在执法岗位",
    "inactive": "12个月以上无执法记录",
    "duplicate": "持有两个及以上证件",
    "non_formal": "非正式在编人员",
    "other": "其他（年审逾期）",
}
LEFT_STATUSES = ("调离", "退休", "辞职", "开除", "辞退")


class CleanupError(CertificateError):
    pass


def group_conditions(today: date) -> dict:
    """One SQL condition per group over Certificate joined with its holder (Person)."""
    months = int(settings.get("inactivity_months"))
    holders_of_two = (select(Certificate.person_id).where(Certificate.status.in_((VALID, SUSPENDED)))
                      .group_by(Certificate.person_id).having(func.count(Certificate.id) > 1))
    return {
        "expired_lost": or_(Certificate.status == EXPIRED, Certificate.lost.is_(True), Certificate.valid_until < today),
        "left_post": or_(Person.status.in_(LEFT_STATUSES), Person.enforcement_post.is_(False),
                         Person.department_id != Certificate.department_id),
        "inactive": and_(Certificate.last_enforcement_on.is_not(None),
                         Certificate.last_enforcement_on < add_months(today, -months)),
        "duplicate": Certificate.person_id.in_(holders_of_two),
        "non_formal": Person.staffing.not_in(FORMAL_STAFFING),
        "other": and_(Certificate.next_review_due.is_not(None), Certificate.next_review_due < today),
    }


def candidate_rows(department: Department, today: date | None = None) -> list[dict]:
    """The outstanding cards of the subtree that fall in at least one group (one query)."""
    today = today or date.today()
    conds = group_conditions(today)
    flags = [case((cond, 1), else_=0).label(key) for key, cond in conds.items()]
    stmt = (select(Certificate.id, Certificate.department_id, *flags)
            .join(Person, Person.id == Certificate.person_id)
            .where(Certificate.status.in_(OUTSTANDING), department.subtree_filter(Certificate.department_id),
                   or_(*conds.values()))
            .order_by(Certificate.id))
    out = []
    for row in db.session.execute(stmt):
        matched = [key for key in GROUPS if getattr(row, key)]
        out.append({"certificate_id": row.id, "department_id": row.department_id, "group": matched[0],
                    "groups": ",".join(matched)})
    return out


def overlapping_campaign(department: Department) -> CleanupCampaign | None:
    """An open campaign whose subtree contains, or lies within, ``department``'s."""
    stmt = (select(CleanupCampaign).join(Department, Department.id == CleanupCampaign.department_id)
            .where(CleanupCampaign.status == CAMPAIGN_OPEN,
                   or_(Department.path.startswith(department.path, autoescape=True),
                       func.substr(department.path, 1, func.length(Department.path)) == Department.path)))
    return db.session.scalars(stmt).first()


def open_campaign(name: str, department: Department, *, actor=None, today: date | None = None,
                  note: str = "") -> CleanupCampaign:
    name = (name or "").strip()
    if not name:
        raise CleanupError("请填写清理活动名称")
    # Two overlapping subtrees share the higher one's root, so locking the department and its
    # ancestors makes two openings over the same cards take turns (and the second is refused).
    ids = [int(i) for i in department.path.strip("/").split("/") if i] or [department.id]
    db.session.scalars(lock_rows(select(Department).where(Department.id.in_(ids)).order_by(Department.id))).all()
    other = overlapping_campaign(department)
    if other is not None:
        raise CleanupError(f"清理活动“{other.name}”（{other.department.name}）仍在进行中，范围与本次重叠，请先结束该活动")
    today = today or date.today()
    campaign = CleanupCampaign(name=name, department_id=department.id, status=CAMPAIGN_OPEN, opened_on=today,
                               opened_by_id=getattr(actor, "id", None), note=(note or "").strip())
    db.session.add(campaign)
    db.session.flush()
    rows = candidate_rows(department, today)
    # bulk_insert takes column names: the attribute ``group`` is the column candidate_group.
    bulk_insert(CleanupCandidate, [
        {"certificate_id": r["certificate_id"], "department_id": r["department_id"], "candidate_group": r["group"],
         "groups": r["groups"], "campaign_id": campaign.id, "confirmed": False, "decision_reason": "", "decided_by_name": "",
         "confirmed_by_name": ""} for r in rows])
    audit.record("certificates.cleanup_open", "certificate_cleanup", campaign.id, actor=actor,
                 summary=f"开展行政执法证清理“{name}”（{department.name}），提出候选证件{len(rows)}个",
                 after={"candidates": len(rows)}, department_id=department.id)
    return campaign


def candidate_for(campaign: CleanupCampaign, certificate_id: int) -> CleanupCandidate | None:
    return db.session.scalar(select(CleanupCandidate).where(CleanupCandidate.campaign_id == campaign.id,
                                                            CleanupCandidate.certificate_id == certificate_id))


def decide(campaign: CleanupCampaign, number: str, decision: str, reason: str, *, actor=None) -> CleanupCandidate:
    """A department's (or the bureau's) decision on one of the campaign's candidates."""
    lock(campaign, check=False)
    if not campaign.is_open:
        raise CleanupError(f"清理活动“{campaign.name}”已结束，不能再作处理")
    if decision not in DECISIONS:
        raise CleanupError(f"处理结果应为：{'、'.join(DECISIONS)}")
    reason = (reason or "").strip()
    if not reason:
        raise CleanupError("请填写处理原因")
    cert = db.session.scalar(select(Certificate).where(Certificate.number == (number or "").strip()))
    candidate = candidate_for(campaign, cert.id) if cert is not None else None
    if candidate is None:
        raise CleanupError(f"证件 {number} 不在清理活动“{campaign.name}”的候选名单中，不能处理")
    lock(candidate)
    if candidate.confirmed:
        raise CleanupError(f"证件 {number} 的处理结果已由司法局确认，不能修改")
    if (candidate.decision, candidate.decision_reason) == (decision, reason):  # e.g. the same post twice
        raise StateChanged()
    before = {"decision": candidate.decision, "reason": candidate.decision_reason}
    candidate.decision, candidate.decision_reason = decision, reason
    candidate.decided_by_name, candidate.decided_at = actor_name(actor), datetime.now()
    audit.record("certificates.cleanup_decide", "certificate_cleanup_candidate", candidate.id, actor=actor,
                 reason=reason, summary=f"清理“{campaign.name}”：证件 {cert.number} 处理为{decision}",
                 before=before, after={"decision": decision, "reason": reason}, department_id=candidate.department_id)
    return candidate


def decide_group(campaign: CleanupCampaign, group: str, decision: str, reason: str, *, scope=None,
                 actor=None) -> int:
    """The same decision for every undecided, unconfirmed candidate of ``group`` (one UPDATE)."""
    lock(campaign, check=False)
    if not campaign.is_open:
        raise CleanupError(f"清理活动“{campaign.name}”已结束，不能再作处理")
    if group not in GROUPS:
        raise CleanupError("请选择情形")
    if decision not in DECISIONS:
        raise CleanupError(f"处理结果应为：{'、'.join(DECISIONS)}")
    reason = (reason or "").strip()
    if not reason:
        raise CleanupError("请填写处理原因")
    stmt = (update(CleanupCandidate)
            .where(CleanupCandidate.campaign_id == campaign.id, CleanupCandidate.group == group,
                   CleanupCandidate.decision.is_(None), CleanupCandidate.confirmed.is_(False))
            .values(decision=decision, decision_reason=reason, decided_by_name=actor_name(actor),
                    decided_at=datetime.now())
            .execution_options(synchronize_session=False))
    if scope is not None:
        stmt = stmt.where(scope)
    count = db.session.execute(stmt).rowcount
    if not count:  # nothing left undecided (e.g. the same request twice): nothing to record
        return 0
    audit.record("certificates.cleanup_decide", "certificate_cleanup", campaign.id, actor=actor, reason=reason,
                 summary=f"清理“{campaign.name}”：将“{GROUPS[group]}”中未处理的{count}个候选证件处理为{decision}",
                 after={"group": group, "decision": decision, "count": count})
    db.session.expire_all()
    return count


def confirm(campaign: CleanupCampaign, candidates: list[CleanupCandidate], *, actor=None,
            today: date | None = None) -> dict:
    """The bureau confirms decided candidates and applies them: 收回 recalls the card, 公告注销
    cancels it in one notice for the batch, 保留 keeps it. All or nothing."""
    lock(campaign, check=False)
    if not campaign.is_open:
        raise CleanupError(f"清理活动“{campaign.name}”已结束")
    today = today or date.today()
    for c in sorted(candidates, key=lambda c: c.id):  # confirmed meanwhile: StateChanged
        lock(c)
    for cert in sorted({c.certificate for c in candidates}, key=lambda cert: cert.id):  # id order, as notices do
        lock(cert)
    todo = [c for c in candidates if not c.confirmed]
    undecided = [c.certificate.number for c in todo if not c.decision]
    if undecided:
        raise CleanupError(f"以下证件尚未作出处理结果，不能确认：{'、'.join(undecided[:10])}")
    for c in todo:  # refuse the batch before changing anything
        if c.campaign_id != campaign.id:
            raise CleanupError(f"证件 {c.certificate.number} 不在本清理活动中")
        action = {"收回": "recall", "公告注销": "cancel_by_notice"}.get(c.decision)
        if action and c.certificate.status not in lifecycle.states.TRANSITIONS[action][1]:
            raise CleanupError(f"证件 {c.certificate.number} 当前状态为“{c.certificate.status}”，不能{c.decision}")
    counts = {d: 0 for d in DECISIONS}
    notice_cards = []
    for c in todo:
        reason = f"清理“{campaign.name}”：{c.decision_reason}"
        if c.decision == "收回":
            lifecycle.recall(c.certificate, reason=reason, on=today, actor=actor)
        elif c.decision == "公告注销":
            notice_cards.append(c.certificate)
        c.confirmed, c.confirmed_by_name, c.confirmed_at = True, actor_name(actor), datetime.now()
        counts[c.decision] += 1
        audit.record("certificates.cleanup_confirm", "certificate_cleanup_candidate", c.id, actor=actor,
                     summary=f"确认清理结果：证件 {c.certificate.number} {c.decision}", reason=c.decision_reason,
                     after={"decision": c.decision, "confirmed": True}, department_id=c.department_id)
    if notice_cards:
        lifecycle.publish_notice(notice_cards, reason=f"行政执法证清理（{campaign.name}）中无法收回", on=today,
                                 actor=actor)
    return counts


def figures(campaign: CleanupCampaign, scope=None) -> dict:
    """Counts by group and by decision (GROUP BY), optionally limited to a scope condition."""
    base = select(CleanupCandidate).where(CleanupCandidate.campaign_id == campaign.id)
    if scope is not None:
        base = base.where(scope)
    sub = base.subquery()
    by_group = dict(db.session.execute(select(sub.c.candidate_group, func.count()).group_by(sub.c.candidate_group)).all())
    by_decision = {decision or "未处理": n for decision, n in db.session.execute(
        select(sub.c.decision, func.count()).group_by(sub.c.decision)).all()}
    confirmed = db.session.scalar(select(func.count()).select_from(sub).where(sub.c.confirmed.is_(True)))
    total = sum(by_group.values())
    return {"candidates": total, "by_group": {k: by_group.get(k, 0) for k in GROUPS},
            "by_decision": {k: by_decision.get(k, 0) for k in DECISIONS + ["未处理"]},
            "confirmed": confirmed, "unconfirmed": total - confirmed}


def close(campaign: CleanupCampaign, *, actor=None, today: date | None = None) -> dict:
    lock(campaign)
    if not campaign.is_open:
        raise CleanupError(f"清理活动“{campaign.name}”已经结束")
    result = figures(campaign)
    if result["by_decision"]["未处理"]:
        raise CleanupError(f"仍有{result['by_decision']['未处理']}个候选证件未作出处理结果，不能结束清理")
    if result["unconfirmed"]:
        raise CleanupError(f"仍有{result['unconfirmed']}个处理结果未经司法局确认，不能结束清理")
    campaign.status, campaign.closed_on = CAMPAIGN_CLOSED, today or date.today()
    campaign.closed_by_id, campaign.figures = getattr(actor, "id", None), result
    audit.record("certificates.cleanup_close", "certificate_cleanup", campaign.id, actor=actor,
                 summary=f"结束行政执法证清理“{campaign.name}”：候选{result['candidates']}个，"
                         f"保留{result['by_decision']['保留']}个，收回{result['by_decision']['收回']}个，"
                         f"公告注销{result['by_decision']['公告注销']}个",
                 before={"status": CAMPAIGN_OPEN}, after={"status": CAMPAIGN_CLOSED, "figures": result},
                 department_id=campaign.department_id)
    return result


def open_campaign_for(certificate_ids: list[int]) -> dict[int, CleanupCandidate]:
    """certificate id -> its candidate row in an open campaign (for the decisions import)."""
    out = {}
    for start in range(0, len(certificate_ids), 1000):
        stmt = (select(CleanupCandidate).join(CleanupCampaign, CleanupCampaign.id == CleanupCandidate.campaign_id)
                .where(CleanupCampaign.status == CAMPAIGN_OPEN,
                       CleanupCandidate.certificate_id.in_(certificate_ids[start:start + 1000])))
        out.update({c.certificate_id: c for c in db.session.scalars(stmt)})
    return out
