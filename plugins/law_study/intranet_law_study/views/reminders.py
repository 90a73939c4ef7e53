"""The reminder list: people behind their hours target, departments with no session this quarter."""
from __future__ import annotations

import io
from datetime import date, timedelta

from flask import render_template, send_file
from sqlalchemy.orm import joinedload

from intranet.access import roles_required, scope_filter
from intranet.extensions import db
from intranet.inputs import arg_int
from intranet.models import Person
from intranet.pagination import paginate_grouped
from intranet.spreadsheets import WorkbookWriter

from ..figures import behind_target_stmt, departments_without_session, hours
from . import LIST_ROLES, bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def quarter(today: date) -> tuple[date, date]:
    first = 3 * ((today.month - 1) // 3) + 1
    end = date(today.year + (first == 10), (first + 2) % 12 + 1, 1)
    return date(today.year, first, 1), end - timedelta(days=1)


def _cond(column):
    return scope_filter(column)


@bp.route("/reminders")
@roles_required(*LIST_ROLES)
def reminders():
    today = date.today()
    year = arg_int("year", today.year, maximum=9999)
    page = paginate_grouped(behind_target_stmt(year, _cond), Person.department_id, [], scalars=False,
                            options=[joinedload(Person.department)],
                            rows=lambda groups: behind_target_stmt(year, lambda column: column.in_(groups)))
    start, end = quarter(today)
    idle = departments_without_session(start, end, _cond)
    return render_template("law_study/reminders.html", page=page, year=year, idle=idle, start=start, end=end,
                           hours=hours)


@bp.route("/reminders.xlsx")
@roles_required(*LIST_ROLES)
def reminders_export():
    year = arg_int("year", date.today().year, maximum=9999)
    book = WorkbookWriter()
    sheet = book.sheet("学时未达标人员")
    sheet.append(["单位", "姓名", "职务", "执法岗位", "已计入学时", "年度目标", "差额"])
    rows = db.session.execute(behind_target_stmt(year, _cond).options(joinedload(Person.department))
                              .execution_options(yield_per=2000))
    for person, minutes, target in rows:
        sheet.append([person.department.name, person.name, person.title, "是" if person.enforcement_post else "否",
                      hours(minutes), hours(target), hours(target - minutes)])
    start, end = quarter(date.today())
    idle = book.sheet("本季度未开展学法的单位")
    idle.append(["单位", "单位类型"])
    for d in departments_without_session(start, end, _cond):
        idle.append([d.name, d.kind])
    return send_file(io.BytesIO(book.save()), mimetype=XLSX, as_attachment=True,
                     download_name=f"学法提醒名单{year}.xlsx")
