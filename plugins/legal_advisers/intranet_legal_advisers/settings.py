"""The plugin's configurable rules (deployment-wide), stored as Settings under "legal_advisers.<key>"."""
from __future__ import annotations

from intranet.models import Setting

DIMENSIONS = [{"name": "服务态度", "max": 20}, {"name": "专业能力", "max": 30},
              {"name": "工作效率", "max": 20}, {"name": "服务成效", "max": 30}]

DEFAULTS = {
    "dimensions": DIMENSIONS,      # 考核 dimensions, each scored 0..max by the client and by the adviser
    "client_weight": 70,           # the client's share of the total (%); the self-report has the rest
    "excellent": 90,               # total (out of 100) for 优秀 …
    "competent": 75,               # … 称职
    "basic": 60,                   # … 基本称职; below it 不称职
    "filing_days": 15,             # a contract is filed late after this many days from signing
    "scan_max_mb": 10,             # largest signed scan or attachment
}


def get(key: str):
    value = Setting.get(f"legal_advisers.{key}", None)
    return DEFAULTS[key] if value is None else value


def put(key: str, value) -> None:
    Setting.put(f"legal_advisers.{key}", value)


def dimensions() -> list[dict]:
    return [{"name": str(d["name"]), "max": int(d["max"])} for d in get("dimensions")]


def parse_dimensions(text: str) -> list[dict]:
    """Lines "名称:满分" (or "名称 满分") → dimensions; ValueError with a Chinese message."""
    out, seen = [], set()
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, _, points = line.replace("：", ":").replace(" ", ":").partition(":")
        name, points = name.strip(), points.strip(": ")
        if not name or not points.isdigit() or not 1 <= int(points) <= 100:
            raise ValueError(f"第{n}行应为“名称:满分”，满分为1到100的整数")
        if name in seen:
            raise ValueError(f"考核项目“{name}”重复")
        seen.add(name)
        out.append({"name": name[:30], "max": int(points)})
    if not out:
        raise ValueError("至少设置一个考核项目")
    return out
