"""The rules of registration, exemptions and results. Views, imports and online papers call these.

Every function validates first and raises ExamError (a Chinese message) before it changes anything.
Each locks the rows it changes first (intranet.locking): the exam for new registrations, the
candidate's registration for exemptions, results and online papers, else the row itself, so a
repeated or concurrent request is refused (StateChanged or ExamError) and changes nothing.
"""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, or_, select

from intranet import audit, counts
from intranet.access import in_scope, scoped
from intranet.extensions import db
from intranet.locking import StateChanged, lock, lock_rows, share_rows
from intranet.models import Person

from .models import EXEMPTION_REASONS, RESULT_STATUSES, Exam, ExamResult, Exemption, Paper, Registration


class ExamError(ValueError):
    """A refused action; the message is shown to the user."""


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


# --- who may do what -------------------------------------------------------------------------

def can_manage(exam: Exam, user) -> bool:
    """Results, blueprint, approvals: the 司法局 (in scope) or the organiser's own administrator."""
    if user.role in ("admin", "bureau"):
        return user.sees_everything or (exam.organiser_id is not None and in_scope(exam.organiser_id, user))
    return user.role == "dept_admin" and exam.organiser_id is not None and user.department_id == exam.organiser_id


def score_error(exam: Exam, status: str, score) -> str:
    """Why a status/score pair is refused for ``exam`` ("" when it is fine)."""
    if status not in RESULT_STATUSES:
        return f"参考状态应为：{'、'.join(RESULT_STATUSES)}"
    if status == "参考":
        if score is None:
            return "参考人员必须填写成绩"
        if score < 0:
            return "成绩不能为负数"
        if score > exam.full_mark:
            return f"成绩 {_fmt(score)} 超过满分 {_fmt(exam.full_mark)}"
    elif score is not None:
        return f"{status}人员不应填写成绩"
    return ""


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- who must sit ---------------------------------------------------------------------------

def audience_filter(exam: Exam):
    """A condition on Person selecting who must sit ``exam`` (in-post people only)."""
    cond = Person.status == "在岗"
    if exam.audience == "subtree" and exam.audience_department is not None:
        return and_(cond, exam.audience_department.subtree_filter(Person.department_id))
    if exam.audience == "enforcement":
        return and_(cond, Person.enforcement_post.is_(True))
    return cond


def in_audience(exam: Exam, person: Person) -> bool:
    stmt = select(func.count()).select_from(Person).where(Person.id == person.id, audience_filter(exam))
    return bool(db.session.scalar(stmt))


def audience_exams(exams, person: Person) -> list[Exam]:
    """Those of ``exams`` that ``person`` must sit: :func:`audience_filter`'s rule on the loaded
    rows, so a list of offers costs no query per exam (load ``Exam.audience_department`` with them)."""
    if person.status != "在岗":
        return []
    return [exam for exam in exams
            if audience_admits(exam.audience, exam.audience_department and exam.audience_department.path, person)]


def audience_admits(audience: str, audience_path: str | None, person: Person) -> bool:
    """:func:`audience_filter`'s rule for one exam but the in-post condition, which callers check
    once for their whole list: given the exam's audience and the path of its audience department
    (None if it has none), for lists read as plain rows."""
    if audience == "subtree" and audience_path is not None:
        return person.department.path.startswith(audience_path)
    return audience != "enforcement" or bool(person.enforcement_post)


# --- registration ------------------------------------------------------------------------------

def register(exam: Exam, people: list[Person], status: str, user, *, self_registered: bool = False) -> int:
    """Enter ``people`` for ``exam`` as 预报名 or 已报名. Returns how many changed.

    Already registered people move forward only (预报名 → 已报名); a cancelled registration is revived.
    """
    if status not in ("预报名", "已报名"):
        raise ExamError("报名状态应为预报名或已报名")
    lock(exam, check=False)  # registrations for one exam take turns: one per person and exam
    if not exam.active:
        raise ExamError("该考试已撤销，不能报名")
    if not people:
        raise ExamError("请至少选择一名人员")
    for person in people:
        if person.status != "在岗":
            raise ExamError(f"{person.name} 不在岗（{person.status}），不能报名")
    existing = {r.person_id: r for r in db.session.scalars(lock_rows(
        select(Registration).where(Registration.exam_id == exam.id,
                                   Registration.person_id.in_([p.id for p in people])).order_by(Registration.id)))}
    stamp = now()
    changed = []
    for person in people:
        reg = existing.get(person.id)
        if reg is None:
            reg = Registration(exam_id=exam.id, person_id=person.id, department_id=person.department_id,
                               status=status, registered_by_id=getattr(user, "id", None),
                               self_registered=self_registered)
            db.session.add(reg)
        elif reg.status == "已报名" or (reg.status == status):
            continue
        else:
            reg.status = status
            reg.department_id = person.department_id
            reg.registered_by_id = getattr(user, "id", None)
        if status == "预报名":
            reg.preregistered_at = reg.preregistered_at or stamp
        else:
            reg.registered_at = stamp
        changed.append(person)
    if changed:
        db.session.flush()
        audit.record("register", "exams_exam", exam.id,
                     summary=f"{exam.code} {status} {len(changed)} 人", department_id=exam.organiser_id,
                     after={"status": status, "people": [p.id for p in changed]})
    return len(changed)


def confirm(exam: Exam, registrations: list[Registration], user) -> int:
    """预报名 → 已报名 (refused for a withdrawn exam)."""
    lock(exam, check=False)
    if not exam.active:
        raise ExamError("该考试已撤销，不能确认报名")
    for reg in sorted(registrations, key=lambda r: r.id):  # confirmed meanwhile: StateChanged
        lock(reg)
    todo = [r for r in registrations if r.status == "预报名"]
    if not todo:
        raise ExamError("所选人员中没有待确认的预报名")
    stamp = now()
    for reg in todo:
        reg.status = "已报名"
        reg.registered_at = stamp
        reg.registered_by_id = getattr(user, "id", None)
    audit.record("confirm", "exams_exam", exam.id, summary=f"{exam.code} 确认报名 {len(todo)} 人",
                 department_id=exam.organiser_id, after={"people": [r.person_id for r in todo]})
    return len(todo)


def cancel(registration: Registration, user, reason: str = "") -> None:
    lock(registration)
    if registration.status == "已取消":
        raise ExamError("该报名已取消")
    has_result = db.session.scalar(select(func.count()).select_from(ExamResult).where(
        ExamResult.exam_id == registration.exam_id, ExamResult.person_id == registration.person_id))
    has_paper = db.session.scalar(select(func.count()).select_from(Paper).where(
        Paper.exam_id == registration.exam_id, Paper.person_id == registration.person_id))
    if has_result or has_paper:
        raise ExamError("该人员已参加考试或已有成绩，不能取消报名")
    before = registration.status
    registration.status = "已取消"
    audit.record("cancel", "exams_registration", registration.id, reason=reason,
                 summary=f"取消报名：{registration.person.name}", department_id=registration.department_id,
                 before={"status": before}, after={"status": "已取消"})


def share_exam(exam_id: int) -> Exam | None:
    """Share-lock the exam and re-read it (its ``active`` and times as committed), so withdrawing
    or editing it waits for results and papers in progress, and they see a withdrawal that
    committed first. Take it before the registration (lock order: exam, registration, paper)."""
    return db.session.scalar(share_rows(select(Exam).where(Exam.id == exam_id)))


def registration_of(exam: Exam, person: Person, *, for_update: bool = False) -> Registration | None:
    """The person's registration; with ``for_update``, locked and re-read (serialises the candidate's
    exemption requests, results and online papers for this exam)."""
    stmt = select(Registration).where(Registration.exam_id == exam.id, Registration.person_id == person.id)
    return db.session.scalar(lock_rows(stmt) if for_update else stmt)


# --- exemptions --------------------------------------------------------------------------------

def request_exemption(exam: Exam, person: Person, reason: str, note: str, user) -> Exemption:
    if reason not in EXEMPTION_REASONS:
        raise ExamError(f"免考理由应为：{'、'.join(EXEMPTION_REASONS)}")
    reg = registration_of(exam, person, for_update=True)
    if reg is None or reg.status == "已取消":
        raise ExamError(f"{person.name} 未报名此考试，不能申请免考")
    if attempts_of(exam.id, person.id):
        raise ExamError(f"{person.name} 已有考试成绩，不能再申请免考")
    if reason == "其他" and not note.strip():
        raise ExamError("免考理由为“其他”时请填写说明")
    if reason == "法律职业资格" and not person.legal_qualification:
        raise ExamError(f"人员档案中 {person.name} 未登记法律职业资格，请先更新人员信息")
    open_one = db.session.scalar(select(Exemption).where(
        Exemption.exam_id == exam.id, Exemption.person_id == person.id, Exemption.status.in_(["待审批", "已批准"])))
    if open_one is not None:
        raise ExamError(f"{person.name} 已有{open_one.status}的免考申请")
    exemption = Exemption(exam_id=exam.id, person_id=person.id, department_id=reg.department_id,
                          reason=reason, note=note.strip(), requested_by_id=getattr(user, "id", None),
                          requested_at=now())
    db.session.add(exemption)
    db.session.flush()
    audit.record("request", "exams_exemption", exemption.id, summary=f"{person.name} 申请免考：{reason}",
                 department_id=reg.department_id, after={"exam": exam.id, "reason": reason, "note": exemption.note})
    return exemption


def decide_exemption(exemption: Exemption, approve: bool, note: str, user) -> None:
    lock(exemption)
    if not can_manage(exemption.exam, user):
        raise ExamError("只有司法局或考试组织单位可以审批免考申请")
    if exemption.status != "待审批":
        raise ExamError(f"该申请已{exemption.status[1:] if exemption.status.startswith('已') else exemption.status}，不能重复审批")
    if approve:
        has_sat = db.session.scalar(select(func.count()).select_from(ExamResult).where(
            ExamResult.exam_id == exemption.exam_id, ExamResult.person_id == exemption.person_id,
            ExamResult.status == "参考"))
        if has_sat:
            raise ExamError("该人员已参加考试，不能再批准免考")
    exemption.status = "已批准" if approve else "已驳回"
    exemption.decided_by_id = getattr(user, "id", None)
    exemption.decided_at = now()
    exemption.decision_note = note.strip()
    audit.record("approve" if approve else "reject", "exams_exemption", exemption.id,
                 summary=f"{exemption.person.name} 免考申请{exemption.status}", reason=note,
                 department_id=exemption.department_id, before={"status": "待审批"}, after={"status": exemption.status})


def approved_exemption(exam_id: int, person_id: int) -> Exemption | None:
    return db.session.scalar(select(Exemption).where(
        Exemption.exam_id == exam_id, Exemption.person_id == person_id, Exemption.status == "已批准"))


def pending_exemptions(scope, exam_id: int | None = None) -> int:
    """待审批 exemptions in ``scope`` (an ``intranet.access.statement_scope``), of one exam or of all;
    kept while no exemption is written (intranet.counts)."""
    stmt = _pending_exemptions_stmt(scope, exam_id is not None)
    values = {"exam_id": exam_id} if exam_id is not None else None
    return counts.remember(stmt, lambda: db.session.scalar(stmt, values), params=values)


@functools.lru_cache(maxsize=256)   # built once per scope, the exam bound per call
def _pending_exemptions_stmt(scope, one_exam: bool):
    stmt = select(func.count()).select_from(Exemption).where(Exemption.status == "待审批")
    if one_exam:
        stmt = stmt.where(Exemption.exam_id == bindparam("exam_id"))
    return scoped(stmt, Exemption.department_id, scope)


# --- results -------------------------------------------------------------------------------------

def attempts_of(exam_id: int, person_id: int) -> list[ExamResult]:
    stmt = select(ExamResult).where(ExamResult.exam_id == exam_id, ExamResult.person_id == person_id)
    return list(db.session.scalars(stmt.order_by(ExamResult.attempt).execution_options(populate_existing=True)))


def record_result(exam: Exam, person: Person, status: str, score, user, *, resit: bool = False,
                  source: str = "录入", paper=None) -> ExamResult:
    """Record (or correct) a person's result. A resit adds the next attempt, up to ``max_attempts``."""
    share_exam(exam.id)  # a withdrawal committed meanwhile is seen; one in progress waits for us
    if not exam.active:
        raise ExamError("该考试已撤销，不能录入成绩")
    if score is not None:
        score = round(float(score), 1)
    error = score_error(exam, status, score)
    if error:
        raise ExamError(error)
    reg = registration_of(exam, person, for_update=True)
    if reg is None or reg.status != "已报名":
        state = "未报名此考试" if reg is None or reg.status == "已取消" else "仅预报名、尚未确认报名"
        raise ExamError(f"{person.name} {state}，不能录入成绩")
    if status == "参考" and approved_exemption(exam.id, person.id) is not None:
        raise ExamError(f"{person.name} 已批准免考，不能录入参考成绩")
    attempts = attempts_of(exam.id, person.id)
    last = attempts[-1] if attempts else None
    if resit or (last is None) or (source == "在线"):
        if last is not None:
            if any(a.passed for a in attempts):
                raise ExamError(f"{person.name} 已考试合格，无需补考")
            if len(attempts) >= exam.max_attempts:
                raise ExamError(f"{person.name} 已考 {len(attempts)} 次，达到本考试允许的次数上限")
        result = ExamResult(exam_id=exam.id, person_id=person.id, department_id=reg.department_id,
                            attempt=(last.attempt + 1) if last else 1)
        db.session.add(result)
        before = None
    else:
        if last.source == "在线":
            raise ExamError("在线考试成绩由系统评分，不能手工修改")
        result, before = last, last.audit_state()
        if (last.status, last.score) == (status, score):  # e.g. the same entry twice: nothing to correct
            raise StateChanged()
    result.status, result.score = status, score
    result.passed = status == "参考" and score >= exam.pass_mark
    result.source = source
    result.paper_id = paper.id if paper is not None else result.paper_id
    result.recorded_by_id = getattr(user, "id", None)
    result.recorded_at = now()
    if status == "免考":
        _exempt_by_result(exam, person, reg, user)
    db.session.flush()
    audit.record("record" if before is None else "correct", "exams_result", result.id,
                 summary=f"{exam.code} {person.name} 第{result.attempt}次：{status}"
                         + (f" {_fmt(score)}分" if score is not None else ""),
                 department_id=reg.department_id, before=before, after=result.audit_state())
    return result


def _exempt_by_result(exam: Exam, person: Person, reg: Registration, user) -> None:
    """A 免考 result stands for an approved exemption (figures count exemptions)."""
    if approved_exemption(exam.id, person.id) is not None:
        return
    reason = "法律职业资格" if person.legal_qualification else "其他"
    db.session.add(Exemption(exam_id=exam.id, person_id=person.id, department_id=reg.department_id,
                             reason=reason, note="录入成绩时标记免考", status="已批准",
                             requested_by_id=getattr(user, "id", None), requested_at=now(),
                             decided_by_id=getattr(user, "id", None), decided_at=now()))


def best_result_columns():
    """A person's best score, whether any attempt passed or was sat or exempt (0/1), and the
    number of attempts, aggregated over their ExamResult rows (none, after an outer join: 0)."""
    return (func.max(ExamResult.score).label("best_score"),
            func.max(case((ExamResult.passed.is_(True), 1), else_=0)).label("passed"),
            func.max(case((ExamResult.status == "参考", 1), else_=0)).label("sat"),
            func.max(case((ExamResult.status == "免考", 1), else_=0)).label("exempt"),
            func.count(ExamResult.id).label("attempts"))


@functools.cache   # a statement is immutable: callers' .where() and .subquery() make new ones
def best_results_stmt():
    """Per (exam, person): the best score and whether any attempt passed (the best attempt counts)."""
    return (select(ExamResult.exam_id, ExamResult.person_id, *best_result_columns())
            .group_by(ExamResult.exam_id, ExamResult.person_id))


def outcome(passed, sat, exempt, attempts) -> str:
    """The result column of a registration: 合格, 不合格 (sat and failed, even if later absent), 免考, 缺考."""
    if not attempts:
        return ""
    if passed:
        return "合格"
    if sat:
        return "不合格"
    return "免考" if exempt else "缺考"


def exam_scope_departments(user):
    """Departments whose registrations ``user`` may see (None: all)."""
    from intranet.access import scope_filter
    return scope_filter(Registration.department_id, user)


def open_exams_stmt(at: datetime):
    """Active exams that are running or still to come."""
    return select(Exam).where(Exam.active.is_(True), or_(
        and_(Exam.closes_at.is_not(None), Exam.closes_at > at),
        and_(Exam.closes_at.is_(None), Exam.exam_date.is_not(None), Exam.exam_date >= at.date()),
    ))


@functools.cache
def open_exams_cond():
    """:func:`open_exams_stmt`'s condition for prebuilt statements (built once, values bound per
    call): execute them with :func:`open_params`."""
    return and_(Exam.active.is_(True), or_(
        and_(Exam.closes_at.is_not(None), Exam.closes_at > bindparam("open_at")),
        and_(Exam.closes_at.is_(None), Exam.exam_date.is_not(None), Exam.exam_date >= bindparam("open_day")),
    ))


def open_params(at: datetime) -> dict:
    return {"open_at": at, "open_day": at.date()}

