"""The rules of sessions, attendance and the 学时台账. Views and imports call these.

Every function checks first and raises StudyError (a Chinese message) before it changes anything;
the caller rolls back. Each locks what it changes first (``intranet.locking``): the session for
its attendance and credits, the person for their own ledger entries (so two parallel claims
cannot both pass a cap), the entry itself for a review, so a repeated or concurrent request is
refused (StateChanged or StudyError) and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update

from intranet import audit
from intranet.extensions import db
from intranet.locking import lock, lock_rows, write_lock
from intranet.models import Department, Person

from . import settings
from .models import (ABSENT, APPROVED, APPROVED_TOPIC, ATTENDANCE_STATUSES, CANCELLED, CREDITED, EXAM, EXTERNAL, HELD, KINDS,
                     LIVE, LOCKED, MEETING, PLAN_ACTIVE, PLAN_WITHDRAWN, PLANNED, PRE_MEETING_KINDS, PRESENT, REPORTED,
                     RETURNED, SELF_STUDY, SPEAKER_TYPES, TO_APPROVE, TO_REVIEW, TOPIC_RETURNED, VOID,
                     Attendance, HoursEntry, PlanItem, SessionLaw, StudySession, YearClosing)

MAX_MINUTES = 8 * 60


class StudyError(ValueError):
    """A refused action; the message is shown to the user."""


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def fmt_hours(minutes: int | float) -> str:
    return f"{(minutes or 0) / 60:.1f}".rstrip("0").rstrip(".")


# --- the year lock -------------------------------------------------------------------------------

def year_closed(year: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(YearClosing).where(YearClosing.year == year)) > 0


def require_open_year(year: int) -> None:
    if year_closed(year):
        raise StudyError(f"{year}年度学时已由司法局年度锁定，不能再修改该年度的记录")


# --- sessions ------------------------------------------------------------------------------------

@dataclass
class SessionValues:
    department_id: int
    kind: str
    held_on: date
    duration_minutes: int
    topic: str
    laws: list[str]
    start_time: object = None
    speaker: str = ""
    speaker_type: str = ""
    notes: str = ""
    status: str = PLANNED
    code: str = ""
    plan_item_id: int | None = None
    speaker_minutes: int | None = None


def session_problems(v: SessionValues, today: date | None = None) -> list[str]:
    """Why ``v`` cannot be saved (empty: it can)."""
    today = today or date.today()
    out = []
    if v.kind not in KINDS:
        out.append(f"学法类型应为：{'、'.join(KINDS)}")
    if v.duration_minutes is None or v.duration_minutes < 1 or v.duration_minutes > MAX_MINUTES:
        out.append("时长应在1分钟到8小时（480分钟）之间")
    if v.speaker_type and v.speaker_type not in SPEAKER_TYPES:
        out.append(f"主讲人类型应为：{'、'.join(SPEAKER_TYPES)}")
    if v.status not in (PLANNED, HELD):
        out.append("状态应为计划或已举行")
    elif v.status == HELD and v.held_on > today:
        out.append(f"日期 {v.held_on.isoformat()} 尚未到来，不能登记为已举行")
    if not (v.topic or "").strip():
        out.append("请填写学习主题")
    if v.plan_item_id:
        item = db.session.get(PlanItem, v.plan_item_id)
        if item is None or item.status != PLAN_ACTIVE:
            out.append("所选学法计划事项不存在或已撤销")
        elif item.department_id != v.department_id or item.year != v.held_on.year:
            out.append("所选学法计划事项不属于本单位本年度")
    return out


def needs_approval(kind: str) -> bool:
    """With the approval flow on, a 会前学法 topic must be approved before the session is held."""
    return bool(settings.get("approval_flow")) and kind in PRE_MEETING_KINDS


NOT_APPROVED = "已开启会前学法选题报审：该活动的选题尚未经司法局审核和领导批准，不能登记为已举行"


def speaker_warning(speaker_minutes: int | None) -> str:
    limit = int(settings.get("speaker_max_minutes"))
    if speaker_minutes and speaker_minutes > limit:
        return f"主讲时长{speaker_minutes}分钟，超过{limit}分钟的要求"
    return ""


def unlisted(names: list[str]) -> list[str]:
    known = settings.known_laws()
    return [n for n in names if n not in known]


def _next_code(department: Department, day: date) -> str:
    prefix = f"{department.code}-{day:%Y%m%d}-"
    taken = set(db.session.scalars(select(StudySession.code).where(StudySession.code.startswith(prefix, autoescape=True))))
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _set_laws(session: StudySession, names: list[str]) -> None:
    known = settings.known_laws()
    current = {law.name: law for law in session.laws}
    for name, law in current.items():
        if name not in names:
            session.laws.remove(law)
            db.session.delete(law)   # a detail line of the session, recorded in the audit before/after
    for name in names:
        if name not in current:
            session.laws.append(SessionLaw(name=name, listed=name in known))


def _state(session: StudySession) -> dict:
    return {"code": session.code, "kind": session.kind, "held_on": session.held_on.isoformat(),
            "duration_minutes": session.duration_minutes, "topic": session.topic, "status": session.status,
            "speaker": session.speaker, "speaker_type": session.speaker_type,
            "laws": [law.name for law in session.laws]}


def save_session(session: StudySession | None, v: SessionValues, user, today: date | None = None) -> StudySession:
    """Create (``session`` None) or change a session; a held session's credits follow its duration."""
    problems = session_problems(v, today)
    if problems:
        raise StudyError("；".join(problems))
    require_open_year(v.held_on.year)
    department = db.session.get(Department, v.department_id)
    if department is None:
        raise StudyError("单位不存在")
    if v.status == HELD and needs_approval(v.kind) and (session is None or session.approval != APPROVED_TOPIC):
        raise StudyError(NOT_APPROVED)
    if session is None:
        session = StudySession(code=v.code or _next_code(department, v.held_on), approval="", approval_note="",
                               created_by_id=getattr(user, "id", None))
        db.session.add(session)
        before = None
    else:
        session = lock(session)
        require_open_year(session.year)
        if session.status == CANCELLED:
            raise StudyError("该活动已撤销，不能修改")
        if session.status == HELD and v.status == PLANNED and _has_attendance(session):
            raise StudyError("该活动已登记出勤，不能改回计划")
        before = _state(session)
    if before is not None and session.approval and (session.topic != v.topic.strip() or session.held_on != v.held_on
                                                    or session.kind != v.kind):
        session.approval, session.approval_note = "", "选题或日期已修改，请重新报审"
    session.department_id = department.id
    session.kind, session.held_on, session.year = v.kind, v.held_on, v.held_on.year
    session.speaker_minutes = v.speaker_minutes
    session.start_time, session.duration_minutes = v.start_time, v.duration_minutes
    session.topic, session.speaker, session.speaker_type = v.topic.strip(), v.speaker.strip(), v.speaker_type
    session.notes, session.status = (v.notes or "").strip(), v.status
    session.plan_item_id = v.plan_item_id or None
    _set_laws(session, v.laws)
    db.session.flush()
    if before is not None:
        sync_credits(session, user)
    audit.record("create" if before is None else "update", "law_study_session", session.id,
                 summary=f"{'新建' if before is None else '修改'}学法活动 {session.code}：{session.topic}",
                 before=before, after=_state(session), department_id=session.department_id)
    return session


def _has_attendance(session: StudySession) -> bool:
    return db.session.scalar(select(func.count()).select_from(Attendance)
                             .where(Attendance.session_id == session.id)) > 0


def mark_held(session: StudySession, user, today: date | None = None) -> StudySession:
    today = today or date.today()
    session = lock(session)
    require_open_year(session.year)
    if session.status != PLANNED:
        raise StudyError(f"该活动状态为{session.status}，不能再登记为已举行")
    if session.held_on > today:
        raise StudyError(f"日期 {session.held_on.isoformat()} 尚未到来，不能登记为已举行")
    if needs_approval(session.kind) and session.approval != APPROVED_TOPIC:
        raise StudyError(NOT_APPROVED)
    session.status = HELD
    sync_credits(session, user)
    audit.record("law_study.held", "law_study_session", session.id, summary=f"学法活动 {session.code} 已举行",
                 before={"status": PLANNED}, after={"status": HELD}, department_id=session.department_id)
    return session


def cancel_session(session: StudySession, user) -> StudySession:
    session = lock(session)
    require_open_year(session.year)
    if session.status == CANCELLED:
        raise StudyError("该活动已撤销")
    before = session.status
    session.status = CANCELLED
    sync_credits(session, user)
    audit.record("law_study.cancel", "law_study_session", session.id, summary=f"撤销学法活动 {session.code}",
                 before={"status": before}, after={"status": CANCELLED}, department_id=session.department_id)
    return session


# --- the pre-meeting approval flow ----------------------------------------------------------------------

def _approval_step(session: StudySession, expected: tuple[str, ...], new: str, action: str, summary: str,
                   note: str = "") -> StudySession:
    session = lock(session)
    require_open_year(session.year)
    if not needs_approval(session.kind):
        raise StudyError("未开启会前学法选题报审，或该类型活动无需报审")
    if session.status != PLANNED:
        raise StudyError(f"该活动状态为{session.status}，不能再报审")
    if session.approval not in expected:
        raise StudyError(f"该选题当前为“{session.approval or '未报审'}”，不能{summary}")
    before = session.approval
    session.approval, session.approval_note = new, note
    audit.record(action, "law_study_session", session.id, summary=f"会前学法选题{summary}：{session.topic}"
                 + (f"（{note}）" if note else ""), before={"approval": before}, after={"approval": new},
                 department_id=session.department_id)
    return session


def submit_topic(session: StudySession, user, today: date | None = None) -> StudySession:
    today = today or date.today()
    days = int(settings.get("submit_days_ahead"))
    if (session.held_on - today).days < days:
        raise StudyError(f"会前学法选题应至少提前{days}天报送（活动日期 {session.held_on.isoformat()}）")
    return _approval_step(session, ("", TOPIC_RETURNED), TO_REVIEW, "law_study.submit", "报送")


def review_topic(session: StudySession, user, agree: bool, note: str = "") -> StudySession:
    note = (note or "").strip()[:200]
    if not agree and not note:
        raise StudyError("退回时请填写原因")
    return _approval_step(session, (TO_REVIEW,), TO_APPROVE if agree else TOPIC_RETURNED, "law_study.review",
                          "审核通过" if agree else "退回", note)


def approve_topic(session: StudySession, user) -> StudySession:
    return _approval_step(session, (TO_APPROVE,), APPROVED_TOPIC, "law_study.leader_approve", "经领导批准")


# --- the 年度学法计划 ------------------------------------------------------------------------------------

def add_plan_item(*, department_id: int, year: int, month: int, topic: str, laws: str, kind: str, user) -> PlanItem:
    if kind not in KINDS:
        raise StudyError(f"学法类型应为：{'、'.join(KINDS)}")
    if not 1 <= (month or 0) <= 12:
        raise StudyError("月份应为1到12")
    if not (topic or "").strip():
        raise StudyError("请填写计划学习主题")
    require_open_year(year)
    names = settings.split_laws(laws)
    item = PlanItem(department_id=department_id, year=year, month=month, topic=topic.strip()[:200],
                    laws="、".join(names)[:500], kind=kind, status=PLAN_ACTIVE, created_by_id=getattr(user, "id", None))
    db.session.add(item)
    db.session.flush()
    audit.record("create", "law_study_plan_item", item.id, summary=f"新增学法计划事项：{item.label}",
                 after={"year": year, "month": month, "topic": item.topic, "kind": kind, "laws": item.laws},
                 department_id=department_id)
    return item


def withdraw_plan_item(item: PlanItem, user) -> PlanItem:
    item = lock(item)
    require_open_year(item.year)
    if item.status != PLAN_ACTIVE:
        raise StudyError("该计划事项已撤销")
    item.status = PLAN_WITHDRAWN
    audit.record("law_study.withdraw", "law_study_plan_item", item.id, summary=f"撤销学法计划事项：{item.label}",
                 before={"status": PLAN_ACTIVE}, after={"status": PLAN_WITHDRAWN}, department_id=item.department_id)
    return item


# --- attendance ----------------------------------------------------------------------------------

def attendee_filter(session: StudySession):
    """A condition on Person.department_id: who may be recorded at ``session``."""
    if session.open_to_subtree:
        return session.department.subtree_filter(Person.department_id)
    return Person.department_id == session.department_id


def outside_message(session: StudySession, person: Person) -> str:
    if session.open_to_subtree:
        return f"{person.name}不属于{session.department.name}及其下属单位，不能登记该活动的出勤"
    return (f"{person.name}不属于{session.department.name}，不能登记该活动的出勤"
            f"（只有上级单位举办的集中学法、培训班可登记下属单位人员）")


def record_attendance(session: StudySession, marks: dict[int, tuple[str, str]], user) -> int:
    """Record ``marks`` (person id → (status, reason)) for a held session; returns how many changed."""
    session = lock(session, check=False)
    require_open_year(session.year)
    if session.status != HELD:
        raise StudyError("只能为已举行的活动登记出勤" if session.status == PLANNED else "该活动已撤销，不能登记出勤")
    if not marks:
        raise StudyError("请至少登记一人的出勤情况")
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(list(marks))))}
    allowed = set(db.session.scalars(select(Person.id).where(Person.id.in_(list(marks)), attendee_filter(session))))
    for pid, (status, reason) in marks.items():
        person = people.get(pid)
        if person is None:
            raise StudyError("所选人员不存在，请刷新后重试")
        if pid not in allowed:
            raise StudyError(outside_message(session, person))
        if status not in ATTENDANCE_STATUSES:
            raise StudyError(f"出勤情况应为：{'、'.join(ATTENDANCE_STATUSES)}")
        if status == ABSENT and not (reason or "").strip():
            raise StudyError(f"{person.name}缺席，请填写缺席原因")
    existing = {a.person_id: a for a in db.session.scalars(lock_rows(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.person_id.in_(list(marks)))
        .order_by(Attendance.id)))}
    changed = 0
    for pid, (status, reason) in marks.items():
        reason = (reason or "").strip()[:200] if status != PRESENT else ""
        row = existing.get(pid)
        if row is None:
            db.session.add(Attendance(session_id=session.id, person_id=pid, department_id=people[pid].department_id,
                                      status=status, reason=reason, recorded_by_id=getattr(user, "id", None)))
        elif row.status == status and row.reason == reason:
            continue
        else:
            row.status, row.reason, row.recorded_by_id, row.recorded_at = status, reason, getattr(user, "id", None), now()
        changed += 1
    db.session.flush()
    if changed:
        sync_credits(session, user)
        audit.record("law_study.attendance", "law_study_session", session.id,
                     summary=f"登记学法活动 {session.code} 出勤 {changed} 人", department_id=session.department_id)
    return changed


def _day_minutes(person_ids, day: date, exclude_session: int | None = None) -> dict[int, int]:
    """Live minutes per person on ``day`` (other sessions and claims)."""
    stmt = (select(HoursEntry.person_id, func.sum(HoursEntry.minutes))
            .where(HoursEntry.person_id.in_(person_ids), HoursEntry.day == day, HoursEntry.state.in_(LIVE))
            .group_by(HoursEntry.person_id))
    if exclude_session is not None:
        stmt = stmt.where((HoursEntry.session_id.is_(None)) | (HoursEntry.session_id != exclude_session))
    return {pid: int(m or 0) for pid, m in db.session.execute(stmt)}


def sync_credits(session: StudySession, user) -> None:
    """Make the session's ledger entries match its attendance: one approved entry per person present
    at a held session (its duration, within the day cap), void otherwise. Locked entries stay."""
    rows = list(db.session.scalars(select(Attendance).where(Attendance.session_id == session.id)))
    if not rows:
        return
    entries = {e.attendance_id: e for e in db.session.scalars(lock_rows(
        select(HoursEntry).where(HoursEntry.session_id == session.id).order_by(HoursEntry.id)))}
    day_cap = int(settings.get("day_cap_hours")) * 60
    used = _day_minutes([a.person_id for a in rows], session.held_on, exclude_session=session.id)
    stamp, uid = now(), getattr(user, "id", None)
    for a in rows:
        entry = entries.get(a.id)
        if entry is not None and entry.state == LOCKED:
            continue
        credit = min(session.duration_minutes, max(day_cap - used.get(a.person_id, 0), 0))
        wanted = session.status == HELD and a.status == PRESENT and credit > 0
        if not wanted:
            if entry is not None and entry.state != VOID:
                entry.state = VOID
            continue
        if entry is None:
            db.session.add(HoursEntry(person_id=a.person_id, department_id=a.department_id, year=session.year,
                                      day=session.held_on, source=MEETING, minutes=credit,
                                      law="".join(law.name for law in session.laws)[:100],
                                      evidence=f"学法活动 {session.code}", session_id=session.id, attendance_id=a.id,
                                      state=APPROVED, created_by_id=uid, reviewed_by_id=uid, reviewed_at=stamp))
        else:
            entry.state, entry.minutes, entry.day, entry.year = APPROVED, credit, session.held_on, session.year
    db.session.flush()


# --- self-study and other claims -------------------------------------------------------------------

CLAIM_SOURCES = (SELF_STUDY, EXTERNAL)
CAP_KEYS = {SELF_STUDY: "self_study_cap_hours", EXTERNAL: "external_cap_hours", EXAM: "exam_cap_hours"}


def log_claim(person: Person, *, source: str, day: date, law: str, hours: float, evidence: str, user,
              today: date | None = None) -> tuple[HoursEntry, bool]:
    """A civil servant's own claim (自学 or 外部培训), state 自报. Returns (entry, law not in the list)."""
    today = today or date.today()
    lock(person, check=False)  # one person's claims take turns, so two cannot both pass a cap
    if source not in CLAIM_SOURCES:
        raise StudyError(f"学时来源应为：{'、'.join(CLAIM_SOURCES)}")
    if day is None:
        raise StudyError("请填写学习日期")
    if day > today:
        raise StudyError("不能登记未来日期的学习")
    require_open_year(day.year)
    law = settings.normalise_law(law)
    if source == SELF_STUDY and not law:
        raise StudyError("请填写所学法律")
    minutes = round((hours or 0) * 60)
    day_cap = int(settings.get("day_cap_hours"))
    if minutes < 30 or minutes % 30:
        raise StudyError("学时应为0.5的整数倍，且至少0.5学时")
    if minutes > day_cap * 60:
        raise StudyError(f"每天最多计入{day_cap}学时")
    live = HoursEntry.state.in_(LIVE)
    if source == SELF_STUDY and db.session.scalar(select(func.count()).select_from(HoursEntry).where(
            HoursEntry.person_id == person.id, HoursEntry.day == day, HoursEntry.source == SELF_STUDY,
            HoursEntry.law == law, live)):
        raise StudyError(f"{day.isoformat()} 学习{law}的自学学时已登记过，不能重复登记")
    used_day = _day_minutes([person.id], day).get(person.id, 0)
    if used_day + minutes > day_cap * 60:
        raise StudyError(f"{day.isoformat()} 已计入{fmt_hours(used_day)}学时，每天最多计入{day_cap}学时")
    cap = int(settings.get(CAP_KEYS[source]) or 0)
    if cap:
        used = db.session.scalar(select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
            HoursEntry.person_id == person.id, HoursEntry.year == day.year, HoursEntry.source == source, live))
        if used + minutes > cap * 60:
            raise StudyError(f"{source}学时每年最多计入{cap}学时，{day.year}年已登记{fmt_hours(used)}学时，"
                             f"本次最多还能登记{fmt_hours(max(cap * 60 - used, 0))}学时")
    entry = HoursEntry(person_id=person.id, department_id=person.department_id, year=day.year, day=day,
                       source=source, minutes=minutes, law=law, evidence=(evidence or "").strip()[:500],
                       state=REPORTED, created_by_id=getattr(user, "id", None))
    db.session.add(entry)
    db.session.flush()
    audit.record("law_study.claim", "law_study_hours", entry.id,
                 summary=f"{person.name}登记{source}{fmt_hours(minutes)}学时（{day.isoformat()} {law}）",
                 after={"source": source, "day": day.isoformat(), "law": law, "minutes": minutes},
                 department_id=person.department_id)
    return entry, bool(law) and law not in settings.known_laws()


def _review(entry: HoursEntry, user, state: str, reason: str = "") -> HoursEntry:
    entry = lock(entry)
    if entry.state != REPORTED:
        raise StudyError(f"该学时记录状态为{entry.state}，不能再审核")
    require_open_year(entry.year)
    if getattr(user, "person_id", None) == entry.person_id:
        raise StudyError("不能审核本人登记的学时")
    entry.state, entry.return_reason = state, reason
    entry.reviewed_by_id, entry.reviewed_at = getattr(user, "id", None), now()
    audit.record("law_study.approve" if state == APPROVED else "law_study.return", "law_study_hours", entry.id,
                 summary=f"{'审核通过' if state == APPROVED else '退回'}{entry.source}{fmt_hours(entry.minutes)}学时"
                         + (f"：{reason}" if reason else ""),
                 before={"state": REPORTED}, after={"state": state, "reason": reason}, department_id=entry.department_id)
    return entry


def approve(entry: HoursEntry, user) -> HoursEntry:
    return _review(entry, user, APPROVED)


def return_entry(entry: HoursEntry, reason: str, user) -> HoursEntry:
    reason = (reason or "").strip()
    if not reason:
        raise StudyError("退回时请填写原因")
    return _review(entry, user, RETURNED, reason[:200])


# --- closing a year --------------------------------------------------------------------------------

def close_year(year: int, user, today: date | None = None) -> YearClosing:
    """The 司法局 closes ``year``: its approved entries become 已锁定 and nothing of that year changes."""
    today = today or date.today()
    if year > today.year:
        raise StudyError(f"{year}年度尚未开始，不能锁定")
    write_lock()
    if db.session.scalar(lock_rows(select(YearClosing).where(YearClosing.year == year))) is not None:
        raise StudyError(f"{year}年度已经锁定")
    from .exam_credits import sync
    sync(year, None, user)  # exams passed that year are credited before the ledger locks
    closing = YearClosing(year=year, closed_by_id=getattr(user, "id", None))
    db.session.add(closing)
    db.session.flush()
    result = db.session.execute(update(HoursEntry).where(HoursEntry.year == year, HoursEntry.state == APPROVED)
                                .values(state=LOCKED).execution_options(synchronize_session=False))
    closing.entries_locked = result.rowcount or 0
    pending = db.session.scalar(select(func.count()).select_from(HoursEntry).where(
        HoursEntry.year == year, HoursEntry.state == REPORTED))
    audit.record("law_study.close_year", "law_study_year_closing", closing.id,
                 summary=f"锁定{year}年度学时台账：锁定{closing.entries_locked}条，未审核{pending}条不再计入",
                 after={"year": year, "locked": closing.entries_locked, "pending": pending})
    return closing


# --- figures for one person ----------------------------------------------------------------------------

def person_minutes(person_id: int, year: int) -> dict[str, int]:
    """Credited minutes by source for one person and year."""
    rows = db.session.execute(select(HoursEntry.source, func.sum(HoursEntry.minutes)).where(
        HoursEntry.person_id == person_id, HoursEntry.year == year, HoursEntry.state.in_(CREDITED))
        .group_by(HoursEntry.source))
    return {source: int(m or 0) for source, m in rows}


def cap_minutes() -> dict[str, int]:
    """Each capped source's yearly cap in minutes (0: no cap)."""
    return {source: int(settings.get(key) or 0) * 60 for source, key in CAP_KEYS.items()}


def credited_minutes(by_source: dict[str, int]) -> int:
    """Total credited minutes with the source caps applied (self-study beyond the cap does not count)."""
    caps = cap_minutes()
    total = 0
    for source, minutes in by_source.items():
        cap = caps.get(source) or 0
        total += min(minutes, cap) if cap else minutes
    return total
