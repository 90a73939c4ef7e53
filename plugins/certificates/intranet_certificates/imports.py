"""Excel imports: existing cards (``certificates``) and cleanup decisions (``cleanup-decisions``)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from intranet.extensions import db
from intranet.imports import Column, ImportKind
from intranet.imports.framework import bulk_insert, bulk_update, chunks
from intranet.models import Department, Person

from . import numbering, settings
from .cleanup import open_campaign_for
from .dates import add_years
from .models import DECISIONS, Certificate, CertificateEvent, CleanupCandidate
from .states import STATUSES, VALID

CERTIFICATE_COLUMNS = [
    Column("证件编号", max_length=40, help="原证件编号照录（可为旧编号规则，如 35040013001234、闽A-0123）"),
    Column("身份证号", "id_number"),
    Column("姓名", max_length=50),
    Column("单位编码", max_length=32, help="持证人发证时所在单位的编码"),
    Column("执法类别", max_length=30),
    Column("执法区域", required=False, max_length=100, help="留空则为设置中的执法区域默认值（默认为本地区名称）"),
    Column("发证机关", required=False, max_length=100),
    Column("发证日期", "date"),
    Column("有效期至", "date"),
    Column("证件状态", "choice", choices=STATUSES),
    Column("证件版本", required=False, max_length=30),
    Column("最近执法日期", "date", required=False),
]
DECISION_COLUMNS = [
    Column("证件编号", max_length=40),
    Column("处理结果", "choice", choices=DECISIONS),
    Column("原因", max_length=500),
]


def _lookup(model_column, values, *columns) -> dict:
    """Fetch rows whose ``model_column`` is in ``values``, in chunks; keyed by that column."""
    out = {}
    values = list(values)
    for part in chunks(values, 1000):
        for row in db.session.execute(select(model_column, *columns).where(model_column.in_(part))):
            out[row[0]] = row
    return out


def certificate_ids(numbers: list[str]) -> dict[str, int]:
    """number -> id for freshly inserted cards (numbers are unique), in chunks."""
    return {number: row.id for number, row in _lookup(Certificate.number, numbers, Certificate.id).items()}


def apply_certificates(rows, ctx) -> None:
    today = date.today()
    categories = set(settings.get("categories"))
    authority = settings.issuing_authority()
    region = settings.default_region()
    version = settings.get("default_version")
    cycle = int(settings.get("review_cycle_years"))
    people = _lookup(Person.id_number, {r.values["身份证号"] for r in rows}, Person.id, Person.name)
    departments = {d.code: d for part in chunks(list({r.values["单位编码"] for r in rows}), 1000)
                   for d in db.session.scalars(select(Department).where(Department.code.in_(part)))}
    taken = set(_lookup(Certificate.number, {r.values["证件编号"] for r in rows}))
    seen: dict[str, int] = {}
    describe = settings.describe_pattern(settings.get("number_pattern"))
    cards = []
    for r in rows:
        v = r.values
        number = v["证件编号"]
        problem = numbering.malformed(number)
        if problem:
            ctx.error(r.row, "证件编号", problem)
        elif number in taken:
            ctx.error(r.row, "证件编号", f"证件编号 {number} 已存在，编号不能重复使用")
        elif number in seen:
            ctx.error(r.row, "证件编号", f"证件编号 {number} 与第{seen[number]}行重复")
        elif not numbering.under_pattern(number):  # an earlier scheme's number: kept as it is
            ctx.warning(r.row, "证件编号", f"证件编号 {number} 不符合现行编号规则（{describe}），"
                                         "按原编号导入（仅提示），不影响今后发证的流水号")
        seen.setdefault(number, r.row)
        person = people.get(v["身份证号"])
        if person is None:
            ctx.error(r.row, "身份证号", "未找到该身份证号的人员，请先导入人员信息")
        elif person.name != v["姓名"]:
            ctx.error(r.row, "姓名", f"姓名“{v['姓名']}”与人员信息中的“{person.name}”不一致")
        dept = departments.get(v["单位编码"])
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {v['单位编码']} 不存在")
        elif not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权为单位 {dept.name} 导入证件")
        if v["执法类别"] not in categories:
            ctx.error(r.row, "执法类别", f"执法类别“{v['执法类别']}”不在配置的类别中：{'、'.join(sorted(categories))}")
        if v["有效期至"] <= v["发证日期"]:
            ctx.error(r.row, "有效期至", "有效期至必须晚于发证日期")
        if v["发证日期"] > today:
            ctx.error(r.row, "发证日期", "发证日期不能晚于今天")
        if v["最近执法日期"] and v["最近执法日期"] > today:
            ctx.error(r.row, "最近执法日期", "最近执法日期不能晚于今天")
        if v["证件状态"] == VALID and v["有效期至"] < today:
            ctx.warning(r.row, "证件状态", "证件已超过有效期，导入后将由每日任务标记为过期")
        if person is not None and dept is not None:
            cards.append((r, person.id, dept))
    if ctx.progress:
        ctx.progress(len(rows) // 2, len(rows))
    if ctx.result.errors:
        return
    values = []
    for r, person_id, dept in cards:
        v = r.values
        issued = v["发证日期"]
        due = issued
        while due <= today:  # imported cards are taken as reviewed up to date
            due = add_years(due, cycle)
        values.append({
            "number": v["证件编号"], "person_id": person_id, "department_id": dept.id,
            "issuing_authority": v["发证机关"] or authority, "category": v["执法类别"], "region": v["执法区域"] or region,
            "issued_on": issued, "valid_until": v["有效期至"], "version": v["证件版本"] or version,
            "photo_file": "", "photo_name": "", "status": v["证件状态"], "status_changed_on": today,
            "next_review_due": due if v["证件状态"] == VALID else None,
            "last_enforcement_on": v["最近执法日期"], "lost": False, "origin": "import",
        })
    bulk_insert(Certificate, values)
    ids = certificate_ids([v["number"] for v in values])
    events = []
    actor_id = getattr(ctx.user, "id", None)
    actor_name = getattr(ctx.user, "display_name", "") or getattr(ctx.user, "username", "") or "系统"
    for card in values:
        # The history starts valid on the issue date; a card imported in another state changed
        # on a date the file does not give: its valid-until for 过期, the import date otherwise.
        base = {"certificate_id": ids[card["number"]], "action": "import", "actor_id": actor_id,
                "actor_name": actor_name, "details": None, "reason": "导入既有证件"}
        events.append({**base, "from_status": None, "to_status": VALID, "happened_on": card["issued_on"]})
        if card["status"] != VALID:
            when = card["valid_until"] if card["status"] == "过期" else today
            events.append({**base, "from_status": VALID, "to_status": card["status"], "happened_on": when,
                           "reason": f"导入既有证件，状态为{card['status']}"})
    bulk_insert(CertificateEvent, events)
    numbering.advance_counters([c["number"] for c in values])
    ctx.result.created = len(values)


def apply_decisions(rows, ctx) -> None:
    certs = _lookup(Certificate.number, {r.values["证件编号"] for r in rows}, Certificate.id, Certificate.department_id)
    candidates = open_campaign_for([c.id for c in certs.values()])
    departments = {d.id: d for d in db.session.scalars(
        select(Department).where(Department.id.in_({c.department_id for c in candidates.values()})))} \
        if candidates else {}
    seen: dict[str, int] = {}
    changes = []
    now = datetime.now()
    name = getattr(ctx.user, "display_name", "") or getattr(ctx.user, "username", "") or "系统"
    for r in rows:
        v = r.values
        number = v["证件编号"]
        if number in seen:
            ctx.error(r.row, "证件编号", f"证件编号 {number} 与第{seen[number]}行重复")
            continue
        seen[number] = r.row
        cert = certs.get(number)
        if cert is None:
            ctx.error(r.row, "证件编号", f"证件编号 {number} 不存在")
            continue
        candidate = candidates.get(cert.id)
        if candidate is None:
            ctx.error(r.row, "证件编号", f"证件 {number} 不在任何进行中的清理活动的候选名单中")
            continue
        if candidate.confirmed:
            ctx.error(r.row, "处理结果", f"证件 {number} 的处理结果已由司法局确认，不能修改")
            continue
        if not ctx.may_write_department(departments[candidate.department_id]):
            ctx.error(r.row, "证件编号", f"无权处理单位 {departments[candidate.department_id].name} 的证件")
            continue
        changes.append({"id": candidate.id, "decision": v["处理结果"], "decision_reason": v["原因"],
                        "decided_by_name": name, "decided_at": now})
    if ctx.result.errors:
        return
    bulk_update(CleanupCandidate, changes)
    ctx.result.updated = len(changes)


def import_kinds() -> list[ImportKind]:
    return [
        ImportKind("certificates", "certificates", "行政执法证", CERTIFICATE_COLUMNS, apply_certificates,
                   description="导入既有的行政执法证（持证人须已在人员信息中）"),
        ImportKind("certificates", "cleanup-decisions", "清理处理结果", DECISION_COLUMNS, apply_decisions,
                   roles=("admin", "bureau", "dept_admin"),
                   description="导入清理活动中候选证件的处理结果（保留/收回/公告注销）"),
    ]
