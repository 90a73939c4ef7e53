"""Demo data: this year's sessions of every department with attendance, credited hours and
self-study claims. At city scale (about 300 departments, 20,000 people) this makes about 100,000
attendance rows; everything goes in with bulk inserts."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from intranet.demo import RowBuffer
from intranet.demo_core import reset_sequence
from intranet.extensions import db
from intranet.imports.framework import bulk_insert

from . import settings
from .models import (ABSENT, APPROVED, HELD, LEAVE, LECTURE, MEETING, PLANNED, PRE_MEETING_KINDS, PRESENT, REPORTED,
                     RETURNED, SELF_STUDY, SPEAKER_TYPES, TRAINING, PLAN_ACTIVE, Attendance, HoursEntry, PlanItem, SessionLaw,
                     StudySession)

TOPICS = ["学习习近平法治思想", "学习{law}主要内容", "{law}解读与案例分析", "依法行政与行政执法规范化",
          "行政复议与行政应诉实务", "重大行政决策合法性审查", "以案释法：{law}"]
ABSENT_REASONS = ["出差", "外出执行任务", "病假", "参加上级会议"]
RETURN_REASONS = ["佐证材料不足，请补充学习笔记", "学习内容与法律不符"]


def _day_in(rng, year: int, quarter: int, taken: set, today: date) -> date:
    start = date(year, 3 * quarter - 2, 1)
    for _ in range(20):
        day = start + timedelta(days=rng.randint(0, 88))
        if day not in taken and day.weekday() < 5:
            taken.add(day)
            return day
    day = start + timedelta(days=len(taken))
    taken.add(day)
    return day


def load(scale: str, ctx) -> None:
    rng, year, today = ctx.rng, ctx.year, date.today()
    laws = settings.get("laws")
    people_by_dept: dict[int, list[dict]] = {}
    for p in ctx.people:
        if p["status"] == "在岗":
            people_by_dept.setdefault(p["department_id"], []).append(p)
    sessions, session_laws, used_days = [], {}, {}
    for d in ctx.departments:
        if not people_by_dept.get(d["id"]):
            continue
        taken = used_days.setdefault(d["id"], set())
        kinds = [(PRE_MEETING_KINDS[0] if d["kind"] in ("市", "县(区)", "乡镇(街道)") else PRE_MEETING_KINDS[3], q)
                 for q in (1, 2, 3, 4)]
        kinds += [(LECTURE, 2), (LECTURE, 4)]
        if rng.random() < 0.2:
            kinds.append((TRAINING, rng.randint(1, 4)))
        for n, (kind, quarter) in enumerate(kinds, start=1):
            day = _day_in(rng, year, quarter, taken, today)
            chosen = rng.sample(laws, rng.randint(1, 3))
            duration = {LECTURE: 120, TRAINING: 240}.get(kind, rng.choice([30, 40, 60]))
            code = f"{d['code']}-{year}-{n:02d}"
            sessions.append({"code": code, "department_id": d["id"], "kind": kind, "held_on": day, "year": year,
                             "start_time": time(9, 0) if kind != LECTURE else time(14, 30),
                             "duration_minutes": duration,
                             "topic": rng.choice(TOPICS).format(law=chosen[0]), "speaker": "",
                             "speaker_type": rng.choice(SPEAKER_TYPES[:4]), "notes": "",
                             "status": HELD if day <= today else PLANNED, "approval": "", "approval_note": "",
                             "speaker_minutes": None, "created_by_id": None})
            session_laws[code] = chosen
    # 年度学法计划: most departments planned their sessions in the first quarter (plus one item not held yet)
    planned = [s for s in sessions if rng.random() < 0.85]
    plan_rows = [{"department_id": s["department_id"], "year": year, "month": s["held_on"].month, "topic": s["topic"],
                  "laws": "、".join(session_laws[s["code"]]), "kind": s["kind"], "status": PLAN_ACTIVE,
                  "created_by_id": None, "created_at": datetime(year, 1, 15, 9, 0)} for s in planned]
    bulk_insert(PlanItem, plan_rows)
    plan_ids = {(r[1], r[2], r[3], r[4]): r[0] for r in db.session.execute(
        select(PlanItem.id, PlanItem.department_id, PlanItem.month, PlanItem.topic, PlanItem.kind)
        .where(PlanItem.year == year))}
    for s in planned:
        s["plan_item_id"] = plan_ids.get((s["department_id"], s["held_on"].month, s["topic"], s["kind"]))
    for s in sessions:
        s.setdefault("plan_item_id", None)
    bulk_insert(StudySession, sessions)
    ids = dict(db.session.execute(select(StudySession.code, StudySession.id).where(StudySession.year == year)).all())
    bulk_insert(SessionLaw, [{"session_id": ids[code], "name": n, "listed": True}
                             for code, names in session_laws.items() for n in names])
    # Attendance and its credited hours go out a chunk at a time (a province makes about 1,000,000
    # of each); the ids are given here, so an hours entry points at its attendance row without a read back.
    attendance = RowBuffer(Attendance)
    entries = RowBuffer(HoursEntry, first=attendance)
    next_id = (db.session.scalar(select(func.max(Attendance.id))) or 0) + 1
    stamp = datetime.combine(today, time(9, 0))
    for s in sessions:
        if s["status"] != HELD:
            continue
        sid, law = ids[s["code"]], "".join(session_laws[s["code"]])[:100]
        for p in people_by_dept[s["department_id"]]:
            roll = rng.random()
            status = PRESENT if roll < 0.92 else (LEAVE if roll < 0.96 else ABSENT)
            attendance.add({"id": next_id, "session_id": sid, "person_id": p["id"], "department_id": p["department_id"],
                            "status": status, "reason": rng.choice(ABSENT_REASONS) if status == ABSENT else "",
                            "recorded_by_id": None})
            if status == PRESENT:
                entries.add({"person_id": p["id"], "department_id": p["department_id"], "year": year,
                             "day": s["held_on"], "source": MEETING, "minutes": s["duration_minutes"], "law": law,
                             "evidence": f"学法活动 {s['code']}", "session_id": sid, "attendance_id": next_id,
                             "state": APPROVED, "return_reason": "", "created_by_id": None,
                             "reviewed_by_id": None, "reviewed_at": stamp})
            next_id += 1
    attendance.flush()
    reset_sequence(Attendance.__tablename__)
    last_day = min(today, date(year, 12, 31))
    span = (last_day - date(year, 1, 1)).days
    for dept_id, people in people_by_dept.items():
        for p in people:
            if rng.random() > 0.6 or span < 1:
                continue
            days = set()
            for _ in range(rng.randint(1, 6)):
                day = date(year, 1, 1) + timedelta(days=rng.randint(0, span))
                if day in days or day in used_days.get(dept_id, ()):
                    continue
                days.add(day)
                roll = rng.random()
                state = APPROVED if roll < 0.85 else (REPORTED if roll < 0.95 else RETURNED)
                entries.add({"person_id": p["id"], "department_id": dept_id, "year": year, "day": day,
                             "source": SELF_STUDY, "minutes": 60 * rng.randint(1, 3), "law": rng.choice(laws),
                             "evidence": "学习笔记", "session_id": None, "attendance_id": None, "state": state,
                             "return_reason": rng.choice(RETURN_REASONS) if state == RETURNED else "",
                             "created_by_id": None, "reviewed_by_id": None,
                             "reviewed_at": None if state == REPORTED else stamp})
    entries.flush()
    ctx.echo(f"学法：{len(plan_rows)} 项学法计划，{len(sessions)} 次学法活动，{attendance.count} 人次出勤，{entries.count} 条学时记录")
