"""Dashboard widgets and the person section (学法档案: exams taken)."""
from __future__ import annotations

import functools

from flask import url_for
from sqlalchemy import bindparam, func, select

from intranet.access import statement_scope
from intranet.extensions import db
from intranet.hookspecs import PersonSection, Widget
from intranet.models import Department

from .models import Exam, ExamResult, Exemption, Registration, exam_title
from .person_results import LIMIT, person_results
from .service import audience_admits, now, open_exams_cond, open_params, pending_exemptions


def dashboard_widgets(user) -> list[Widget]:
    widgets = []
    if user.role in ("admin", "bureau", "dept_admin", "inspector"):
        widgets.append(_open_exams(user))
    if user.person_id is not None:
        widgets.append(_my_pending(user))
    return widgets


# Prebuilt statements: built once, the person and the time bound per call (open_params).

@functools.cache
def _open_list_stmt():
    return select(Exam).where(open_exams_cond()).order_by(Exam.exam_date, Exam.closes_at).limit(6)


@functools.cache
def _open_total_stmt():
    return select(func.count()).select_from(select(Exam).where(open_exams_cond()).subquery())


def _open_exams(user) -> Widget:
    params = open_params(now())
    exams = list(db.session.scalars(_open_list_stmt(), params))
    # fewer than 6 exams listed are all of them
    found = {"total": db.session.scalar(_open_total_stmt(), params) if len(exams) == 6 else len(exams)}
    if user.role in ("admin", "bureau"):
        found["exemptions"] = pending_exemptions(statement_scope(user))
    figures = [("进行中或即将举行的考试", found["total"])]
    if "exemptions" in found:
        figures.append(("待审批免考申请", found["exemptions"]))
    links = [(f"{e.title}（{e.when}）", url_for("exams.detail", exam_id=e.id)) for e in exams[:5]]
    links.append(("全部考试", url_for("exams.index")))
    return Widget(plugin="exams", title="考试", order=40, figures=figures, links=links)


@functools.cache
def _pending_stmts():
    """(count, first five) of the exams a person is registered for, neither passed nor exempt, open."""
    person = bindparam("person_id")
    done = select(ExamResult.exam_id).where(ExamResult.person_id == person, ExamResult.passed.is_(True))
    exempt = select(Exemption.exam_id).where(Exemption.person_id == person, Exemption.status == "已批准")
    open_ids = select(Exam).where(open_exams_cond()).with_only_columns(Exam.id)
    stmt = (select(Exam).join(Registration, Registration.exam_id == Exam.id)
            .where(Registration.person_id == person, Registration.status == "已报名",
                   Exam.id.in_(open_ids), Exam.id.not_in(done), Exam.id.not_in(exempt))
            .order_by(Exam.exam_date, Exam.closes_at, Exam.id))
    return select(func.count()).select_from(stmt.with_only_columns(Exam.id).subquery()), stmt.limit(5)


def _my_pending(user) -> Widget:
    """Exams the user is registered for, neither passed nor exempt, still running or to come."""
    at = now()
    params = {"person_id": user.person_id, **open_params(at)}
    counting, listing = _pending_stmts()
    total = db.session.scalar(counting, params)
    exams = list(db.session.scalars(listing, params))  # the first five are listed; the figure counts all
    links = [(f"{e.title}（{e.when}）" + ("，可在线作答" if e.is_open(at) else ""), url_for("exams.mine"))
             for e in exams]
    links.append(("我的考试", url_for("exams.mine")))
    return Widget(plugin="exams", title="我的待考", order=41, figures=[("待考", total)], links=links)


def person_sections(person, viewer) -> list[PersonSection]:
    rows = person_results(person.id)[:LIMIT]
    table = [[exam.title, exam.kind, exam.exam_date or (exam.opens_at.date() if exam.opens_at else ""),
              f"第{r.attempt}次", r.status, "" if r.score is None else f"{r.score:g}",
              ("合格" if r.passed else "不合格") if r.status == "参考" else ""] for exam, r in rows]
    passed = len({exam.id for exam, r in rows if r.passed})
    sat = len({exam.id for exam, r in rows if r.status == "参考"})
    return [PersonSection(plugin="exams", title="考试", order=40,
                          figures=[("参加考试", sat), ("考试合格", passed)],
                          columns=["考试", "类型", "日期", "次数", "参考状态", "成绩", "结果"], rows=table,
                          empty_text="暂无考试记录", links=registration_links(person, viewer))]


def registration_links(person, viewer, limit: int = 5) -> list[tuple[str, str]]:
    """报名 for the coming exams ``person`` must sit and is not entered for, offered to whoever may
    register them (their unit's admin or the bureau, with write access)."""
    from intranet.access import MANAGE_ROLES, in_scope
    if (viewer.role not in MANAGE_ROLES or not viewer.can_write or person.status != "在岗"
            or not in_scope(person.department_id, user=viewer)):
        return []
    offers = db.session.execute(_offers_stmt(), {"person_id": person.id, **open_params(now())})
    found = [e for e in offers if audience_admits(e.audience, e.audience_path, person)][:limit]   # 在岗: above
    return [(f"报名：{exam_title(e.name, e.part)}", url_for("exams.register", exam_id=e.id, q=person.name)) for e in found]


@functools.cache
def _offers_stmt():
    """The open exams ``person_id`` is not entered for, as plain rows (no Exam objects to load)."""
    entered = select(Registration.exam_id).where(Registration.person_id == bindparam("person_id"),
                                                 Registration.status != "已取消")
    return (select(Exam.id, Exam.name, Exam.part, Exam.audience, Department.path.label("audience_path"))
            .outerjoin(Department, Department.id == Exam.audience_department_id)
            .where(open_exams_cond(), Exam.id.not_in(entered))
            .order_by(Exam.exam_date, Exam.opens_at, Exam.id).limit(20))
