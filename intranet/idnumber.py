"""居民身份证号码 (GB 11643) validation and masking, on top of python-stdnum."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import and_

from stdnum import exceptions
from stdnum.cn import ric


@dataclass
class IdCheck:
    number: str          # normalised (upper-case X), or the input when invalid
    error: str = ""      # set when the number must be refused
    warning: str = ""    # set when it is accepted with a remark


def check_id_number(value) -> IdCheck:
    """Validate an 18-digit ID number: length, birth date, checksum; unknown area code warns."""
    if value is None:
        return IdCheck("", error="身份证号不能为空")
    if not isinstance(value, str):
        return IdCheck(str(value), error="身份证号必须以文本格式填写（不能是数字格式）")
    number = value.strip().upper()
    if not number:
        return IdCheck("", error="身份证号不能为空")
    if len(number) != 18:
        return IdCheck(number, error="身份证号应为18位")
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        return IdCheck(number, error="身份证号格式错误（前17位应为数字，末位为数字或X）")
    if number[-1] != ric.calc_check_digit(number):
        return IdCheck(number, error="身份证号校验位错误")
    try:
        ric.get_birth_date(number)
    except exceptions.ValidationError:
        return IdCheck(number, error="身份证号中的出生日期无效")
    if not _area_known(number[:6], number[6:10]):
        return IdCheck(number, warning="身份证号的地区码未知")
    return IdCheck(number)


@lru_cache(maxsize=8192)
def _area_known(area: str, year: str) -> bool:
    """Whether the area code existed in the birth year (cached: the lookup is slow for big imports)."""
    try:
        ric.get_birth_place(f"{area}{year}01010000")
    except exceptions.ValidationError:
        return False
    return True


def mask_id_number(number: str | None) -> str:
    """'110101199003071234' → '110101********1234'."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


ID_SEARCH_HINT = "按身份证号查询请输入完整的18位号码"
_FULL = re.compile(r"\d{17}[\dX]")
_MASKED = re.compile(r"(\d{6})\*{8}(\d{3}[\dX])")   # exactly as mask_id_number shows it
_ID_LIKE = re.compile(r"[\dX*]+")


def sees_full_id(viewer) -> bool:
    """Only the 系统管理员 sees ID numbers in full; every other role sees the masked form."""
    return getattr(viewer, "role", None) == "admin"


def id_number_search_condition(column, q: str, viewer):
    """The condition finding the search text ``q`` in the ID-number ``column``, or None.

    A viewer who sees full numbers finds any part. Everyone else finds a number only by all
    18 characters or by the masked form exactly as shown (first 6 and last 4), so searching
    reveals nothing the pages hide: a partial number matches nothing.
    """
    q = (q or "").strip().upper()
    if not q:
        return None
    if sees_full_id(viewer):
        return column.contains(q, autoescape=True)
    if _FULL.fullmatch(q):
        return column == q
    masked = _MASKED.fullmatch(q)
    if masked:
        return and_(column.startswith(masked.group(1)), column.endswith(masked.group(2)))
    return None


def id_search_hint(q: str, viewer) -> str:
    """:data:`ID_SEARCH_HINT` when ``q`` looks like a partial number this viewer cannot search by."""
    q = (q or "").strip().upper()
    if sees_full_id(viewer) or not q or not _ID_LIKE.fullmatch(q) or not any(c.isdigit() for c in q):
        return ""
    return "" if _FULL.fullmatch(q) or _MASKED.fullmatch(q) else ID_SEARCH_HINT


def birth_date(number: str):
    return ric.get_birth_date(number)


def make_id_number(area_code: str, born, sequence: int, female: bool | None = None) -> str:
    """Build a valid number (demo data and tests): area code, birth date, sequence, check digit."""
    seq = sequence % 1000
    if female is not None and (seq % 2 == 0) != female:
        seq = (seq + 1) % 1000
    body = f"{area_code}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")
