"""The plugin's configurable rules, stored as Settings under "exams.<key>"."""
from __future__ import annotations

from intranet.models import Setting

DEFAULTS = {
    "qualification_valid_years": 3,     # a qualification pass counts for this many years
    "max_attempts": 2,                  # default for new exams: one sitting and one resit
    "legal_qualification_exempt": True,  # 法律职业资格 holders need not pass the qualification exam
    "reveal_answers": "last_attempt",   # when a submitted paper shows the correct answers and 解析
}
REVEAL_CHOICES = [("never", "从不显示"), ("last_attempt", "本人不能再考后（已合格或次数用完）"),
                  ("closed", "考试结束后")]
LABELS = {
    "qualification_valid_years": "执法资格考试合格有效年限（年）",
    "max_attempts": "新建考试的默认考试次数上限（含补考）",
    "legal_qualification_exempt": "持有法律职业资格者免考执法资格考试",
    "reveal_answers": "交卷后何时向考生显示正确答案和解析",
}


def get(key: str):
    return Setting.get(f"exams.{key}", DEFAULTS[key])


def put(key: str, value) -> None:
    Setting.put(f"exams.{key}", value)
