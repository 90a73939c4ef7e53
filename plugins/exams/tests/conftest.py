"""Fixtures for the exams plugin's tests (the core's come from intranet.testing)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest


@pytest.fixture
def make_exam(db, org):
    """make_exam(**fields) → a committed Exam (offline, 100/60, organised by the 司法局)."""
    from intranet_exams.models import Exam
    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        values = dict(code=f"T{counter['n']:03d}", name=f"测试考试{counter['n']}", kind="普法考试", part="",
                      year=date.today().year, organiser_id=org.bureau_dept.id, exam_date=date.today(),
                      full_mark=100, pass_mark=60, online=False, audience="list", max_attempts=2,
                      self_registration=False)
        values.update(fields)
        exam = Exam(**values)
        db.session.add(exam)
        db.session.commit()
        return exam
    return make


@pytest.fixture
def register_people(db):
    """register_people(exam, people, status="已报名") → registrations (committed)."""
    from intranet_exams import service

    def register(exam, people, status="已报名"):
        service.register(exam, list(people), status, None)
        db.session.commit()
        return [service.registration_of(exam, p) for p in people]
    return register


@pytest.fixture
def online_exam(db, make_exam):
    """An open online exam with a bank of 8 单选, 4 多选, 6 判断 and a blueprint of 3 + 2 + 3."""
    from intranet_exams.models import BlueprintRule, PaperBlueprint, Question

    def make(minutes=30, **fields):
        now = datetime.now()
        exam = make_exam(kind="宪法法律考试", online=True, exam_date=None, opens_at=now - timedelta(days=1),
                         closes_at=now + timedelta(days=1), **fields)
        for i in range(8):
            db.session.add(Question(law="《行政处罚法》", qtype="单选", stem=f"单选题干{i}", options=["甲", "乙", "丙", "丁"],
                                    answer="ABCD"[i % 4], explanation=f"单选解析标记{i}"))
        for i in range(4):
            db.session.add(Question(law="《行政许可法》", qtype="多选", stem=f"多选题干{i}", options=["甲", "乙", "丙", "丁"],
                                    answer=["AB", "BC", "ACD", "BD"][i], explanation=f"多选解析标记{i}"))
        for i in range(6):
            db.session.add(Question(law="《民法典》", qtype="判断", stem=f"判断题干{i}", options=["正确", "错误"],
                                    answer="AB"[i % 2], explanation=f"判断解析标记{i}"))
        blueprint = PaperBlueprint(exam_id=exam.id, time_limit_minutes=minutes)
        db.session.add(blueprint)
        db.session.flush()
        for qtype, count, points in (("单选", 3, 2), ("多选", 2, 3), ("判断", 3, 2)):
            db.session.add(BlueprintRule(blueprint_id=blueprint.id, qtype=qtype, law="", count=count, points=points))
        db.session.commit()
        return exam
    return make
