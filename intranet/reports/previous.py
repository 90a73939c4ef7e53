"""The previous year's figures beside this year's (Excel summary sheet).

A report dict may carry them as ``"previous"``: either ``{"plugin.key": figures}`` or a whole
assembled report of the year before (for example frozen with a submission). Without them they are
asked of the plugins now for ``year - 1`` and the same department (figures only: no sentences,
tables or charts are built for them).
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Department
from .assemble import previous_figures as figures_of_year


def by_fragment(report: dict) -> dict[str, dict]:
    return {f"{f['plugin']}.{f['key']}": f.get("figures") or {} for f in report.get("fragments", [])}


def previous_figures(report: dict) -> dict[str, dict]:
    """``{"plugin.key": figures}`` of the year before ``report["year"]``; empty when there is none."""
    given = report.get("previous")
    if isinstance(given, dict):
        return by_fragment(given) if "fragments" in given else given
    code = (report.get("department") or {}).get("code")
    department = db.session.scalar(select(Department).where(Department.code == code)) if code else None
    if department is None:
        return {}
    return figures_of_year(int(report["year"]) - 1, department)
