"""Creating, changing and moving departments: the tree's rules (unique codes, no cycles, paths kept)."""
from __future__ import annotations

from sqlalchemy import func, select, update

from .. import audit
from ..extensions import db
from ..locking import lock
from ..models import DEPARTMENT_KINDS, Department, Person


class OrgError(ValueError):
    """A refused change to the tree; the message is Chinese and shown to the user."""


def check_code_free(code: str, exclude_id: int | None = None) -> None:
    stmt = select(Department.name).where(Department.code == code)
    if exclude_id is not None:
        stmt = stmt.where(Department.id != exclude_id)
    taken_by = db.session.scalar(stmt)
    if taken_by is not None:
        raise OrgError(f"单位编码 {code} 已存在（{taken_by}），请换一个编码")


def create_department(code: str, name: str, kind: str, parent: Department | None = None,
                      *, record_audit: bool = True) -> Department:
    code = (code or "").strip()
    if not code:
        raise OrgError("单位编码不能为空")
    if kind not in DEPARTMENT_KINDS:
        raise OrgError(f"单位类型“{kind}”无效，应为：{'、'.join(DEPARTMENT_KINDS)}")
    check_code_free(code)
    dept = Department(code=code, name=name.strip(), kind=kind, parent=parent, path="")
    db.session.add(dept)
    db.session.flush()
    dept.path = dept.compute_path()
    if record_audit:
        audit.record("create", "department", dept.id, summary=f"新建单位 {code} {dept.name}",
                     after={"code": code, "name": dept.name, "kind": kind,
                            "parent": parent.code if parent else None}, department_id=dept.id)
    return dept


def would_cycle(dept: Department, new_parent: Department | None) -> bool:
    return new_parent is not None and new_parent.path.startswith(dept.path)


def move_department(dept: Department, new_parent: Department | None) -> None:
    """Re-parent ``dept`` and rewrite the paths of its whole subtree in one statement."""
    if would_cycle(dept, new_parent):
        raise OrgError(f"不能将单位 {dept.name} 的上级设为其自身或其下级单位（会形成循环）")
    old_path = dept.path
    dept.parent = new_parent
    new_path = dept.compute_path()
    if new_path == old_path:
        return
    db.session.flush()
    db.session.execute(
        update(Department)
        .where(Department.path.startswith(old_path, autoescape=True))
        .values(path=new_path + db.func.substr(Department.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def department_state(dept: Department) -> dict:
    """What the audit log keeps of a department."""
    return {"code": dept.code, "name": dept.name, "kind": dept.kind,
            "parent": dept.parent.code if dept.parent else None, "active": dept.active}


def update_department(dept: Department, *, code: str, name: str, kind: str,
                      parent: Department | None, reason: str = "") -> bool:
    """Change a department's fields and parent, audited. Returns False when nothing changed.

    Everything is checked before anything changes, so a refusal leaves the session as it was.
    """
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise OrgError("单位编码不能为空")
    if not name:
        raise OrgError("单位名称不能为空")
    if kind not in DEPARTMENT_KINDS:
        raise OrgError(f"单位类型“{kind}”无效，应为：{'、'.join(DEPARTMENT_KINDS)}")
    if code != dept.code:
        check_code_free(code, exclude_id=dept.id)
    if would_cycle(dept, parent):
        raise OrgError(f"不能将单位 {dept.name} 的上级设为其自身或其下级单位（会形成循环）")
    before = department_state(dept)
    dept_id = dept.id
    dept.code, dept.name, dept.kind = code, name, kind
    if (parent.id if parent else None) != dept.parent_id:
        move_department(dept, parent)
        dept = db.session.get(Department, dept_id)
    after = department_state(dept)
    old, new = audit.diff(before, after)
    if not new:
        return False
    audit.record("update", "department", dept_id, summary=f"修改单位 {dept.code} {dept.name}",
                 reason=reason, before=old, after=new, department_id=dept_id)
    return True


def active_children_count(dept: Department) -> int:
    return db.session.scalar(select(func.count()).select_from(Department)
                             .where(Department.parent_id == dept.id, Department.active.is_(True)))


def on_duty_people_count(dept: Department) -> int:
    return db.session.scalar(select(func.count()).select_from(Person)
                             .where(Person.department_id == dept.id, Person.status == "在岗"))


def set_department_active(dept: Department, active: bool, reason: str = "") -> None:
    """Deactivate (never delete) or reactivate a department, audited.

    A department with active sub-units or staff on duty cannot be deactivated; one under a
    deactivated parent cannot be reactivated.
    """
    lock(dept)
    if dept.active == active:
        raise OrgError("该单位已是停用状态" if not active else "该单位已是启用状态")
    if not active:
        children = active_children_count(dept)
        if children:
            raise OrgError(f"该单位下还有 {children} 个启用的下级单位，请先停用或调整下级单位")
        people = on_duty_people_count(dept)
        if people:
            raise OrgError(f"该单位还有 {people} 名在岗人员，请先调整人员所在单位或状态")
    elif dept.parent is not None and not dept.parent.active:
        raise OrgError(f"上级单位 {dept.parent.name} 已停用，请先启用上级单位")
    dept.active = active
    audit.record("activate" if active else "deactivate", "department", dept.id,
                 summary=f"{'启用' if active else '停用'}单位 {dept.code} {dept.name}", reason=reason,
                 before={"active": not active}, after={"active": active}, department_id=dept.id)
