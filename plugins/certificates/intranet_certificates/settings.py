"""The plugin's configurable rules, stored as Settings under "certificates.<key>"."""
from __future__ import annotations

import re
import string
from datetime import date

from flask import current_app

from intranet.models import Setting

CATEGORIES = ["市场监管", "城市管理", "生态环境", "交通运输", "卫生健康", "自然资源", "农业农村",
              "文化旅游", "应急管理", "综合行政执法", "公安", "税务", "水利", "林业", "教育", "其他"]
VERSIONS = ["全国统一样式", "2013版"]

DEFAULTS = {
    "region_code": "350481",
    # {region}: the region code above; {year}: the year of issue; {serial:05d}: the counter.
    "number_pattern": "{region}{year}{serial:05d}",
    "validity_years": 5,
    "review_cycle_years": 1,
    "review_warn_months": 2,
    "inactivity_months": 12,
    "categories": CATEGORIES,
    "versions": VERSIONS,
    "default_version": "全国统一样式",
    "issuing_authority": "",   # empty: "<REGION_NAME>人民政府"
    # 换证 keeps the number unless this is set; then the old card is cancelled and a new one issued.
    "renew_new_number": False,
    # 公开查询网址: what every card's QR code encodes, e.g. https://sfj.example.gov.cn (empty: not set).
    "public_url": "",
    # 执法区域 proposed for a new application or an imported card (empty: the region's name, REGION_NAME).
    "default_region": "",
}


def get(key: str):
    value = Setting.get(f"certificates.{key}", None)
    return DEFAULTS[key] if value is None else value


def put(key: str, value) -> None:
    Setting.put(f"certificates.{key}", value)


def issuing_authority() -> str:
    return get("issuing_authority") or f"{current_app.config.get('REGION_NAME', '')}人民政府"


CHINESE_NUMERALS = "零一两三四五六七八九十"


def warn_period_text() -> str:
    """The warning period in words, e.g. "两个月", "十二个月" (review_warn_months is 1..12)."""
    months = int(get("review_warn_months"))
    if months <= 10:
        words = CHINESE_NUMERALS[months]
    else:
        words = "十" + CHINESE_NUMERALS[months - 10].replace("两", "二")
    return f"{words}个月"


def default_region() -> str:
    return get("default_region") or current_app.config.get("REGION_NAME", "")


# --- the number pattern ------------------------------------------------------------------

class PatternError(ValueError):
    pass


def parse_pattern(pattern: str) -> list[tuple[str, str | None, str]]:
    """Split a pattern into (literal, field, spec) parts; refuse anything but the three fields."""
    try:
        parts = [(lit, name, spec or "") for lit, name, spec, _conv in string.Formatter().parse(pattern)]
    except ValueError as exc:
        raise PatternError(f"编号规则格式错误：{exc}") from exc
    names = [name for _lit, name, _spec in parts if name is not None]
    unknown = [n for n in names if n not in ("region", "year", "serial")]
    if unknown:
        raise PatternError(f"编号规则中有无法识别的占位符：{'、'.join(unknown)}（只能使用 region、year、serial）")
    if names.count("serial") != 1:
        raise PatternError("编号规则必须包含且只包含一个 {serial:05d} 之类的流水号占位符")
    for _lit, name, spec in parts:
        if name == "serial" and not re.fullmatch(r"0[1-9]d", spec):
            raise PatternError("流水号格式应为 {serial:05d}（位数 1–9）")
        if name in ("region", "year") and spec:
            raise PatternError(f"占位符 {{{name}}} 不能带格式")
    return parts


def url_safe(text: str) -> bool:
    """Whether ``text`` can sit in a URL path segment as it is: letters (汉字 too), digits, - _ . ~."""
    return all(ch.isalnum() or ch in "-_.~" for ch in text)


def check_pattern(pattern: str) -> None:
    """:func:`parse_pattern` plus what the settings page refuses: characters a verification URL cannot carry."""
    for literal, _name, _spec in parse_pattern(pattern):
        if not url_safe(literal):
            raise PatternError("编号规则只能包含汉字、字母、数字和 - _ . ~，不能含有 / ? # % 空格等字符"
                               "（证件编号要用于公开查验网址和二维码）")


def serial_width(pattern: str) -> int:
    for _lit, name, spec in parse_pattern(pattern):
        if name == "serial":
            return int(spec[1:-1])
    raise PatternError("缺少流水号")


def render_number(pattern: str, region: str, year: int, serial: int) -> str:
    return pattern.format(region=region, year=year, serial=serial)


def counter_key(pattern: str, region: str, year: int) -> str:
    """Numbers sharing everything but the serial share one counter (e.g. one per year)."""
    values = {"region": region, "year": str(year), "serial": "#", None: ""}
    return "".join(lit + values[name] for lit, name, _spec in parse_pattern(pattern))


def number_regex(pattern: str) -> re.Pattern:
    """What a number under ``pattern`` looks like: any 6-digit region code, any year."""
    out = []
    for lit, name, spec in parse_pattern(pattern):
        out.append(re.escape(lit))
        if name == "region":
            out.append(r"(?P<region>\d{6})")
        elif name == "year":
            out.append(r"(?P<year>\d{4})")
        elif name == "serial":
            out.append(rf"(?P<serial>\d{{{int(spec[1:-1])}}})")
    return re.compile("".join(out))


def describe_pattern(pattern: str) -> str:
    example = render_number(pattern, get("region_code"), date.today().year, 17)
    return f"例如 {example}"
