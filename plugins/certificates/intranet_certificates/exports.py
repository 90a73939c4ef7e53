"""Excel export of the roster (登记造册): every valid card by unit, written row by row."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.hookspecs import ExportKind
from intranet.spreadsheets import WorkbookWriter

from .models import Certificate
from .views.certificates import roster_query

HEADER = ["序号", "单位", "姓名", "证件编号", "执法类别", "执法区域", "有效期至"]


def write_roster(path, department=None, progress=None) -> int:
    """Write the roster of ``department``'s subtree (everything when None); returns the rows written.
    ``progress(done, total)`` is told every 1,000 rows."""
    from openpyxl.styles import Font   # here: importing openpyxl would slow every start
    stmt = roster_query()
    if department is not None:
        stmt = stmt.where(department.subtree_filter(Certificate.department_id))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) if progress else 0
    writer = WorkbookWriter()
    sheet = writer.sheet("行政执法人员登记造册")
    for width, letter in zip((6, 36, 12, 20, 14, 24, 12), "ABCDEFG"):
        sheet.ws.column_dimensions[letter].width = width
    sheet.append([sheet.cell(f"行政执法人员登记造册（截至{date.today():%Y年%m月%d日}）", font=Font(bold=True, size=14))])
    sheet.append([sheet.cell(name, font=Font(bold=True)) for name in HEADER])
    n = 0
    for row in db.session.execute(stmt.execution_options(yield_per=2000)):
        n += 1
        sheet.append([n, row.department, row.name, sheet.cell(row.number, number_format="@"), row.category,
                      row.region, row.valid_until])
        if progress and n % 1000 == 0:
            progress(n, total)
    writer.save(path)
    if progress:
        progress(n, max(n, total))
    return n


def export_kinds() -> list[ExportKind]:
    return [ExportKind("certificates", "roster", "行政执法人员登记造册", write_roster,
                       roles=("admin", "bureau", "dept_admin"), progress=True)]
