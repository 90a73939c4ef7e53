"""Template globals: navigation from ``nav_items``, role labels, helpers."""
from __future__ import annotations

from datetime import date

from flask import g, request, url_for
from flask_login import current_user

from .access import is_deployment_admin, is_read_only
from .models import ROLES
from .plugins import PluginFailure, call_safely, failure_notice
from .hookspecs import NavItem

CORE_NAV = [
    NavItem("core", "首页", "dashboard.index", 0),
    NavItem("core", "单位", "org.departments", 10, ("admin", "bureau", "dept_admin", "inspector")),
    NavItem("core", "人员", "people.index", 11, ("admin", "bureau", "dept_admin", "inspector")),
    NavItem("core", "数据导入", "imports.index", 80, ("admin", "bureau", "dept_admin")),
    NavItem("core", "数据导出", "exports.index", 81, ("admin", "bureau", "dept_admin")),
    NavItem("core", "后台任务", "jobs.index", 82, ("admin", "bureau", "dept_admin", "staff", "inspector")),
    NavItem("core", "年度报告", "reports.index", 90, ("admin", "bureau", "dept_admin", "inspector")),
    NavItem("core", "系统管理", "admin.index", 95, ("admin", "bureau")),
    NavItem("core", "审计日志", "admin.audit", 95, ("inspector",)),
]


def navigation_and_failures(user) -> tuple[list[NavItem], list[PluginFailure]]:
    """The nav items ``user`` sees, and the plugins whose ``nav_items`` raised (once per request)."""
    if not user.is_authenticated:
        return [], []
    if "_navigation" not in g:
        found, failures = call_safely("nav_items", expect=NavItem, user=user)
        items = sorted((i for i in CORE_NAV + found if not i.roles or user.role in i.roles),
                       key=lambda i: (i.order, i.label))
        g._navigation = (items, failures)
    return g._navigation


def navigation(user) -> list[NavItem]:
    return navigation_and_failures(user)[0]


def public_links() -> tuple[list[NavItem], list[PluginFailure]]:
    """Links to the public pages (the plugins' ``public_links`` and the core's published reports), for the login page."""
    links, failures = call_safely("public_links", expect=NavItem)
    from .reports.submissions import any_published
    if any_published():
        links.append(NavItem("core", "法治政府建设年度报告公开", "published_reports.published", order=900))
    return sorted(links, key=lambda i: (i.order, i.label)), failures


def shows_error_reference() -> bool:
    """Only a 系统管理员 sees the error reference of a plugin failure (it points into the log)."""
    return current_user.is_authenticated and current_user.role == "admin"


def page_url(page: int) -> str:
    args = dict(request.args)
    args.update(request.view_args or {})
    args["page"] = page
    return url_for(request.endpoint, **args)


class UrlPattern:
    """``url_for(endpoint, **fixed, <key>=value)`` for many integer values of one argument, with
    the route built once: a long list's rows each link to the same view of another id, and
    building every link anew is a good part of rendering the list."""

    _MARK = 7234567890123456789   # an id no table holds, to find where the value goes

    def __init__(self, endpoint: str, key: str, **fixed):
        built = url_for(endpoint, **fixed, **{key: self._MARK})
        self._head, found, self._tail = built.partition(str(self._MARK))
        if not found:
            raise ValueError(f"{endpoint}: {key} does not appear in its URL")

    def __call__(self, value) -> str:
        return f"{self._head}{int(value)}{self._tail}"


def init_templating(app) -> None:
    @app.context_processor
    def inject():
        return {
            "navigation": lambda: navigation(current_user),
            "navigation_failures": lambda: navigation_and_failures(current_user)[1],
            "public_links": public_links,
            "ROLES": ROLES,
            "today": date.today(),
            "page_url": page_url,
            "region_name": app.config["REGION_NAME"],
            "read_only": is_read_only(),
            "is_deployment_admin": is_deployment_admin,
        }

    # A global, not only a context variable: macros imported without context use it too.
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["failure_notice"] = failure_notice
    app.jinja_env.globals["url_pattern"] = UrlPattern
    app.jinja_env.globals["shows_error_reference"] = shows_error_reference
    app.jinja_env.filters["yesno"] = lambda v: "是" if v else "否"
    app.jinja_env.filters["datefmt"] = lambda d: d.strftime("%Y-%m-%d") if d else ""
    app.jinja_env.filters["datetimefmt"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
    app.jinja_env.filters["percent"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
