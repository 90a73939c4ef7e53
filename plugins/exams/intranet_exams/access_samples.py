"""Test support: the plugin's records of one department for the core's access walk.

An exam is not private to its organiser: every department sees the list of exams and registers
its own people (the pages show only the viewer's registrations, exemptions and results). So the
exam's reading and registering pages are ``shared``; managing it (edit, withdraw, paper rules,
results, exemption decisions) stays with the organiser and the 司法局 and is walked as usual.
The question bank belongs to no department: its pages are the 司法局's, so a department's users
are refused there too.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from intranet.extensions import db
from intranet.hookspecs import AccessSamples

from .models import BlueprintRule, Exam, ExamResult, Exemption, Paper, PaperBlueprint, Question, Registration

SHARED_EXAM_PAGES = {
    "exams.detail": "考试对各单位公开，页面只列出本单位范围内的报名",
    "exams.by_department": "各单位参考情况只统计本单位范围",
    "exams.exemptions": "只列出本单位范围内的免考申请",
    "exams.export_results": "成绩册只含本单位范围内的人员",
    "exams.register": "各单位为本单位人员报名",
    "exams.confirm": "各单位确认本单位人员的报名",
    "exams.self_register": "符合应考范围的人员可个人报名",
    "exams.start": "已报名的人员参加在线考试",
}


def samples(department) -> AccessSamples:
    from intranet.testing import make_person
    person = make_person(department)
    now = datetime.now().replace(microsecond=0)
    # An online exam under way, for the department's own people, one of whom has a paper open.
    exam = Exam(code=f"SAMPLE-{department.id}-{person.id}", name=f"{department.name}普法考试", kind="普法考试",
                year=date.today().year, organiser_id=department.id, online=True, opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=1), audience="subtree", audience_department_id=department.id,
                self_registration=False)
    question = Question(law="《行政处罚法》", qtype="单选", stem="样例题干", options=["甲", "乙", "丙", "丁"], answer="A")
    db.session.add_all([exam, question])
    db.session.flush()
    question.origin_id = question.id
    registration = Registration(exam_id=exam.id, person_id=person.id, department_id=department.id, status="已报名",
                                registered_at=datetime.now())
    exemption = Exemption(exam_id=exam.id, person_id=person.id, department_id=department.id, reason="其他")
    blueprint = PaperBlueprint(exam_id=exam.id, time_limit_minutes=60)
    paper = Paper(exam_id=exam.id, person_id=person.id, question_ids=[question.id], points=[1],
                  started_at=now, deadline=now + timedelta(hours=1))
    db.session.add_all([registration, exemption, blueprint, paper])
    db.session.flush()
    rule = BlueprintRule(blueprint_id=blueprint.id, qtype="单选", count=1, points=1)
    db.session.add(rule)
    db.session.flush()

    def grow(n: int) -> None:
        """More people of the department registered for the exam, with a result and an exemption request."""
        for _ in range(n):
            other = make_person(department)
            db.session.add_all([
                Registration(exam_id=exam.id, person_id=other.id, department_id=department.id, status="已报名",
                             registered_at=datetime.now()),
                Exemption(exam_id=exam.id, person_id=other.id, department_id=department.id, reason="其他"),
                ExamResult(exam_id=exam.id, person_id=other.id, department_id=department.id, status="参考",
                           score=80, passed=True)])
        db.session.flush()

    return AccessSamples("exams", grow=grow, values={"kind_name": "exam-results"}, ids={
        "exam_id": exam.id, "registration_id": registration.id, "exemption_id": exemption.id,
        "paper_id": paper.id, "rule_id": rule.id, "question_id": question.id,
    }, shared=dict(SHARED_EXAM_PAGES))
