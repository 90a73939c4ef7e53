"""Role and department-scope checks used by every view, core and plugin alike.

One answer for the whole site: a record that does not exist is 404; a record that exists but
lies outside the user's department scope (or needs another role) is 403. The access walk
(``intranet.access_walk``) holds every route to it.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user, login_required
from sqlalchemy import Select, false, or_, select

from .extensions import db
from .models import Department
from .roles import BUREAU_ROLES, MANAGE_ROLES, READ_ONLY_ROLES, READ_ROLES  # noqa: F401  (named here too)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def roles_required(*roles: str):
    """Log-in plus one of ``roles``; 403 otherwise."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_roles = roles
        return wrapped
    return decorator


def is_deployment_admin(user=None) -> bool:
    """May ``user`` change deployment-wide settings? The 系统管理员, or a 司法局 user whose scope is
    the whole tree (no department, or the one root department)."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or user.role not in BUREAU_ROLES:
        return False
    if user.role == "admin" or user.department_id is None:
        return True
    roots = db.session.scalars(select(Department.id).where(Department.parent_id.is_(None)).limit(2)).all()
    return roots == [user.department_id]


def deployment_settings_view(view):
    """A deployment-wide settings page: every 司法局 user and the 系统管理员 may read it (GET);
    only ``is_deployment_admin`` users may change it (anything else is 403)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method not in SAFE_METHODS and not is_deployment_admin():
            abort(403, "只有全辖区范围的司法局用户或系统管理员可以修改此设置")
        return view(*args, **kwargs)
    return roles_required(*BUREAU_ROLES)(wrapped)


def scope_root(user=None) -> Department | None:
    """The department whose subtree ``user`` may see; None means the whole tree."""
    user = user or current_user
    if user.sees_everything:
        return None
    return user.department


def in_scope(department_id: int | None, user=None) -> bool:
    user = user or current_user
    root = scope_root(user)
    if root is None:
        return user.sees_everything
    if department_id is None:
        return False
    dept = db.session.get(Department, department_id)
    return dept is not None and dept.is_within(root)


def require_scope(department_id: int | None, write: bool = False, user=None) -> None:
    """Abort 403 unless ``user`` may read (or, with ``write``, change) records of that department."""
    user = user or current_user
    if not in_scope(department_id, user):
        abort(403)
    if write and not user.can_write:
        abort(403)


def scope_filter(column, user=None, *, covering: bool = False):
    """A SQL condition limiting a department-id ``column`` to the user's scope (or None: no limit).

    With ``covering``, departments above the user's own are included too: records about a
    larger area that contains the user's subtree (a city-wide campaign seen by a township).
    """
    user = user or current_user
    root = scope_root(user)
    if root is None:
        return None if user.sees_everything else false()
    # Department.id itself needs no subquery: the path says where a department lies.
    within = root.subtree_filter(None if column is Department.id else column)
    if not covering:
        return within
    above = [int(i) for i in root.path.strip("/").split("/") if i]   # the path is the chain of ids
    return or_(within, column.in_(above))


def apply_scope(stmt, column, user=None, *, covering: bool = False):
    """``stmt`` limited to the user's scope on ``column`` (see :func:`scope_filter`)."""
    cond = scope_filter(column, user, covering=covering)
    return stmt if cond is None else stmt.where(cond)


def statement_scope(user=None):
    """The user's scope as the key of statements built once per scope (``lru_cache``): "all",
    None (nothing) or the department's (id, path); the path is in the key so that a department
    moved elsewhere in the tree gets new statements. :func:`scoped` applies it."""
    user = user or current_user
    root = scope_root(user)
    if root is None:
        return ALL if user.sees_everything else None
    return (root.id, root.path)


def scoped(stmt, column, scope):
    """``stmt`` limited to ``scope`` (a :func:`statement_scope`) on ``column``."""
    return apply_scope(stmt, column, scope_user(scope[0] if isinstance(scope, tuple) else scope))


def departments_in_scope(user=None) -> list[Department]:
    stmt = select(Department).where(Department.active.is_(True)).order_by(Department.path)
    return list(db.session.scalars(apply_scope(stmt, Department.id, user)))


def department_filter(stmt, value, column, user=None) -> tuple[Select, Department | None]:
    """A list page's "单位（含下级）" filter: ``stmt`` limited to the chosen department's subtree.

    ``value`` is the raw ``?department=`` argument (an id). Nothing chosen: ``(stmt, None)``.
    Not a department: 404. A department outside the user's scope: 403 (a tampered request).
    """
    value = "" if value is None else str(value).strip()
    if not value:
        return stmt, None
    from .inputs import bounded_int
    dept_id = bounded_int(value)
    dept = db.session.get(Department, dept_id) if dept_id is not None else None
    if dept is None:
        abort(404, "所选单位不存在")
    require_scope(dept.id, user=user)
    return stmt.where(dept.subtree_filter(None if column is Department.id else column)), dept


def scoped_get(model, ident, department_attr: str = "department_id", write: bool = False):
    """Load ``model`` by id or 404, then check the scope of its department (403)."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    require_scope(getattr(obj, department_attr), write=write)
    return obj


def json_view(view):
    """Mark a view that answers JSON: its errors (400/401/403/404/409/CSRF …) are answered in JSON too."""
    view.json = True
    return view


def visible_get(stmt, model, ident):
    """Load ``model`` by id from ``stmt`` (the records the user may see, e.g. via apply_scope).

    For records whose visibility is not one department column. 404 when the record does not
    exist at all, 403 when it exists but ``stmt`` does not show it to this user.
    """
    obj = db.session.scalar(stmt.where(model.id == ident))
    if obj is None:
        if db.session.get(model, ident) is None:
            abort(404)
        abort(403)
    return obj


def public_view(view):
    """Mark a view as open to the anonymous public (the access test checks every other view)."""
    view.public = True
    return view


def own_account_view(view):
    """Mark a view that even a read-only role may POST to: it changes only the user's own login
    (log out, change password), never records."""
    view.own_account = True
    return view


def is_read_only(user=None) -> bool:
    user = user or current_user
    return bool(getattr(user, "is_authenticated", False)) and user.role in READ_ONLY_ROLES


def view_marked(view, name: str) -> bool:
    """Whether a marker decorator (``public_view``, ``json_view`` …) set ``name`` on ``view`` or what it wraps."""
    while view is not None:
        if getattr(view, name, False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def refuse_read_only_writes():
    """before_request: a read-only role (督察) gets 403 for any changing request, core or plugin."""
    if request.method in SAFE_METHODS or not is_read_only():
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and view_marked(view, "own_account"):
        return None
    abort(403, "督察账户只能查看，不能修改数据")


# --- a scope as a value: the key of stored figures and of statements built once per scope ----

ALL = "all"


def scope_key(user) -> str | int | None:
    """The user's department scope as an argument of a stored figure: "all" (the whole tree), the
    id of the department whose subtree the user sees, or None (nothing; ``scope_user(None)`` sees
    no record). Put it in the arguments of every figure that depends on the scope, so that nobody
    reads another department's figures."""
    root = scope_root(user)
    if root is None:
        return ALL if user.sees_everything else None
    return root.id


class ScopeUser:
    """Stands for a user in intranet.access's scope_filter/apply_scope/scope_root inside a
    computation: sees the whole tree ("all") or one department's subtree (nothing if it is gone).
    ``role``, when the figure depends on it (then it belongs in the figure's arguments, or every
    role that reads the figure must see the same)."""

    def __init__(self, scope: str | int | None, role: str | None = None):
        self.scope, self.role = scope, role
        self.department = db.session.get(Department, scope) if isinstance(scope, int) else None
        self.department_id = self.department.id if self.department else None
        self.sees_everything = scope == ALL


def scope_user(scope: str | int | None, role: str | None = None) -> ScopeUser:
    return ScopeUser(scope, role)
