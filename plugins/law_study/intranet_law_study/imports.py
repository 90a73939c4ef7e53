"""Excel imports: study-sessions and study-attendance. All or nothing: any error, nothing is written."""
from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from intranet.access import MANAGE_ROLES
from intranet.extensions import db
from intranet.imports import Column, ImportKind
from intranet.imports.framework import chunks
from intranet.models import Department, Person

from . import service, settings
from .models import (ABSENT, ATTENDANCE_STATUSES, HELD, KINDS, PLAN_ACTIVE, PLANNED, SPEAKER_TYPES, PlanItem, SessionLaw,
                     StudySession, YearClosing)
from .service import MAX_MINUTES, StudyError


def _closed_years() -> set[int]:
    return set(db.session.scalars(select(YearClosing.year)))


def apply_sessions(rows, ctx) -> None:
    today = date.today()
    codes = [r.values["活动编号"] for r in rows]
    existing = set(db.session.scalars(select(StudySession.code).where(StudySession.code.in_(codes)))) if codes else set()
    dept_codes = {r.values["单位编码"] for r in rows}
    departments = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(dept_codes)))}
    closed, known = _closed_years(), settings.known_laws()
    seen, new, laws = set(), [], {}
    for r in rows:
        v = r.values
        code, day, minutes = v["活动编号"].strip(), v["日期"], v["时长(分钟)"]
        if code in seen:
            ctx.error(r.row, "活动编号", f"活动编号 {code} 在文件中重复")
            continue
        seen.add(code)
        if code in existing:
            ctx.error(r.row, "活动编号", f"活动编号 {code} 已存在，不能重复导入")
            continue
        dept = departments.get(v["单位编码"])
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {v['单位编码']} 不存在")
            continue
        if not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权为单位 {dept.name} 导入")
            continue
        if minutes is None or minutes < 1 or minutes > MAX_MINUTES:
            ctx.error(r.row, "时长(分钟)", "时长应在1分钟到8小时（480分钟）之间")
            continue
        if day.year in closed:
            ctx.error(r.row, "日期", f"{day.year}年度学时已由司法局年度锁定，不能再导入该年度的活动")
            continue
        if day <= today and service.needs_approval(v["类型"]):
            ctx.error(r.row, "类型", "已开启会前学法选题报审：会前学法须经审核批准后才能登记为已举行，不能直接导入")
            continue
        names = settings.split_laws(v.get("学习法律") or "")
        flagged = [n for n in names if n not in known]
        if flagged:
            ctx.warning(r.row, "学习法律", f"以下法律不在法律目录中，已导入并标记待核：{''.join(flagged)}")
        laws[code] = [(n, n in known) for n in names]
        new.append({"code": code, "department_id": dept.id, "kind": v["类型"], "held_on": day, "year": day.year,
                    "start_time": None, "duration_minutes": minutes, "topic": v["主题"], "speaker": v.get("主讲人") or "",
                    "speaker_type": v.get("主讲人类型") or "", "notes": "",
                    "status": HELD if day <= today else PLANNED, "approval": "", "approval_note": "",
                    "speaker_minutes": None, "plan_item_id": None,
                    "created_by_id": getattr(ctx.user, "id", None)})
    if ctx.result.errors or not new:
        return
    for batch in chunks(new, 2000):
        db.session.execute(insert(StudySession), batch)
    ids = {}
    for batch in chunks(list(laws), 2000):
        ids.update(db.session.execute(select(StudySession.code, StudySession.id).where(StudySession.code.in_(batch))).all())
    law_rows = [{"session_id": ids[code], "name": n, "listed": listed} for code, names in laws.items()
                for n, listed in names]
    for batch in chunks(law_rows, 5000):
        db.session.execute(insert(SessionLaw), batch)
    ctx.result.created = len(new)


def apply_attendance(rows, ctx) -> None:
    codes = {r.values["活动编号"].strip() for r in rows}
    sessions = {s.code: s for s in db.session.scalars(select(StudySession).where(StudySession.code.in_(codes)))}
    numbers = {r.values["身份证号"] for r in rows}
    people = {}
    for batch in chunks(list(numbers), 2000):
        people.update({p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(batch)))})
    paths = dict(db.session.execute(select(Department.id, Department.path)).all())
    closed = _closed_years()
    seen, groups = set(), {}
    for r in rows:
        v = r.values
        session, person = sessions.get(v["活动编号"].strip()), people.get(v["身份证号"])
        status, reason = v["出勤情况"], (v.get("缺席原因") or "").strip()
        if session is None:
            ctx.error(r.row, "活动编号", f"活动编号 {v['活动编号']} 不存在")
            continue
        if not ctx.may_write_department(session.department):
            ctx.error(r.row, "活动编号", f"无权为单位 {session.department.name} 导入出勤")
            continue
        if session.status != HELD:
            ctx.error(r.row, "活动编号", f"活动 {session.code} 状态为{session.status}，只能为已举行的活动导入出勤")
            continue
        if session.year in closed:
            ctx.error(r.row, "活动编号", f"{session.year}年度学时已由司法局年度锁定，不能再导入该年度的出勤")
            continue
        if person is None:
            ctx.error(r.row, "身份证号", "该身份证号不在人员名单中")
            continue
        if (session.id, person.id) in seen:
            ctx.error(r.row, "身份证号", f"{person.name}在活动 {session.code} 的出勤在文件中重复")
            continue
        seen.add((session.id, person.id))
        inside = (paths.get(person.department_id, "").startswith(paths[session.department_id])
                  if session.open_to_subtree else person.department_id == session.department_id)
        if not inside:
            ctx.error(r.row, "身份证号", service.outside_message(session, person))
            continue
        if status == ABSENT and not reason:
            ctx.error(r.row, "缺席原因", f"{person.name}缺席，请填写缺席原因")
            continue
        groups.setdefault(session.id, (session, {}))[1][person.id] = (status, reason)
    if ctx.result.errors:
        return
    changed = 0
    for session, marks in groups.values():
        try:
            changed += service.record_attendance(session, marks, ctx.user)
        except StudyError as exc:
            ctx.error(0, "", f"活动 {session.code}：{exc}")
            return
    ctx.result.created = changed
    ctx.result.unchanged = len(seen) - changed


def apply_plans(rows, ctx) -> None:
    dept_codes = {r.values["单位编码"] for r in rows}
    departments = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(dept_codes)))}
    closed, new, seen = _closed_years(), [], set()
    for r in rows:
        v = r.values
        dept = departments.get(v["单位编码"])
        key = (v["单位编码"], v["年度"], v["月份"], v["主题"].strip())
        if dept is None:
            ctx.error(r.row, "单位编码", f"单位编码 {v['单位编码']} 不存在")
        elif not ctx.may_write_department(dept):
            ctx.error(r.row, "单位编码", f"无权为单位 {dept.name} 导入")
        elif not 2000 <= v["年度"] <= 2100:
            ctx.error(r.row, "年度", "年度无效")
        elif not 1 <= v["月份"] <= 12:
            ctx.error(r.row, "月份", "月份应为1到12")
        elif v["年度"] in closed:
            ctx.error(r.row, "年度", f"{v['年度']}年度学时已由司法局年度锁定，不能再导入该年度的计划")
        elif key in seen:
            ctx.error(r.row, "主题", "同一单位同一月份的相同主题在文件中重复")
        else:
            seen.add(key)
            names = settings.split_laws(v.get("学习法律") or "")
            new.append({"department_id": dept.id, "year": v["年度"], "month": v["月份"], "topic": v["主题"].strip(),
                        "laws": "、".join(names)[:500], "kind": v["类型"], "status": PLAN_ACTIVE,
                        "created_by_id": getattr(ctx.user, "id", None)})
    if ctx.result.errors or not new:
        return
    for batch in chunks(new, 2000):
        db.session.execute(insert(PlanItem), batch)
    ctx.result.created = len(new)


def import_kinds() -> list[ImportKind]:
    return [
        ImportKind("law_study", "study-sessions", "学法活动", [
            Column("活动编号", max_length=40),
            Column("单位编码", max_length=32),
            Column("日期", "date"),
            Column("类型", "choice", choices=KINDS),
            Column("主题", max_length=200),
            Column("学习法律", required=False, max_length=500, help="多部法律用“、”分隔，如《民法典》、《行政处罚法》"),
            Column("主讲人", required=False, max_length=100),
            Column("主讲人类型", "choice", required=False, choices=SPEAKER_TYPES),
            Column("时长(分钟)", "int", help="1–480"),
        ], apply_sessions, roles=MANAGE_ROLES,
            description="日期不晚于今天的活动导入为“已举行”，之后的导入为“计划”。"),
        ImportKind("law_study", "study-attendance", "学法出勤", [
            Column("活动编号", max_length=40),
            Column("身份证号", "id_number"),
            Column("出勤情况", "choice", choices=ATTENDANCE_STATUSES),
            Column("缺席原因", required=False, max_length=200),
        ], apply_attendance, roles=MANAGE_ROLES,
            description="只能为已举行的活动导入；出席人员按活动时长计入学时。"),
        ImportKind("law_study", "study-plans", "年度学法计划", [
            Column("单位编码", max_length=32),
            Column("年度", "int"),
            Column("月份", "int", help="1–12"),
            Column("主题", max_length=200),
            Column("学习法律", required=False, max_length=500, help="多部法律用“、”分隔"),
            Column("类型", "choice", choices=KINDS),
        ], apply_plans, roles=MANAGE_ROLES),
    ]
