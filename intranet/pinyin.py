"""Chinese names in pinyin order: a sort key stored beside the name, the same on every database.

A database collation cannot give this: SQLite has none for Chinese, and PostgreSQL's ICU
collation would still differ from SQLite's order. The key is the name's pinyin with tone
numbers ("张三" → "zhang1 san1"), so 阿明 < 李四 < 王五 < 张三 as in a Chinese index.
"""
from __future__ import annotations

KEY_LENGTH = 200


def sort_key(text: str | None) -> str:
    # imported here: pypinyin's phrase dictionary costs about 0.3 s, which no command should pay at start
    from pypinyin import Style, lazy_pinyin
    syllables = lazy_pinyin(text or "", style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(s.lower() for s in syllables)[:KEY_LENGTH]


def name_key_default(context) -> str:
    """Column default for inserts (also bulk ``insert(...)`` with many rows): the key of ``name``."""
    return sort_key(context.get_current_parameters().get("name"))
