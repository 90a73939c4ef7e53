"""A person's 学法档案 for a year as a Word file (for the 年度述职), in the core's 公文 layout."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intranet.extensions import db
from intranet.reports.docx import GongwenWriter

from .figures import person_summary
from .models import HELD, PRESENT, SOURCES, VOID, Attendance, HoursEntry, StudySession
from .service import fmt_hours


def archive_docx(person, year: int) -> bytes:
    """The year's hours by source against the target, the sessions attended, the laws studied and
    the ledger, as a .docx."""
    s = person_summary(person, year)
    w = GongwenWriter()
    w.title(f"{person.name}{year}年度学法情况")
    w.paragraph(f"单位：{person.department.name}　　职务：{person.title or '—'}")
    w.heading("一、学时情况", level=1)
    met = "已达到" if s["met"] else "未达到"
    w.body_text(f"{year}年已计入学时{s['hours']:g}学时，年度目标{s['target']}学时，{met}目标。"
                + (f"另有{s['pending']:g}学时待单位审核。" if s["pending"] else ""))
    w.table("学时来源", ["来源", "学时"], [[src, f"{s['by_source'][src]:g}"] for src in SOURCES])
    w.heading("二、参加学法活动", level=1)
    sessions = db.session.execute(
        select(StudySession).join(Attendance, Attendance.session_id == StudySession.id)
        .where(Attendance.person_id == person.id, Attendance.status == PRESENT, StudySession.status == HELD,
               StudySession.year == year).order_by(StudySession.held_on, StudySession.id)).scalars().all()
    if sessions:
        w.body_text(f"全年参加学法活动{len(sessions)}次。")
        w.table("参加的学法活动", ["日期", "类型", "主题", "时长（分钟）"],
                [[x.held_on, x.kind, x.topic, x.duration_minutes] for x in sessions])
    else:
        w.body_text("本年度没有参加学法活动的出席记录。")
    w.heading("三、学习的法律法规", level=1)
    w.body_text("".join(s["laws"]) if s["laws"] else "本年度暂无记录。")
    w.heading("四、学时台账", level=1)
    entries = db.session.scalars(select(HoursEntry).where(
        HoursEntry.person_id == person.id, HoursEntry.year == year, HoursEntry.state != VOID)
        .order_by(HoursEntry.day, HoursEntry.id)).all()
    w.table("学时台账", ["日期", "来源", "学时", "法律", "状态"],
            [[e.day, e.source, fmt_hours(e.minutes), e.law, e.state] for e in entries])
    w.signature(person.department.name, date.today())
    return w.save()
