"""Near-duplicate questions: the same fact under another wording or as another question type.

A question's *facts* are normalised statements: the stem with its lead-in ("根据《…》，",
"依照《…》规定，", "按照…的规定，", "《…》规定，") stripped, punctuation and whitespace removed. A
single choice fills its blank with each option: the right one gives a true statement, each wrong
one a false statement; a true/false question is the statement it makes, true or false by its
answer; a multiple choice is its stem with the set of right options. Two questions of the same
law sharing a fact are near-duplicates: a paper never holds both.
"""
from __future__ import annotations

import re
import unicodedata

LEAD_IN = re.compile(r"^(?:(?:根据|依照|依据|按照|按)\s*[^，,：:]{0,60}?(?:的规定|规定|之规定)?|《[^》]{1,40}》\s*(?:的)?规定)\s*[，,：:]")
BLANK = re.compile(r"[（(]\s*[）)]|_{2,}|＿{2,}")
NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """The stem without its lead-in, punctuation and whitespace (full-width folded)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = LEAD_IN.sub("", text, count=1)
    return NOISE.sub("", text).lower()


def _fill(stem: str, words: str) -> str:
    return normalise(BLANK.sub(words, stem, count=1)) if BLANK.search(stem) else ""


def facts(law: str, qtype: str, stem: str, options: list, answer: str) -> set[tuple]:
    """The (law, truth, statement) facts a question states or asks about."""
    law = (law or "").strip()
    options = list(options or [])
    letters = "ABCDEFGH"
    right = [o for i, o in enumerate(options) if i < len(letters) and letters[i] in (answer or "")]
    out: set[tuple] = set()
    if qtype == "判断":
        out.add((law, answer == "A", normalise(stem)))
    elif qtype == "单选":
        for i, option in enumerate(options):
            filled = _fill(stem, str(option))
            if filled:
                out.add((law, option in right, filled))
        out.add((law, "choice", normalise(stem), tuple(sorted(normalise(str(o)) for o in right))))
    else:
        out.add((law, "choice", normalise(stem), tuple(sorted(normalise(str(o)) for o in right))))
    return {f for f in out if f[2]}


def facts_of(question) -> set[tuple]:
    return facts(question.law, question.qtype, question.stem, question.options, question.answer)
