"""Pagination for long lists: one COUNT and one LIMIT/OFFSET query per page."""
from __future__ import annotations

from flask import current_app, request
from sqlalchemy import func, select

from .extensions import db
from .inputs import DB_INT_MAX


class Page:
    def __init__(self, items, page: int, per_page: int, total: int):
        self.items, self.page, self.per_page, self.total = items, page, per_page, total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def requested_page() -> int:
    """``?page=`` as 1..DB_INT_MAX (garbage is page 1; callers clamp to the last page)."""
    try:
        page = int(request.args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), DB_INT_MAX)


def paginate(stmt, per_page: int | None = None, scalars: bool = True) -> Page:
    """Run ``stmt`` for the page named by ``?page=`` (bad values fall back to page 1)."""
    per_page = per_page or current_app.config["PER_PAGE"]
    page = requested_page()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    last = max(1, -(-total // per_page))
    page = min(page, last)
    query = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(db.session.scalars(query)) if scalars else list(db.session.execute(query))
    return Page(items, page, per_page, total)
