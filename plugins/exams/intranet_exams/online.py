"""Online exams: draw a paper, save answers as the candidate goes, grade at submit or time-out.

The deadline lives in the database. Every save and the submit check it; a paper past its
deadline is graded with the answers saved before it, lazily on the next request that touches it
or by ``intranet exams close-expired``.

Every action on a paper first share-locks its exam, then locks the candidate's registration and
then the paper (intranet.locking; always in that order, so two requests never deadlock):
simultaneous saves, submits and time-outs take turns, only the first grades the paper, and a
withdrawal of the exam waits for them (and they see a withdrawal that committed first).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from intranet import audit
from intranet.extensions import db
from intranet.locking import lock as lock_row
from intranet.locking import lock_rows

from . import service, similarity
from .models import (LETTERS, QUESTION_TYPES, TRUE_FALSE_OPTIONS, Exam, Paper, PaperAnswer,
                     PaperBlueprint, Question, Registration)
from .service import ExamError, now, share_exam

_random = random.SystemRandom()


class PaperClosed(ExamError):
    """The paper no longer takes answers (submitted or past its deadline)."""


def blueprint_of(exam: Exam) -> PaperBlueprint | None:
    return db.session.scalar(select(PaperBlueprint).where(PaperBlueprint.exam_id == exam.id))


def open_paper(exam: Exam, person_id: int) -> Paper | None:
    return db.session.scalar(select(Paper).where(Paper.exam_id == exam.id, Paper.person_id == person_id,
                                                 Paper.submitted_at.is_(None)))


def start(exam: Exam, person, user, at: datetime | None = None) -> Paper:
    """Resume the candidate's open paper, or draw a new one if they may sit now."""
    at = at or now()
    share_exam(exam.id)  # re-read: withdrawn or closed meanwhile is refused below
    reg = service.registration_of(exam, person, for_update=True)  # one paper per attempt
    paper = open_paper(exam, person.id)
    if paper is not None and close_if_expired(paper, at):
        paper = None
    if paper is not None:
        return paper
    if not exam.online:
        raise ExamError("该考试为线下考试，不能在线作答")
    if not exam.is_open(at):
        raise ExamError("该考试当前不在开放时间内")
    if reg is None or reg.status != "已报名":
        raise ExamError("您尚未报名此考试（或报名尚未确认），不能参加考试")
    if service.approved_exemption(exam.id, person.id) is not None:
        raise ExamError("您已获准免考此考试")
    attempts = service.attempts_of(exam.id, person.id)
    if any(a.passed for a in attempts):
        raise ExamError("您已通过此考试，无需再考")
    if len(attempts) >= exam.max_attempts:
        raise ExamError(f"您已考 {len(attempts)} 次，达到本考试允许的次数上限")
    blueprint = blueprint_of(exam)
    if blueprint is None or not blueprint.rules:
        raise ExamError("该考试尚未设置组卷规则，请联系考试组织单位")
    earlier = [qid for p in db.session.scalars(select(Paper).where(Paper.exam_id == exam.id,
                                                                   Paper.person_id == person.id))
               for qid in p.question_ids]
    ids, points = draw(blueprint, earlier)
    deadline = at + timedelta(minutes=blueprint.time_limit_minutes)
    if exam.closes_at and exam.closes_at < deadline:
        deadline = exam.closes_at
    paper = Paper(exam_id=exam.id, person_id=person.id, user_id=getattr(user, "id", None),
                  attempt=(attempts[-1].attempt + 1) if attempts else 1, question_ids=ids, points=points,
                  started_at=at, deadline=deadline)
    db.session.add(paper)
    db.session.flush()
    db.session.execute(insert(PaperAnswer), [
        {"paper_id": paper.id, "question_id": qid, "answer": "", "revision": 0, "updated_at": at} for qid in ids])
    audit.record("start", "exams_paper", paper.id, summary=f"{exam.code} {person.name} 开始第{paper.attempt}次在线考试",
                 department_id=reg.department_id, after={"questions": len(ids), "deadline": deadline.isoformat()})
    return paper


def draw(blueprint: PaperBlueprint, earlier: list[int] | None = None) -> tuple[list[int], list[float]]:
    """Random questions by the blueprint's rules, grouped by type (单选, 多选, 判断), shuffled within.

    A paper never holds two near-duplicates (the same fact in another wording or type, see
    similarity.py). ``earlier``: the questions of the candidate's earlier attempts; a resit takes
    questions sharing no fact with them first, and repeats only as many as the bank forces.
    """
    earlier = set(earlier or [])
    earlier_facts: set = set()
    if earlier:
        for q in db.session.scalars(select(Question).where(Question.id.in_(list(earlier)))):
            earlier_facts |= similarity.facts_of(q)
    chosen: dict[int, float] = {}
    types: dict[int, str] = {}
    taken: set = set()
    for rule in blueprint.rules:
        stmt = select(Question).where(Question.retired.is_(False), Question.qtype == rule.qtype)
        if rule.law:
            stmt = stmt.where(Question.law == rule.law)
        pool = [(q.id, similarity.facts_of(q)) for q in db.session.scalars(stmt.order_by(Question.id))
                if q.id not in chosen]
        fresh = [p for p in pool if p[0] not in earlier and not (p[1] & earlier_facts)]
        seen = [p for p in pool if p[0] not in earlier and (p[1] & earlier_facts)]
        again = [p for p in pool if p[0] in earlier]
        picked = []
        for group in (fresh, seen, again):
            _random.shuffle(group)
            for qid, fs in group:
                if len(picked) == rule.count:
                    break
                if fs & taken:
                    continue  # a near-duplicate of a question already on the paper
                picked.append(qid)
                taken |= fs
        if len(picked) < rule.count:
            distinct = len(picked)
            raise ExamError(f"题库中可用的{rule.law}{rule.qtype}题（去除重复题后）只有 {distinct} 道，"
                            f"不足 {rule.count} 道，无法组卷")
        for qid in picked:
            chosen[qid] = rule.points
            types[qid] = rule.qtype
    ids = list(chosen)
    _random.shuffle(ids)
    ids.sort(key=lambda qid: QUESTION_TYPES.index(types[qid]))
    return ids, [chosen[qid] for qid in ids]


def may_sit_again(paper: Paper) -> bool:
    """The candidate could still take another attempt of this exam (not passed, attempts left, not closed)."""
    exam = paper.exam
    attempts = service.attempts_of(exam.id, paper.person_id)
    if any(a.passed for a in attempts) or len(attempts) >= exam.max_attempts:
        return False
    return not exam_closed(exam)


def exam_closed(exam: Exam, at: datetime | None = None) -> bool:
    """No one can sit the exam any more: withdrawn, past its closing time or its (single) day."""
    at = at or now()
    if not exam.active:
        return True
    if exam.closes_at:
        return at >= exam.closes_at
    return bool(exam.exam_date and exam.exam_date < at.date())


def reveal_answers(paper: Paper) -> bool:
    """Whether the result page may show the correct answers and 解析 (the reveal_answers setting);
    never while the candidate can still sit again."""
    from . import settings
    mode = settings.get("reveal_answers")
    if mode == "closed":
        return exam_closed(paper.exam)
    if mode == "last_attempt":
        return not may_sit_again(paper)
    return False


def questions_of(paper: Paper) -> list[Question]:
    found = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(paper.question_ids)))}
    return [found[qid] for qid in paper.question_ids]


def answers_of(paper: Paper) -> dict[int, PaperAnswer]:
    return {a.question_id: a for a in db.session.scalars(select(PaperAnswer).where(PaperAnswer.paper_id == paper.id))}


def normalise(question: Question, raw) -> str:
    """A posted answer ("B", ["A", "C"], "AC", "") as letters, refusing letters not among the options."""
    if isinstance(raw, (list, tuple)):
        raw = "".join(str(r) for r in raw)
    letters = "".join(sorted(set(str(raw or "").upper().replace(",", "").replace(" ", ""))))
    if not letters:
        return ""
    valid = LETTERS[:len(question.options or TRUE_FALSE_OPTIONS)]
    if any(c not in valid for c in letters):
        raise ExamError("所选答案不在本题选项中")
    if question.qtype != "多选" and len(letters) > 1:
        raise ExamError("本题只能选择一个答案")
    return letters


def lock(paper: Paper) -> None:
    """Share-lock the exam, lock the candidate's registration, then re-read the paper locked, so
    two requests on it (tabs, a double click, the time-out job) take turns and the second sees what
    the first committed, and a paper graded while the exam is withdrawn waits and sees it."""
    share_exam(paper.exam_id)
    db.session.scalars(lock_rows(select(Registration).where(Registration.exam_id == paper.exam_id,
                                                            Registration.person_id == paper.person_id))).all()
    lock_row(paper, check=False)  # the callers re-check submitted_at and the deadline themselves


def check_open(paper: Paper, at: datetime) -> None:
    """Refuse answers to a submitted paper; grade a paper whose time is up, then refuse."""
    lock(paper)
    if paper.submitted_at is not None:
        raise PaperClosed("试卷已交卷，不能再修改答案")
    if at >= paper.deadline:
        grade(paper, auto=True, at=at)
        raise PaperClosed(f"考试时间已到（截止时间 {paper.deadline:%H:%M:%S}），试卷已自动交卷，本次提交的答案未保存")


def save(paper: Paper, question_id: int, raw, base_revision: int | None, at: datetime | None = None) -> dict:
    """Save one answer. Last write wins; a write based on an older revision is told so.

    Returns {"question_id", "answer", "revision", "conflict", "previous", "number"}.
    """
    at = at or now()
    check_open(paper, at)
    if question_id not in paper.question_ids:
        raise ExamError("该题不在本试卷中")
    question = db.session.get(Question, question_id)
    answer = normalise(question, raw)
    row = db.session.scalar(lock_rows(select(PaperAnswer).where(PaperAnswer.paper_id == paper.id,
                                                                PaperAnswer.question_id == question_id)))
    number = paper.question_ids.index(question_id) + 1
    conflict = base_revision is not None and base_revision < row.revision and row.answer != answer
    previous = row.answer
    if answer != row.answer:
        # revision = revision + 1 in SQL, so two simultaneous writes never share a revision
        db.session.execute(update(PaperAnswer).where(PaperAnswer.id == row.id)
                           .values(answer=answer, revision=PaperAnswer.revision + 1, updated_at=at))
        db.session.refresh(row)
    return {"question_id": question_id, "answer": row.answer, "revision": row.revision,
            "conflict": conflict, "previous": previous if conflict else None, "number": number}


def save_many(paper: Paper, posted: dict[int, tuple[object, str, int | None]], at: datetime | None = None) -> list[dict]:
    """A plain form post: {question_id: (answer, answer shown when the page was drawn, its revision)}.

    Only answers the candidate changed on that page are written, so a stale tab does not undo
    what another tab saved for questions it did not touch.
    """
    at = at or now()
    check_open(paper, at)
    results = []
    questions = {q.id: q for q in questions_of(paper)}
    for qid, (raw, seen, revision) in posted.items():
        if qid not in questions:
            raise ExamError("该题不在本试卷中")
        if normalise(questions[qid], raw) == normalise(questions[qid], seen):
            continue
        results.append(save(paper, qid, raw, revision, at))
    return results


def close_if_expired(paper: Paper, at: datetime | None = None) -> bool:
    at = at or now()
    if paper.submitted_at is None and at >= paper.deadline:
        try:
            grade(paper, auto=True, at=at)
        except PaperClosed:  # submitted meanwhile by another request
            return False
        return True
    return False


def close_expired(at: datetime | None = None, exam_id: int | None = None) -> int:
    """Grade every open paper past its deadline. Returns how many."""
    at = at or now()
    stmt = select(Paper).where(Paper.submitted_at.is_(None), Paper.deadline <= at).order_by(Paper.id)
    if exam_id is not None:
        stmt = stmt.where(Paper.exam_id == exam_id)
    closed = 0
    for paper in db.session.scalars(stmt).all():
        try:
            grade(paper, auto=True, at=at)
        except PaperClosed:  # submitted meanwhile by another request
            continue
        closed += 1
    return closed


def grade(paper: Paper, *, auto: bool = False, at: datetime | None = None, user=None) -> float:
    """Mark the saved answers, record the score as an ExamResult (source 在线)."""
    lock(paper)
    if paper.submitted_at is not None:
        raise PaperClosed("试卷已交卷")
    at = at or now()
    answers = answers_of(paper)
    earned = total = 0.0
    marks = []
    for question, points in zip(questions_of(paper), paper.points):
        row = answers.get(question.id)
        correct = row is not None and row.answer == question.answer
        total += points
        earned += points if correct else 0
        if row is not None:
            marks.append({"id": row.id, "correct": correct})
    if marks:
        db.session.execute(update(PaperAnswer), marks)
    exam = paper.exam
    paper.score = round(exam.full_mark * earned / total, 1) if total else 0.0
    paper.submitted_at = min(at, paper.deadline)
    paper.auto_submitted = auto
    db.session.flush()
    audit.record("submit", "exams_paper", paper.id,
                 summary=f"{exam.code} {paper.person.name} {'超时自动交卷' if auto else '交卷'}，得分 {paper.score:g}",
                 actor=user, after={"score": paper.score, "auto": auto})
    try:
        service.record_result(exam, paper.person, "参考", paper.score, user, source="在线", paper=paper)
    except ExamError as exc:  # e.g. registration withdrawn meanwhile: keep the paper's score
        audit.record("result_refused", "exams_paper", paper.id, summary=str(exc), actor=user)
    return paper.score
