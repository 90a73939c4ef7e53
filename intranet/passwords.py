"""The password policy: long enough for the role, not common, not derived from the username.

zxcvbn (a maintained port of Dropbox's estimator) knows common passwords, keyboard patterns,
sequences, repeats and dates; the username and display name are given to it as words to avoid.
"""
from __future__ import annotations

from zxcvbn import zxcvbn

PASSWORD_MIN = 8
PASSWORD_MIN_ADMIN = 10
PASSWORD_MAX = 128
ADMIN_ROLES = ("admin", "bureau")
# zxcvbn's score 0–4; 2 means more than 10^6 guesses (not "too guessable").
MIN_SCORE = 2


def min_length(role: str | None) -> int:
    return PASSWORD_MIN_ADMIN if role in ADMIN_ROLES else PASSWORD_MIN


def password_problem(password: str, *, username: str = "", role: str | None = None,
                     display_name: str = "") -> str | None:
    """A Chinese message saying why ``password`` is refused, or None when it is acceptable."""
    password = password or ""
    shortest = min_length(role)
    if len(password) < shortest:
        extra = "（系统管理员和司法局账户）" if role in ADMIN_ROLES else ""
        return f"密码至少{shortest}位{extra}"
    if len(password) > PASSWORD_MAX:
        return f"密码不能超过{PASSWORD_MAX}位"
    name = (username or "").strip().lower()
    if len(name) >= 3 and name in password.lower():
        return "密码不能包含用户名"
    words = [w for w in (username, display_name) if w]
    if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_SCORE:
        return "密码过于简单或常见（如连续数字、重复字符、常用密码），请换一个更难猜的密码"
    return None
