"""The core's imports: departments (单位) and people (人员)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..pinyin import sort_key
from ..models import DEPARTMENT_KINDS, PERSON_STATUSES, STAFFING_TYPES, AuditEvent, Department, Person
from ..org.service import department_state, move_department
from .framework import Column, ImportContext, ImportKind, ParsedRow, bulk_insert, bulk_update, chunks

PROGRESS_EVERY = 500


def core_import_kinds() -> list[ImportKind]:
    return [
        ImportKind(
            plugin="core", name="departments", label="单位", apply=apply_departments, roles=("admin", "bureau"),
            description="新增或更新单位；上级单位可以是本文件中（前后均可）或系统中已有的单位。",
            columns=[
                Column("单位编码", max_length=32, help="唯一；已存在的编码将更新该单位"),
                Column("单位名称", max_length=200),
                Column("上级单位编码", required=False, max_length=32, help="留空表示顶级单位"),
                Column("单位类型", kind="choice", choices=DEPARTMENT_KINDS),
            ],
        ),
        ImportKind(
            plugin="core", name="people", label="人员", apply=apply_people, roles=("admin", "bureau", "dept_admin"),
            description="新增或更新人员（以身份证号识别）；单位管理员只能导入本单位及下级单位的人员。",
            columns=[
                Column("姓名", max_length=50),
                Column("身份证号", kind="id_number", help="18位，必须设置为文本格式"),
                Column("单位编码", max_length=32),
                Column("职务", required=False, max_length=100),
                Column("编制类型", kind="choice", choices=STAFFING_TYPES),
                Column("执法岗位", kind="bool", help="是否直接承担行政执法任务"),
                Column("人员状态", kind="choice", choices=PERSON_STATUSES),
                Column("状态变更日期", kind="date", required=False),
                Column("法律职业资格", kind="bool", required=False, help="留空视为“否”"),
            ],
        ),
    ]


def _report(ctx: ImportContext, done: int, total: int) -> None:
    if ctx.progress is not None:
        ctx.progress(done, total)


def _load_by(column, values) -> list:
    """Rows of ``column``'s model whose ``column`` is in ``values`` (chunked IN lists)."""
    found = []
    for part in chunks(sorted(values), 1000):
        found.extend(db.session.scalars(select(column.class_).where(column.in_(part))))
    return found


# --- departments -------------------------------------------------------------------------

def apply_departments(rows: list[ParsedRow], ctx: ImportContext) -> None:
    """Create or update departments. Parents may come later in the file; cycles are refused."""
    rows_by_code = defaultdict(list)
    for r in rows:
        rows_by_code[r.values["单位编码"]].append(r.row)
    for r in rows:
        code = r.values["单位编码"]
        if len(rows_by_code[code]) > 1:
            others = "、".join(str(n) for n in rows_by_code[code] if n != r.row)
            ctx.error(r.row, "单位编码", f"单位编码 {code} 在文件中重复（另见第 {others} 行）")
    rows = [r for r in rows if len(rows_by_code[r.values["单位编码"]]) == 1]
    by_code = {r.values["单位编码"]: r for r in rows}
    wanted = set(by_code) | {r.values["上级单位编码"] for r in rows if r.values["上级单位编码"]}
    existing = {d.code: d for d in _load_by(Department.code, wanted)}
    # The parent of every code once the file is applied (None: top level).
    final_parent: dict[str, str | None] = {}
    for code, r in by_code.items():
        parent_code = r.values["上级单位编码"]
        if parent_code and parent_code not in by_code and parent_code not in existing:
            ctx.error(r.row, "上级单位编码", f"上级单位编码 {parent_code} 不存在（文件和系统中都没有）")
        elif parent_code == code:
            ctx.error(r.row, "上级单位编码", f"单位 {code} 不能以自身为上级单位")
        else:
            final_parent[code] = parent_code or None

    def parent_of(code: str) -> str | None:
        if code in final_parent:
            return final_parent[code]
        dept = existing.get(code)
        if dept is None or dept.parent_id is None:
            return None
        if dept.parent is not None:
            existing.setdefault(dept.parent.code, dept.parent)
            return dept.parent.code
        return None

    depth: dict[str, int] = {}
    for code in list(final_parent):
        chain, seen, current = [], set(), code
        while current is not None and current not in depth:
            if current in seen:
                loop = chain[chain.index(current):] + [current]
                ctx.error(by_code[code].row, "上级单位编码", "上级关系形成循环：" + " → ".join(loop))
                break
            seen.add(current)
            chain.append(current)
            current = parent_of(current)
        else:
            base = -1 if current is None else depth[current]
            for offset, c in enumerate(reversed(chain), start=1):
                depth[c] = base + offset
    if ctx.user is not None and not ctx.user.sees_everything:
        _check_department_scope(ctx, by_code, existing, final_parent, depth)
    if ctx.result.errors:
        return

    order = sorted((c for c in final_parent), key=lambda c: (depth[c], by_code[c].row))
    created, moves, updated = [], [], 0
    for code in order:
        values = by_code[code].values
        dept = existing.get(code)
        parent_code = final_parent[code]
        if dept is None:
            dept = Department(code=code, name=values["单位名称"], kind=values["单位类型"], path="",
                              parent=existing[parent_code] if parent_code else None)
            db.session.add(dept)
            existing[code] = dept
            created.append(dept)
        else:
            before = department_state(dept)
            dept.name, dept.kind = values["单位名称"], values["单位类型"]
            if (dept.parent.code if dept.parent else None) != parent_code:
                moves.append((code, before))
            elif dept.name != before["name"] or dept.kind != before["kind"]:
                updated += 1
                old, new = audit.diff(before, department_state(dept))
                audit.record("update", "department", dept.id, summary=f"导入更新单位 {code} {dept.name}",
                             before=old, after=new, department_id=dept.id, actor=ctx.user)
    db.session.flush()
    for dept in created:  # parents come first in ``order``, so their paths are known
        dept.path = dept.compute_path()
        audit.record("create", "department", dept.id, summary=f"导入新建单位 {dept.code} {dept.name}",
                     after=department_state(dept), department_id=dept.id, actor=ctx.user)
    db.session.flush()
    # Moves in final-depth order never meet a transient cycle: each new parent is already in place.
    for code, before in moves:
        dept = db.session.scalar(select(Department).where(Department.code == code))
        parent_code = final_parent[code]
        parent = db.session.scalar(select(Department).where(Department.code == parent_code)) if parent_code else None
        move_department(dept, parent)
        dept = db.session.scalar(select(Department).where(Department.code == code))
        old, new = audit.diff(before, department_state(dept))
        audit.record("update", "department", dept.id, summary=f"导入更新单位 {code} {dept.name}",
                     before=old, after=new, department_id=dept.id, actor=ctx.user)
        updated += 1
    ctx.result.created = len(created)
    ctx.result.updated = updated
    ctx.result.unchanged = len(order) - len(created) - updated
    _report(ctx, len(order), len(order))


def _check_department_scope(ctx, by_code, existing, final_parent, depth) -> None:
    """A scoped importer changes only departments in their subtree and keeps new ones inside it."""
    root = ctx.user.department
    for code in sorted((c for c in final_parent if c in depth), key=depth.get):
        row = by_code[code].row
        dept = existing.get(code)
        if dept is not None and dept.id is not None and not ctx.may_write_department(dept):
            ctx.error(row, "单位编码", f"无权修改单位 {code}（不在您的管理范围内）")
            continue
        if root is not None and dept is not None and dept.id == root.id:
            if final_parent[code] != (dept.parent.code if dept.parent else None):
                ctx.error(row, "上级单位编码", "不能修改本单位的上级单位")
            continue
        # Walk up to the first department that already exists: it must be in scope.
        current = final_parent[code]
        while current is not None and current in by_code and current not in existing:
            current = final_parent.get(current)
        anchor = existing.get(current) if current is not None else None
        if anchor is None or not ctx.may_write_department(anchor):
            ctx.error(row, "上级单位编码", "上级单位不在您的管理范围内")


# --- people ------------------------------------------------------------------------------

PERSON_FIELDS = {
    "姓名": "name", "职务": "title", "编制类型": "staffing", "执法岗位": "enforcement_post",
    "人员状态": "status", "状态变更日期": "status_changed_on", "法律职业资格": "legal_qualification",
}
COMPARED = ["name", "department_id", "title", "staffing", "enforcement_post", "status", "status_changed_on",
            "legal_qualification"]


def _person_values(values: dict, dept: Department) -> dict:
    out = {field: values[column] for column, field in PERSON_FIELDS.items()}
    out["title"] = out["title"] or ""
    out["legal_qualification"] = bool(out["legal_qualification"])
    out["department_id"] = dept.id
    return out


def _state(values: dict, masked_id: str) -> dict:
    """The audit form of a person (same keys as Person.audit_state)."""
    state = {k: values[k] for k in COMPARED if k != "department_id"}
    state["department"] = values["department_id"]
    state["id_number"] = masked_id
    if state["status_changed_on"] is not None:
        state["status_changed_on"] = state["status_changed_on"].isoformat()
    return state


def _existing_people(numbers) -> list:
    """The people with these ID numbers, as plain rows (cheaper than ORM objects for 10,000)."""
    columns = [Person.id, Person.id_number] + [getattr(Person, k) for k in COMPARED]
    found = []
    for part in chunks(sorted(numbers), 1000):
        found.extend(db.session.execute(select(*columns).where(Person.id_number.in_(part))))
    return found


def apply_people(rows: list[ParsedRow], ctx: ImportContext) -> None:
    """Create or update people by 身份证号, in bulk: a few queries whatever the file's size."""
    from ..idnumber import mask_id_number

    total = len(rows)
    rows_by_id = defaultdict(list)
    for r in rows:
        rows_by_id[r.values["身份证号"]].append(r.row)
    codes = {r.values["单位编码"] for r in rows}
    depts = {d.code: d for d in _load_by(Department.code, codes)}
    people = {p.id_number: p for p in _existing_people(set(rows_by_id))}
    missing_depts = {p.department_id for p in people.values()} - {d.id for d in depts.values()}
    depts_by_id = {d.id: d for d in depts.values()}
    depts_by_id.update({d.id: d for d in _load_by(Department.id, missing_depts)})

    inserts, updates, events = [], [], []
    unchanged = 0
    now = datetime.now()
    ip = (request.remote_addr or "") if has_request_context() else ""
    actor_id = getattr(ctx.user, "id", None)
    actor_name = (getattr(ctx.user, "display_name", "") or getattr(ctx.user, "username", "")) if ctx.user else "系统"
    for done, r in enumerate(rows, start=1):
        if done % PROGRESS_EVERY == 0:
            _report(ctx, done, total)
        v = r.values
        number = v["身份证号"]
        if len(rows_by_id[number]) > 1:
            others = "、".join(str(n) for n in rows_by_id[number] if n != r.row)
            ctx.error(r.row, "身份证号", f"身份证号在文件中重复（另见第 {others} 行）")
            continue
        dept = depts.get(v["单位编码"])
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {v['单位编码']} 不存在")
            continue
        if not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权向单位 {dept.name}（{dept.code}）导入人员")
            continue
        if not dept.active:
            ctx.error(r.row, "单位编码", f"单位 {dept.name}（{dept.code}）已停用")
            continue
        values = _person_values(v, dept)
        person = people.get(number)
        if person is None:
            inserts.append({**values, "id_number": number, "phone": ""})
            continue
        current_dept = depts_by_id.get(person.department_id)
        if current_dept is not None and not ctx.may_write_department(current_dept):
            ctx.error(r.row, "身份证号", "该身份证号已登记在您管理范围以外的单位，无权修改")
            continue
        current = {k: getattr(person, k) for k in COMPARED}
        if current == values:
            unchanged += 1
            continue
        masked = mask_id_number(number)
        old, new = audit.diff(_state(current, masked), _state(values, masked))
        updates.append({"id": person.id, **values, "updated_at": now})
        events.append(dict(actor_id=actor_id, actor_name=actor_name, action="update", object_type="person",
                           object_id=str(person.id), department_id=dept.id, reason="Excel 导入",
                           summary=f"导入更新人员 {values['name']}", before=old, after=new, ip=ip))
    _report(ctx, total, total)
    if ctx.result.errors:
        return  # nothing is written; the framework reports and rolls back

    for values in inserts:   # given, so that PostgreSQL takes them as arrays (unnest), not row by row
        values["name_key"] = sort_key(values["name"])
    ids = bulk_insert(Person, inserts, return_ids=True)
    for pid, values in zip(ids, inserts):
        events.append(dict(actor_id=actor_id, actor_name=actor_name, action="create", object_type="person",
                           object_id=str(pid), department_id=values["department_id"], reason="Excel 导入",
                           summary=f"导入新增人员 {values['name']}",
                           after=_state(values, mask_id_number(values["id_number"])), ip=ip))
    for values in updates:
        values["name_key"] = sort_key(values["name"])
    bulk_update(Person, updates)
    bulk_insert(AuditEvent, events)
    ctx.result.created = len(inserts)
    ctx.result.updated = len(updates)
    ctx.result.unchanged = unchanged
