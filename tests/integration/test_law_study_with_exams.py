"""The law_study and exams plugins together: an exam passed is credited in the 学时台账.

Neither plugin imports the other: law_study defines ``exam_passes``, exams answers it.
"""
from datetime import date

import pytest
from sqlalchemy import select

from intranet.testing import login

pytest.importorskip("intranet_law_study")
pytest.importorskip("intranet_exams")

YEAR = date.today().year - 1


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["law_study", "exams"], "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def sit(db, org, person, score, code="PF1", day=date(YEAR, 4, 8), active=True):
    from intranet_exams import service
    from intranet_exams.models import Exam
    exam = Exam(code=code, name=f"{YEAR}年度普法考试{code}", kind="普法考试", part="", year=day.year,
                organiser_id=org.bureau_dept.id, exam_date=day, full_mark=100, pass_mark=60, online=False,
                audience="list", max_attempts=2, self_registration=False)
    db.session.add(exam)
    db.session.commit()
    service.register(exam, [person], "已报名", None)
    service.record_result(exam, person, "参考", score, None)
    exam.active = active
    db.session.commit()
    return exam


def ledger(db, person):
    from intranet_law_study.models import HoursEntry
    return list(db.session.scalars(select(HoursEntry).where(HoursEntry.person_id == person.id,
                                                            HoursEntry.source == "考试合格").order_by(HoursEntry.id)))


def test_a_passed_exam_is_credited_once_and_locks_with_the_year(client, db, org):
    from intranet.plugins import get_pm
    from intranet_law_study import service, settings
    person = org.staff_person
    passed = sit(db, org, person, 85)
    sit(db, org, person, 40, code="PF2")                       # failed: no credit
    sit(db, org, person, 90, code="PF3", active=False)         # withdrawn exam: no credit
    settings.put("exam_pass_hours", 3)
    db.session.commit()
    [answer] = get_pm().hook.study_hours(person=person, year=YEAR)
    assert answer["by_source"]["考试合格"] == 3
    db.session.commit()
    [entry] = ledger(db, person)
    assert entry.ref == f"exams:{passed.id}" and entry.evidence == f"考试合格：{passed.title}" and entry.day == date(YEAR, 4, 8)
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "考试合格" in html and passed.title in html
    service.close_year(YEAR, org.users["bureau"], today=date.today())
    db.session.commit()
    assert [e.state for e in ledger(db, person)] == ["已锁定"]
    sit(db, org, person, 95, code="PF4", day=date(YEAR, 11, 2))  # passed after the closing: the year stays as locked
    get_pm().hook.study_hours(person=person, year=YEAR)
    db.session.commit()
    assert [e.state for e in ledger(db, person)] == ["已锁定"]


def test_exam_cap_applies(db, org):
    from intranet_law_study import service, settings
    person = org.staff_person
    settings.put("exam_cap_hours", 3)
    for code in ("A1", "A2"):
        sit(db, org, person, 80, code=code)
    from intranet_law_study.exam_credits import sync
    sync(YEAR)
    db.session.commit()
    by_source = service.person_minutes(person.id, YEAR)
    assert by_source["考试合格"] == 4 * 60 and service.credited_minutes(by_source) == 3 * 60
