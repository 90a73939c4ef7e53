"""Test support: the plugin's records of one department for the core's access walk.

Every record here belongs to the department alone (a session, a ledger entry, an evidence file,
a plan item), so a sibling department's users must get 403 on every route that takes its id.
A 集中学法 or 培训班 is open to the holder's own subtree only, never to a sibling: nothing is shared.
"""
from __future__ import annotations

import uuid
from datetime import date

from intranet.extensions import db
from intranet.hookspecs import AccessSamples

from .models import (EVIDENCE_ACTIVE, Attendance, PLAN_ACTIVE, PLANNED, PRE_MEETING_KINDS, REPORTED, SELF_STUDY, Evidence,
                     HoursEntry, PlanItem, StudySession)

PDF = b"%PDF-1.4\n%sample\n"


def samples(department) -> AccessSamples:
    from intranet.testing import make_person

    from .evidence import folder
    person = make_person(department)
    today = date.today()
    item = PlanItem(department_id=department.id, year=today.year, month=today.month, kind=PRE_MEETING_KINDS[0],
                    topic="学习《行政处罚法》", laws="《行政处罚法》", status=PLAN_ACTIVE)
    db.session.add(item)
    db.session.flush()
    session = StudySession(code=f"SAMPLE-{department.id}-{person.id}", department_id=department.id,
                           kind=PRE_MEETING_KINDS[0], held_on=today, year=today.year, duration_minutes=60,
                           topic="学习《行政处罚法》", status=PLANNED, plan_item_id=item.id)
    entry = HoursEntry(person_id=person.id, department_id=department.id, year=today.year, day=today,
                       source=SELF_STUDY, minutes=60, law="《行政处罚法》", evidence="学习笔记", state=REPORTED)
    db.session.add_all([session, entry])
    db.session.flush()
    name = f"{uuid.uuid4().hex}.pdf"
    (folder() / name).write_bytes(PDF)
    evidence = Evidence(session_id=session.id, department_id=department.id, kind="课件材料",
                        original_name="课件.pdf", stored_name=name, mimetype="application/pdf", size=len(PDF),
                        status=EVIDENCE_ACTIVE)
    db.session.add(evidence)
    db.session.flush()

    def grow(n: int) -> None:
        """More people of the department at the session, each with hours of self-study."""
        for _ in range(n):
            other = make_person(department)
            db.session.add_all([
                Attendance(session_id=session.id, person_id=other.id, department_id=department.id, status="出席"),
                HoursEntry(person_id=other.id, department_id=department.id, year=today.year, day=today,
                           source=SELF_STUDY, minutes=60, law="《行政处罚法》", evidence="学习笔记", state=REPORTED),
                HoursEntry(person_id=person.id, department_id=department.id, year=today.year, day=today,
                           source=SELF_STUDY, minutes=30, law="《行政许可法》", evidence="学习笔记", state=REPORTED)])
        db.session.flush()

    return AccessSamples("law_study", grow=grow, query={
        "law_study.compilation": {"department": department.id, "year": today.year}}, ids={
        "session_id": session.id, "entry_id": entry.id, "evidence_id": evidence.id, "item_id": item.id,
    })
