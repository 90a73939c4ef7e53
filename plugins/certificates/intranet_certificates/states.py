"""The certificate's states and every transition between them, in one table.

A lifecycle action is allowed only from the states listed here; anything else is refused with
a Chinese message and changes nothing.
"""
from __future__ import annotations

VALID, SUSPENDED, RECALLED, CANCELLED, EXPIRED = "有效", "暂扣", "收回", "注销", "过期"
STATUSES = [VALID, SUSPENDED, RECALLED, CANCELLED, EXPIRED]
# States in which the holder still has the card in hand (candidates for cleanup, duplicates).
OUTSTANDING = (VALID, SUSPENDED, EXPIRED)


class TransitionError(ValueError):
    """A refused lifecycle action; the message is Chinese and shown to the user."""


# action -> (label, from states, to state). None as the target keeps the current state.
TRANSITIONS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "review":           ("年审",     (VALID,), VALID),
    "renew":            ("换证",     (VALID, EXPIRED), VALID),
    "suspend":          ("暂扣",     (VALID,), SUSPENDED),
    "restore":          ("恢复",     (SUSPENDED,), VALID),
    "recall":           ("收回",     (VALID, SUSPENDED, EXPIRED), RECALLED),
    "cancel":           ("注销",     (VALID, SUSPENDED, RECALLED, EXPIRED), CANCELLED),
    "cancel_by_notice": ("公告注销", (VALID, SUSPENDED, EXPIRED), CANCELLED),
    "declare_lost":     ("遗失补办", (VALID,), CANCELLED),
    "expire":           ("过期",     (VALID, SUSPENDED), EXPIRED),
}
# Actions that only ever start a card's history.
INITIAL = {"issue": "核发", "import": "导入", "reissue": "补发", "renew_issue": "换发新证"}


def label(action: str) -> str:
    if action in TRANSITIONS:
        return TRANSITIONS[action][0]
    return INITIAL.get(action, action)


def allowed(action: str, status: str) -> bool:
    return action in TRANSITIONS and status in TRANSITIONS[action][1]


def actions_from(status: str) -> list[str]:
    """The manual actions offered on a card in ``status`` (expiry is the daily job's)."""
    return [a for a, (_l, sources, _t) in TRANSITIONS.items() if status in sources and a != "expire"]


def check(action: str, status: str) -> str:
    """Return the target state, or raise TransitionError saying why not."""
    if action not in TRANSITIONS:
        raise TransitionError(f"未知的操作：{action}")
    name, sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionError(
            f"证件当前状态为“{status}”，不能{name}（只有状态为{'、'.join('“' + s + '”' for s in sources)}的证件可以{name}）")
    return target or status
