"""The daily job: contracts past their end date expire."""
from __future__ import annotations

from intranet.extensions import db

from .service import expire_due


def expire_job() -> str:
    n = expire_due()
    db.session.commit()
    return f"已将{n}份超过结束日期的法律顾问合同标记为到期"
