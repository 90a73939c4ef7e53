"""Identifiers of advisers: a firm's 统一社会信用代码 (GB 32100, with its check character) and a
lawyer's 执业证号 (17 digits)."""
from __future__ import annotations

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError


class AdviserCodeError(ValueError):
    """A code that is refused, with the Chinese reason."""


def firm_code(value: str) -> str:
    code = (value or "").strip().upper().replace(" ", "")
    if not code:
        raise AdviserCodeError("请填写律师事务所的统一社会信用代码")
    if len(code) != 18:
        raise AdviserCodeError(f"统一社会信用代码应为18位，“{code}”为{len(code)}位")
    try:
        return uscc.validate(code)
    except InvalidChecksum:
        raise AdviserCodeError(f"统一社会信用代码“{code}”的校验位不正确，请核对") from None
    except ValidationError:
        raise AdviserCodeError(f"统一社会信用代码“{code}”格式不正确（应为18位数字或大写字母）") from None


def licence_number(value: str) -> str:
    code = (value or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 17:
        raise AdviserCodeError(f"律师执业证号应为17位数字，“{code}”为{len(code)}位" if code.isdigit()
                               else f"律师执业证号应为17位数字，“{code}”含有非数字字符")
    return code


def firm_code_for(serial: int, area: str = "350481") -> str:
    """A valid 统一社会信用代码 of a law firm (登记管理部门 3 = 司法行政, 类别 1) for demo data and tests."""
    base = f"31{area}MD{serial % 10 ** 7:07d}"
    return base + uscc.calc_check_digit(base)
