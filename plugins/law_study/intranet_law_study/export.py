"""The 学法记录台账 workbook (sessions with laws, speaker and attendance), through the core writer."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet.extensions import db
from intranet.hookspecs import ExportKind
from intranet.spreadsheets import WorkbookWriter

from .models import ABSENT, LEAVE, PRESENT, Attendance, StudySession

COLUMNS = ["活动编号", "单位", "日期", "开始时间", "类型", "主题", "学习法律", "主讲人", "主讲人类型", "时长(分钟)",
           "出席", "缺席", "请假", "状态", "备注"]


def ledger_rows(stmt):
    """Rows of the 台账 for the sessions ``stmt`` selects, in chunks (one attendance query per chunk)."""
    stmt = stmt.options(joinedload(StudySession.department), selectinload(StudySession.laws))
    sessions = list(db.session.scalars(stmt))
    for start in range(0, len(sessions), 1000):
        chunk = sessions[start:start + 1000]
        counts: dict[int, dict[str, int]] = {}
        for sid, status, n in db.session.execute(
                select(Attendance.session_id, Attendance.status, func.count())
                .where(Attendance.session_id.in_([s.id for s in chunk]))
                .group_by(Attendance.session_id, Attendance.status)):
            counts.setdefault(sid, {})[status] = n
        for s in chunk:
            c = counts.get(s.id, {})
            yield [s.code, s.department.name, s.held_on, s.start_time.strftime("%H:%M") if s.start_time else "",
                   s.kind, s.topic, "".join(law.name for law in s.laws), s.speaker, s.speaker_type, s.duration_minutes,
                   c.get(PRESENT, 0), c.get(ABSENT, 0), c.get(LEAVE, 0), s.status, s.notes]


def ledger_workbook(stmt) -> bytes:
    book = WorkbookWriter()
    sheet = book.sheet("学法记录台账")
    sheet.append(COLUMNS)
    for row in ledger_rows(stmt):
        sheet.append(row)
    return book.save()


def _write(path, department) -> None:
    stmt = select(StudySession).order_by(StudySession.held_on, StudySession.id)
    if department is not None:
        stmt = stmt.where(department.subtree_filter(StudySession.department_id))
    with open(path, "wb") as out:
        out.write(ledger_workbook(stmt))


def export_kinds() -> list[ExportKind]:
    return [ExportKind("law_study", "study-ledger", "学法记录台账", _write)]
