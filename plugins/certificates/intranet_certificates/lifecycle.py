"""Issuing cards and every lifecycle action on them.

Each action locks the card's row (intranet.locking: a concurrent second request gets
StateChanged), checks the transition table (states.py) before it changes anything, then changes
the card, appends a CertificateEvent and records an audit event in the same transaction. The
caller commits (or rolls back on refusal).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from intranet import audit
from intranet.extensions import db
from intranet.imports.framework import bulk_insert
from intranet.locking import StateChanged, lock, lock_rows

from . import numbering, settings, states
from .dates import add_months, add_years
from .models import CancellationNotice, Certificate, CertificateEvent
from .states import EXPIRED, VALID, TransitionError


class CertificateError(ValueError):
    """A refused request about a card; the message is Chinese."""


def actor_name(actor) -> str:
    if actor is None:
        return "系统"
    return getattr(actor, "display_name", "") or getattr(actor, "username", "") or "系统"


def _event(cert: Certificate, action: str, from_status: str | None, to_status: str, reason: str, on: date,
           actor, details: dict | None = None) -> CertificateEvent:
    event = CertificateEvent(certificate=cert, action=action, from_status=from_status, to_status=to_status,
                             reason=reason or "", happened_on=on, actor_id=getattr(actor, "id", None),
                             actor_name=actor_name(actor), details=details)
    db.session.add(event)
    return event


def _audit(cert: Certificate, action: str, before: dict, reason: str, actor, summary: str = "") -> None:
    before, after = audit.diff(before, cert.audit_state())
    audit.record(f"certificates.{action}", "certificate", cert.id, reason=reason, actor=actor,
                 summary=summary or f"行政执法证 {cert.number} {states.label(action)}",
                 before=before, after=after, department_id=cert.department_id)


def _need_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(f"请填写{states.label(action)}的原因")
    return reason


# --- issue -------------------------------------------------------------------------------

def check_dates(issued_on: date, valid_until: date) -> None:
    if issued_on is None or valid_until is None:
        raise CertificateError("请填写发证日期和有效期至")
    if valid_until <= issued_on:
        raise CertificateError("有效期至必须晚于发证日期")


def default_valid_until(issued_on: date) -> date:
    return add_years(issued_on, int(settings.get("validity_years")))


def issue(person, *, department_id: int, category: str, region: str, issued_on: date | None = None,
          valid_until: date | None = None, version: str | None = None, authority: str | None = None,
          number: str | None = None, photo_file: str = "", photo_name: str = "", actor=None,
          origin: str = "application", action: str = "issue", replaces: Certificate | None = None,
          reason: str = "") -> Certificate:
    """Issue a card; the number is the next under the pattern unless one is given (then it must be free)."""
    issued_on = issued_on or date.today()
    valid_until = valid_until or default_valid_until(issued_on)
    check_dates(issued_on, valid_until)
    if category not in settings.get("categories"):
        raise CertificateError(f"执法类别“{category}”不在配置的类别中")
    if number:
        number = number.strip()
        if len(number) > 40:
            raise CertificateError("证件编号不能超过40个字符")
        if not numbering.under_pattern(number):
            raise CertificateError(f"证件编号 {number} 不符合现行编号规则（{settings.describe_pattern(settings.get('number_pattern'))}），"
                                   "新发证件的编号必须符合编号规则（旧编号只能通过导入既有证件保留）")
        if numbering.number_in_use(number):
            raise CertificateError(f"证件编号 {number} 已被使用，编号不能重复使用")
    else:
        number = numbering.take_number(issued_on.year)
    cert = Certificate(
        number=number, person_id=person.id, department_id=department_id,
        issuing_authority=authority or settings.issuing_authority(), category=category, region=region or "",
        issued_on=issued_on, valid_until=valid_until, version=version or settings.get("default_version"),
        photo_file=photo_file, photo_name=photo_name, status=VALID, status_changed_on=issued_on,
        next_review_due=add_years(issued_on, int(settings.get("review_cycle_years"))),
        origin=origin, replaces=replaces, lost=False,
    )
    db.session.add(cert)
    db.session.flush()
    _event(cert, action, None, VALID, reason, issued_on, actor,
           {"valid_until": valid_until.isoformat(), "replaces": replaces.number if replaces else None})
    audit.record(f"certificates.{action}", "certificate", cert.id, actor=actor, reason=reason,
                 summary=f"{states.label(action)}行政执法证 {cert.number}（{person.name}）",
                 after=cert.audit_state(), department_id=department_id)
    return cert


# --- transitions -------------------------------------------------------------------------

def transition(cert: Certificate, action: str, *, reason: str = "", on: date | None = None, actor=None,
               details: dict | None = None, require_reason: bool = True, **changes) -> Certificate:
    """Move ``cert`` by ``action`` (refused unless the table allows it), with event and audit."""
    lock(cert)
    target = states.check(action, cert.status)
    if require_reason:
        reason = _need_reason(reason, action)
    on = on or date.today()
    before = cert.audit_state()
    source = cert.status
    for key, value in changes.items():
        setattr(cert, key, value)
    if target != source:
        cert.status = target
        cert.status_changed_on = on
    _event(cert, action, source, target, reason, on, actor, details)
    _audit(cert, action, before, reason, actor)
    return cert


def review(cert: Certificate, *, reason: str = "", on: date | None = None, actor=None) -> Certificate:
    """年审 passed: the next review is one cycle after this one."""
    on = on or date.today()
    lock(cert)
    states.check("review", cert.status)
    if cert.effective_status == EXPIRED:
        raise TransitionError("证件已超过有效期，不能年审，请办理换证")
    if cert.last_review_on == on:  # the same 年审 twice
        raise StateChanged()
    if on <= cert.issued_on:
        raise TransitionError(f"证件于 {cert.issued_on.isoformat()} 发证，发证当日及以前不能年审")
    if cert.next_review_due is not None:
        earliest = add_months(cert.next_review_due, -int(settings.get("review_warn_months")))
        if on < earliest:
            first = "首次" if cert.last_review_on is None else "下次"
            raise TransitionError(f"证件{first}年审应于 {cert.next_review_due.isoformat()} 前办理，"
                                  f"尚未到年审期（最早可于 {earliest.isoformat()} 起办理）")
    due = add_years(on, int(settings.get("review_cycle_years")))
    return transition(cert, "review", reason=reason or "年审合格", on=on, actor=actor, last_review_on=on,
                      next_review_due=due, details={"next_review_due": due.isoformat()})


def renew(cert: Certificate, *, valid_until: date, reason: str = "", on: date | None = None,
          actor=None) -> Certificate:
    """换证. By default the card keeps its number and gets the new validity; with the setting
    ``renew_new_number`` the old card is cancelled and a new one issued (returned)."""
    on = on or date.today()
    lock(cert)
    states.check("renew", cert.status)
    reason = _need_reason(reason or "换证", "renew")
    if valid_until is None or valid_until <= max(on, cert.valid_until if cert.status == VALID else on):
        raise CertificateError("新的有效期至必须晚于原有效期和办理日期")
    if settings.get("renew_new_number"):
        transition(cert, "cancel", reason=f"换证：{reason}", on=on, actor=actor,
                   details={"renewed": True})
        return issue(cert.person, department_id=cert.department_id, category=cert.category, region=cert.region,
                     issued_on=on, valid_until=valid_until, version=cert.version, authority=cert.issuing_authority,
                     photo_file=cert.photo_file, photo_name=cert.photo_name, actor=actor, origin="renewal",
                     action="renew_issue", replaces=cert, reason=reason)
    return transition(cert, "renew", reason=reason, on=on, actor=actor, valid_until=valid_until,
                      details={"old_valid_until": cert.valid_until.isoformat(), "valid_until": valid_until.isoformat()},
                      last_review_on=on, next_review_due=add_years(on, int(settings.get("review_cycle_years"))))


def suspend(cert, *, reason, on=None, actor=None):
    return transition(cert, "suspend", reason=reason, on=on, actor=actor)


def restore(cert, *, reason, on=None, actor=None):
    lock(cert)
    states.check("restore", cert.status)
    if cert.valid_until < (on or date.today()):
        raise TransitionError("证件已超过有效期，不能恢复为有效")
    return transition(cert, "restore", reason=reason, on=on, actor=actor)


def recall(cert, *, reason, on=None, actor=None):
    return transition(cert, "recall", reason=reason, on=on, actor=actor)


def cancel(cert, *, reason, on=None, actor=None):
    return transition(cert, "cancel", reason=reason, on=on, actor=actor)


def publish_notice(certs: list[Certificate], *, reason: str, on: date | None = None, actor=None,
                   title: str = "", text: str = "", action: str = "cancel_by_notice") -> CancellationNotice:
    """公告注销: one notice listing the cards, each card moved by ``action`` (all or none)."""
    on = on or date.today()
    reason = _need_reason(reason, action)
    if not certs:
        raise CertificateError("公告注销至少需要一个证件")
    for cert in sorted(certs, key=lambda c: c.id):  # in id order, so two batches never deadlock
        lock(cert)
    for cert in certs:  # validate every card before changing any
        try:
            states.check(action, cert.status)
        except TransitionError as exc:
            raise TransitionError(f"证件 {cert.number}：{exc}") from None
    numbers = [c.number for c in certs]
    notice = CancellationNotice(
        title=title or "关于注销行政执法证件的公告", published_on=on, reason=reason,
        text=text or default_notice_text(len(numbers), reason), numbers=numbers,
        created_by_id=getattr(actor, "id", None))
    db.session.add(notice)
    db.session.flush()
    for cert in certs:
        transition(cert, action, reason=reason, on=on, actor=actor, notice=notice,
                   lost=cert.lost or action == "declare_lost", details={"notice_id": notice.id})
    audit.record("certificates.notice", "certificate_notice", notice.id, actor=actor, reason=reason,
                 summary=f"发布公告注销 {len(numbers)} 个行政执法证件", after={"numbers": numbers})
    return notice


def default_notice_text(count: int, reason: str) -> str:
    return (f"因{reason}，下列{count}个行政执法证件无法收回。根据行政执法证件管理有关规定，"
            f"现予以公告注销，自公告之日起作废。任何单位和个人不得使用已注销的证件从事行政执法活动，"
            f"如发现持已注销证件执法的，请向司法行政部门举报。")


def cancel_by_notice(cert, *, reason, on=None, actor=None) -> CancellationNotice:
    return publish_notice([cert], reason=reason, on=on, actor=actor)


def declare_lost(cert: Certificate, *, reason: str = "", on: date | None = None, actor=None) -> Certificate:
    """遗失补办: the lost card is declared void by a notice and a replacement with a new number is issued."""
    on = on or date.today()
    lock(cert)
    states.check("declare_lost", cert.status)
    reason = _need_reason(reason, "declare_lost")
    if cert.valid_until <= on:
        raise TransitionError("证件已超过有效期，请办理换证而不是遗失补办")
    publish_notice([cert], reason=f"证件遗失：{reason}", on=on, actor=actor, action="declare_lost",
                   title="关于行政执法证件遗失作废的公告")
    return issue(cert.person, department_id=cert.department_id, category=cert.category, region=cert.region,
                 issued_on=on, valid_until=cert.valid_until, version=cert.version, authority=cert.issuing_authority,
                 photo_file=cert.photo_file, photo_name=cert.photo_name, actor=actor, origin="reissue",
                 action="reissue", replaces=cert, reason=f"遗失补办，原证件 {cert.number}")


ACTIONS = {
    "review": review, "renew": renew, "suspend": suspend, "restore": restore, "recall": recall,
    "cancel": cancel, "cancel_by_notice": cancel_by_notice, "declare_lost": declare_lost,
}


# --- expiry ------------------------------------------------------------------------------

def expire_due(today: date | None = None) -> int:
    """Mark every 有效/暂扣 card past its validity as 过期 (set-based), with events and one audit record."""
    today = today or date.today()
    sources = states.TRANSITIONS["expire"][1]
    rows = db.session.execute(lock_rows(
        select(Certificate.id, Certificate.number, Certificate.status)
        .where(Certificate.status.in_(sources), Certificate.valid_until < today).order_by(Certificate.id)
    )).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        db.session.execute(update(Certificate).where(Certificate.id.in_(chunk), Certificate.status.in_(sources))
                           .values(status=EXPIRED, status_changed_on=today)
                           .execution_options(synchronize_session=False))
    events = [{"certificate_id": r.id, "action": "expire", "from_status": r.status, "to_status": EXPIRED,
               "reason": "超过有效期，系统自动标记为过期", "happened_on": today, "actor_id": None,
               "actor_name": "系统"} for r in rows]  # no details: SQL NULL (None would be JSON null)
    bulk_insert(CertificateEvent, events)
    audit.record("certificates.expire", "certificate", None, summary=f"定时任务将{len(rows)}个超过有效期的证件标记为过期",
                 reason="超过有效期", after={"numbers": [r.number for r in rows]})
    db.session.expire_all()
    return len(rows)

