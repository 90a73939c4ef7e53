"""Creating and moving departments: the tree's rules (unique codes, no cycles, paths kept)."""
from __future__ import annotations

from sqlalchemy import select, update

from .. import audit
from ..extensions import db
from ..models import DEPARTMENT_KINDS, Department


class OrgError(ValueError):
    """A refused change to the tree; the message is Chinese and shown to the user."""


def create_department(code: str, name: str, kind: str, parent: Department | None = None,
                      *, record_audit: bool = True) -> Department:
    code = (code or "").strip()
    if not code:
        raise OrgError("单位编码不能为空")
    if kind not in DEPARTMENT_KINDS:
        raise OrgError(f"单位类型“{kind}”无效，应为：{'、'.join(DEPARTMENT_KINDS)}")
    if db.session.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise OrgError(f"单位编码 {code} 已存在")
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
