"""Demo data: the core makes departments, people and logins; each plugin adds its part."""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from .extensions import db


class DemoError(RuntimeError):
    pass


SCALES = {
    # cities (more than one adds a province root), counties per city, townships per county,
    # departments per city and per county, people per unit (low, high)
    "small": dict(cities=1, counties=1, townships=6, city_departments=8, county_departments=6, staff=(12, 30)),
    "city": dict(cities=1, counties=10, townships=12, city_departments=40, county_departments=14, staff=(40, 90)),
    "province": dict(cities=8, counties=10, townships=13, city_departments=40, county_departments=14,
                     staff=(48, 108)),
}


@dataclass
class DemoContext:
    """What ``demo_data`` implementations get: the core's records as plain rows, and a seeded RNG.

    Each plugin gets its own copy whose ``rng`` is seeded from ``seed`` and the plugin's name
    (:func:`plugin_rng`), so adding a plugin does not change another plugin's records.
    """
    scale: str
    rng: random.Random
    year: int
    seed: int = 2024
    departments: list[dict] = field(default_factory=list)  # id, code, name, kind, parent_id, path
    people: list[dict] = field(default_factory=list)       # id, name, department_id, title, staffing, enforcement_post, status, legal_qualification
    users: dict[str, int] = field(default_factory=dict)    # username -> id
    echo: object = print


def plugin_rng(seed: int, plugin: str) -> random.Random:
    """The random generator of one plugin's demo data: the same for the same seed and name."""
    return random.Random(f"{seed}:{plugin}")


class RowBuffer:
    """Rows of one table, inserted a chunk at a time as they are made, so a province's million rows
    never sit in memory at once. ``first``: the buffer of the rows these point at (flushed before
    them). Each chunk goes out through :func:`intranet.imports.framework.bulk_insert` (keys are
    column names)."""

    def __init__(self, model, first: RowBuffer | None = None, chunk: int = 5000):
        self.model, self.first, self.chunk = model, first, chunk
        self.rows: list[dict] = []
        self.count = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.chunk:
            self.flush()

    def extend(self, rows) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if self.first is not None:
            self.first.flush()
        if self.rows:
            from .imports.framework import bulk_insert
            bulk_insert(self.model, self.rows)
            self.rows = []


def already_loaded() -> bool:
    from .models import Department
    return bool(db.session.scalar(select(func.count()).select_from(Department)))


def load_demo(scale: str, seed: int = 2024, echo=print) -> str:
    """Load one scale of demo data into an empty database: the core's records, then each plugin's."""
    from . import audit
    from .demo_core import make_core_records
    from .plugins import get_pm
    if scale not in SCALES:
        raise DemoError(f"未知规模 {scale}，可选：{'、'.join(SCALES)}")
    if already_loaded():
        raise DemoError("数据库中已有单位数据，演示数据只能载入空数据库")
    ctx = DemoContext(scale=scale, rng=random.Random(seed), year=date.today().year, seed=seed, echo=echo)
    make_core_records(ctx, SCALES[scale])
    for impl in reversed(get_pm().hook.demo_data.get_hookimpls()):
        kwargs = {"scale": scale, "context": dataclasses.replace(ctx, rng=plugin_rng(seed, impl.plugin_name))}
        impl.function(**{k: kwargs[k] for k in impl.argnames})
    audit.record("demo_load", "demo", scale, summary=f"载入演示数据（{scale}）：{len(ctx.departments)} 个单位，"
                 f"{len(ctx.people)} 名人员", after={"scale": scale, "seed": seed})
    db.session.commit()
    return (f"演示数据已载入（{scale}）：{len(ctx.departments)} 个单位，{len(ctx.people)} 名人员。\n"
            f"登录：admin / demo-xitong-2024（系统管理员），sfj / demo-sifaju-2024（司法局），"
            f"dwgly / demo-danwei-2024（单位管理员），zfry / demo-zhifa-2024（工作人员），dc / demo-ducha-2024（督察）")
