"""Pagination for long lists: one COUNT and one LIMIT/OFFSET query per page (or, for lists ordered
by unit, one grouped COUNT and a page read from the units it spans: :func:`paginate_grouped`, with
the counts from :func:`group_counts` where an index holds them). The counts are reused while the
tables they read are unchanged (:mod:`intranet.counts`)."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import cached_property
from itertools import accumulate

from flask import current_app, request
from sqlalchemy import Integer, bindparam, func, select

from .counts import remember as remember_count
from .extensions import db
from .inputs import DB_INT_MAX
from .models import Department


# The page's bounds in a rows statement built once (see paginate_grouped).
PAGE_LIMIT = bindparam("limit", type_=Integer)
PAGE_OFFSET = bindparam("offset", type_=Integer)


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
    total = remember_count(stmt, lambda: db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())), variant="count")
    last = max(1, -(-total // per_page))
    page = min(page, last)
    query = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(db.session.scalars(query)) if scalars else list(db.session.execute(query))
    return Page(items, page, per_page, total)


class GroupCounts(list):
    """(group, rows) pairs in the list's order. Where each group starts is worked out once: the
    pairs are kept across page views (intranet.counts), and a page then finds its groups by bisection."""

    @cached_property
    def starts(self) -> list[int]:
        return list(accumulate((n for _, n in self), initial=0))

    @property
    def total(self) -> int:
        return self.starts[-1]

    def spanning(self, start: int, end: int) -> tuple[list, int]:
        """The groups holding rows ``start`` to ``end - 1``, and the rows of the first to skip."""
        first = max(0, bisect_right(self.starts, start) - 1)
        past = bisect_left(self.starts, end)
        groups = [key for key, _n in self[first:past]]
        return groups, (start - self.starts[first]) if groups else 0


def group_counts(stmt, key, params: dict | None = None) -> GroupCounts:
    """(department id, rows) of ``stmt``'s rows grouped by ``key`` (a department-id column of the
    list's own table), in tree order (Department.path), for :func:`paginate_grouped`'s ``counts``.

    ``stmt`` should select from that table alone with conditions on its columns (subqueries
    allowed): the count then reads one index holding the filter's columns and ``key``, and the
    units are joined to the ≤ one row per unit it gives, not to every row counted.
    ``params``: the values of ``stmt``'s bound parameters, for a statement built once.
    """
    def count():
        counted = (stmt.order_by(None).with_only_columns(key.label("key"), func.count().label("n"),
                                                          maintain_column_froms=True)
                   .group_by(key).subquery())
        counting = (select(counted.c.key, counted.c.n).join(Department, Department.id == counted.c.key)
                    .order_by(Department.path, counted.c.key))
        return GroupCounts((k, n) for k, n in db.session.execute(counting, params))
    # kept under ``stmt`` itself: a page view that finds the counts kept builds no counting statement
    return remember_count(stmt, count, params=params, variant=("group_counts", str(key)),
                          reads=(Department.__tablename__,))


def paginate_grouped(stmt, group, group_order=(), *, options=(), per_page: int | None = None,
                     scalars: bool = True, rows=None, counts=None, params: dict | None = None) -> Page:
    """:func:`paginate` for a list ordered by groups first (people by unit in tree order): the same
    pages, but a deep page costs no more than the first.

    ``stmt`` carries the list's whole ORDER BY, which starts with ``group_order`` (columns fixed by
    ``group``, e.g. Department.path for Department.id). One GROUP BY query counts the rows of each
    group in that order (the total comes from it); the page's rows are then read from the few
    groups the page spans, so the OFFSET skips rows of one group only, not of every group before.
    ``options`` (loader options such as ``contains_eager``) apply to the page's rows only.
    ``rows(groups)``, when given, is the statement for the rows of those groups (same rows and
    order as ``stmt``), for a list whose joins or subqueries are needed for the page's rows only
    or can be narrowed to those groups.
    ``counts``, when given, are the (group, rows) pairs in the list's order (:func:`group_counts`)
    instead of the GROUP BY of ``stmt`` (which joins whatever ``stmt`` joins to count).

    For statements built once per scope (``functools.lru_cache``; building and keying a statement
    is a good part of a page view), ``params`` are the values of their bound parameters, and
    ``rows`` may be such a statement instead of a function: it then selects the rows of the groups
    bound as ``groups`` (``bindparam("groups", expanding=True)``), limited by the bound ``limit``
    and ``offset`` (:data:`PAGE_LIMIT`, :data:`PAGE_OFFSET`).
    """
    per_page = per_page or current_app.config["PER_PAGE"]
    if counts is None:
        def count():
            counting = (stmt.order_by(None).with_only_columns(group, func.count(), maintain_column_froms=True)
                        .group_by(group, *group_order).order_by(*group_order, group))
            return GroupCounts(tuple(r) for r in db.session.execute(counting, params))
        counts = remember_count(stmt, count, params=params,
                                variant=("grouped", str(group), tuple(map(str, group_order))))
    elif not isinstance(counts, GroupCounts):
        counts = GroupCounts(counts)
    total = counts.total
    last = max(1, -(-total // per_page))
    page = min(requested_page(), last)
    groups, skip = counts.spanning((page - 1) * per_page, page * per_page)
    if not groups:
        return Page([], page, per_page, total)
    if rows is not None and not callable(rows):   # built once: the page's groups and bounds bound
        query, values = rows, {**(params or {}), "groups": groups, "limit": per_page, "offset": skip}
    else:
        query = stmt.where(group.in_(groups)) if rows is None else rows(groups)
        query, values = query.limit(per_page).offset(skip), params
    result = db.session.execute(query.options(*options) if options else query, values)
    return Page(list(result.scalars() if scalars else result), page, per_page, total)
