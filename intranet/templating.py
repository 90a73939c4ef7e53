"""Template globals: navigation from ``nav_items``, role labels, helpers."""
from __future__ import annotations

from datetime import date

from flask import request, url_for
from flask_login import current_user

from .access import is_deployment_admin, is_read_only
from .models import ROLES
from .plugins import flatten, get_pm
from .hookspecs import NavItem

CORE_NAV = [
    NavItem("core", "首页", "dashboard.index", 0),
    NavItem("core", "单位", "org.departments", 10, ("admin", "bureau", "dept_admin", "inspector")),
    NavItem("core", "人员", "people.index", 11, ("admin", "bureau", "dept_admin", "inspector")),
    NavItem("core", "数据导入", "imports.index", 80, ("admin", "bureau", "dept_admin")),
    NavItem("core", "年度报告", "reports.index", 90, ("admin", "bureau", "dept_admin", "inspector")),
    NavItem("core", "系统管理", "admin.index", 95, ("admin", "bureau")),
    NavItem("core", "审计日志", "admin.audit", 95, ("inspector",)),
]


def navigation(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    items = CORE_NAV + flatten(get_pm().hook.nav_items(user=user))
    return sorted((i for i in items if not i.roles or user.role in i.roles), key=lambda i: (i.order, i.label))


def page_url(page: int) -> str:
    args = dict(request.args)
    args.update(request.view_args or {})
    args["page"] = page
    return url_for(request.endpoint, **args)


def init_templating(app) -> None:
    @app.context_processor
    def inject():
        return {
            "navigation": lambda: navigation(current_user),
            "ROLES": ROLES,
            "today": date.today(),
            "page_url": page_url,
            "region_name": app.config["REGION_NAME"],
            "read_only": is_read_only(),
            "is_deployment_admin": is_deployment_admin,
        }

    # A global, not only a context variable: macros imported without context use it too.
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.filters["yesno"] = lambda v: "是" if v else "否"
    app.jinja_env.filters["datefmt"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    app.jinja_env.filters["datetimefmt"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    app.jinja_env.filters["percent"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
