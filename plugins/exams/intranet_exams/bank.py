"""The question bank (题库): validation, versions and retirement.

A question is never edited: "修改" writes a new version and retires the old one, so papers that
drew the old version keep exactly what the candidate saw.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from intranet import audit
from intranet.extensions import db

from .models import DIFFICULTIES, LETTERS, QUESTION_TYPES, TRUE_FALSE_OPTIONS, PaperAnswer, Question
from .service import ExamError, now

TRUE_WORDS = {"正确", "对", "√", "是", "T", "TRUE"}
FALSE_WORDS = {"错误", "错", "×", "否", "F", "FALSE"}


def parse_answer(qtype: str, raw, options: list[str]) -> tuple[str, str]:
    """(normalised answer letters, error)."""
    text = str(raw or "").strip().upper()
    if not text:
        return "", "答案不能为空"
    if qtype == "判断":
        if text in TRUE_WORDS or text == "A":
            return "A", ""
        if text in FALSE_WORDS or text == "B":
            return "B", ""
        return "", f"判断题答案“{raw}”无效，应为“正确”或“错误”（也可填“对”“错”）"
    letters = re.sub(r"[\s,，、;；]", "", text)
    valid = LETTERS[:len(options)]
    bad = [c for c in letters if c not in valid]
    if bad or not letters:
        return "", f"答案“{raw}”不在选项中（可选：{'、'.join(valid)}）"
    if len(set(letters)) != len(letters):
        return "", f"答案“{raw}”中有重复的选项"
    if qtype == "单选" and len(letters) != 1:
        return "", "单选题只能有一个答案"
    if qtype == "多选" and len(letters) < 2:
        return "", "多选题至少应有两个正确答案"
    return "".join(sorted(letters)), ""


def clean_options(qtype: str, options: list) -> tuple[list[str], str]:
    """Option texts A, B, … without gaps; 判断 always has 正确/错误."""
    if qtype == "判断":
        return list(TRUE_FALSE_OPTIONS), ""
    texts = [("" if o is None else str(o).strip()) for o in options]
    while texts and not texts[-1]:
        texts.pop()
    if "" in texts:
        return [], f"选项{LETTERS[texts.index('')]}为空，选项应从A开始连续填写"
    if len(texts) < 2:
        return [], "选择题至少需要两个选项"
    if qtype == "多选" and len(texts) < 3:
        return [], "多选题至少需要三个选项"
    if len(set(texts)) != len(texts):
        return [], "选项内容有重复"
    return texts, ""


def check(qtype: str, stem: str, options: list, answer_raw, law: str) -> tuple[dict, list[tuple[str, str]]]:
    """Validate a question's fields; returns (clean values, [(field, message)])."""
    errors = []
    if qtype not in QUESTION_TYPES:
        errors.append(("qtype", f"题型应为：{'、'.join(QUESTION_TYPES)}"))
        return {}, errors
    if not (stem or "").strip():
        errors.append(("stem", "题干不能为空"))
    if not (law or "").strip():
        errors.append(("law", "所属法律不能为空"))
    opts, err = clean_options(qtype, options)
    if err:
        errors.append(("options", err))
        return {}, errors
    answer, err = parse_answer(qtype, answer_raw, opts)
    if err:
        errors.append(("answer", err))
    return {"qtype": qtype, "stem": (stem or "").strip(), "options": opts, "answer": answer,
            "law": normalise_law(law)}, errors


def normalise_law(law: str) -> str:
    """"行政处罚法" and "《行政处罚法》" are the same law; keep the book-title marks."""
    law = (law or "").strip()
    if law and not law.startswith("《"):
        law = f"《{law.strip('《》')}》"
    return law


def parse_difficulty(raw) -> tuple[int, str]:
    if raw is None or str(raw).strip() == "":
        return 2, ""
    text = str(raw).strip()
    for value, label in DIFFICULTIES.items():
        if text in (label, str(value), f"{value}.0", {"易": "容易", "中": "中等", "难": "困难"}[label]):
            return value, ""
    return 0, f"难度“{raw}”无效，应为：易、中、难（或1、2、3）"


def create(values: dict, user, *, previous: Question | None = None) -> Question:
    q = Question(law=values["law"], chapter=values.get("chapter", ""), qtype=values["qtype"],
                 stem=values["stem"], options=values["options"], answer=values["answer"],
                 explanation=values.get("explanation", ""), difficulty=values.get("difficulty", 2),
                 created_by_id=getattr(user, "id", None))
    if previous is not None:
        q.origin_id, q.previous_id, q.version = previous.origin_id or previous.id, previous.id, previous.version + 1
    db.session.add(q)
    db.session.flush()
    if q.origin_id is None:
        q.origin_id = q.id
    audit.record("create" if previous is None else "new_version", "exams_question", q.id,
                 summary=f"题库{'新增' if previous is None else '新版本'}：{q.stem[:60]}",
                 before=previous.audit_state() if previous is not None else None, after=q.audit_state())
    return q


def new_version(old: Question, values: dict, user) -> Question:
    if old.retired:
        raise ExamError("该题目已停用，不能再修改；请从最新版本修改")
    _retire(old)
    return create(values, user, previous=old)


def retire(q: Question, user, reason: str = "") -> None:
    if q.retired:
        raise ExamError("该题目已停用")
    _retire(q)
    audit.record("retire", "exams_question", q.id, summary=f"停用题目：{q.stem[:60]}", reason=reason,
                 before={"retired": False}, after={"retired": True})


def _retire(q: Question) -> None:
    q.retired = True
    q.retired_at = now()


def times_used(question_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(PaperAnswer)
                             .where(PaperAnswer.question_id == question_id)) or 0


def fact_index() -> dict:
    """fact → id of an active bank question stating it (see similarity.py)."""
    from .similarity import facts_of
    index: dict = {}
    for q in db.session.scalars(select(Question).where(Question.retired.is_(False)).order_by(Question.id)):
        for fact in facts_of(q):
            index.setdefault(fact, q.id)
    return index


def duplicate_of(values: dict, index: dict, exclude: set | None = None) -> int | None:
    """The id of an active question ``values`` near-duplicates (same fact, same law), or None."""
    from .similarity import facts
    for fact in facts(values["law"], values["qtype"], values["stem"], values["options"], values["answer"]):
        found = index.get(fact)
        if found is not None and found not in (exclude or set()):
            return found
    return None


def laws() -> list[str]:
    return list(db.session.scalars(select(Question.law).where(Question.retired.is_(False))
                                   .group_by(Question.law).order_by(Question.law)))
