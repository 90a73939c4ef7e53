"""The 学法档案 (/people/<id>) with every plugin: a fixed, small number of statements, however many
cards, hours, sessions, exam results and applications the person has.

Each section reads its own rows in one or two statements (see each plugin's ``person_sections``);
a section that goes back to a query per row, or to several queries where one did, breaks the budget.
"""
from datetime import date, timedelta

import pytest

from intranet.testing import count_queries, login

pytest.importorskip("intranet_law_study")
pytest.importorskip("intranet_exams")
pytest.importorskip("intranet_certificates")

YEAR = date.today().year
# the user, the person with the unit, law_study's year figures (one UNION) and its ledger, the
# settings, the exam results (shared with law_study's exam_passes), the exams open to register
# for, the certificates section (cards + pending application + what refusals() asks)
BUDGET = 8


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["law_study", "exams", "certificates", "legal_advisers"],
            "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def add_rows(db, org, person, n: int, start: int) -> None:
    """``n`` of each kind of row the page lists: cards, hours, sessions attended (two laws each),
    exams sat (passed this year, so law_study credits them)."""
    from intranet_certificates.models import Certificate
    from intranet_certificates.states import EXPIRED
    from intranet_exams import service
    from intranet_exams.models import Exam
    from intranet_law_study.models import APPROVED, HELD, LECTURE, PRESENT, SELF_STUDY, Attendance, HoursEntry, \
        SessionLaw, StudySession
    for i in range(start, start + n):
        day = date(YEAR, 1, 1) + timedelta(days=i % 28)
        db.session.add(Certificate(number=f"Q{YEAR}{i:05d}", person_id=person.id, department_id=person.department_id,
                                   category="综合执法", issued_on=date(2010, 1, 1) + timedelta(days=i),
                                   valid_until=date(2012, 1, 1), status=EXPIRED))
        db.session.add(HoursEntry(person_id=person.id, department_id=person.department_id, year=YEAR, day=day,
                                  source=SELF_STUDY, minutes=60, law=f"《第{i}号法》", state=APPROVED))
        session = StudySession(code=f"QS{i:05d}", department_id=person.department_id, kind=LECTURE, held_on=day,
                               year=YEAR, duration_minutes=60, topic=f"讲座{i}", status=HELD)
        db.session.add(session)
        db.session.flush()
        db.session.add_all([SessionLaw(session_id=session.id, name=f"《讲座法{i}》"),
                            SessionLaw(session_id=session.id, name="《宪法》"),
                            Attendance(session_id=session.id, person_id=person.id,
                                       department_id=person.department_id, status=PRESENT)])
        exam = Exam(code=f"QE{i}", name=f"{YEAR}年度普法考试{i}", kind="普法考试", part="", year=YEAR,
                    organiser_id=org.bureau_dept.id, exam_date=day, full_mark=100, pass_mark=60, online=False,
                    audience="list", max_attempts=2, self_registration=False)
        db.session.add(exam)
        db.session.commit()
        service.register(exam, [person], "已报名", None)
        service.record_result(exam, person, "参考", 80, None)
        db.session.commit()


def statements(app, db, client, url) -> list[str]:
    client.get(url)   # the first view may credit new exam passes (a write): counted is the next one
    with app.app_context(), count_queries(db) as queries:
        response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "plugin-error" not in html
    for title in ("学法学时", "行政执法证", "考试"):
        assert title in html
    return list(queries.statements)


def test_the_person_page_costs_the_same_however_many_rows(app, db, org):
    from intranet_certificates.models import CertificateApplication
    person = org.staff_person
    client = app.test_client()
    url = f"/people/{person.id}"
    add_rows(db, org, person, 2, 0)
    login(client, org.users["admin"])
    few = statements(app, db, client, url)
    assert len(few) <= BUDGET, "\n".join(few)

    add_rows(db, org, person, 6, 2)
    db.session.add(CertificateApplication(person_id=person.id, department_id=person.department_id,
                                          category="综合执法", status="待审核"))
    db.session.commit()
    login(client, org.users["admin"])
    many = statements(app, db, client, url)
    assert len(many) <= BUDGET, "\n".join(many)
    html = client.get(url).get_data(as_text=True)
    assert "《讲座法7》" in html and "《第7号法》" in html and f"{YEAR}年度普法考试7" in html
    assert "正在办理的申领" in html and f"Q{YEAR}00007" in html


def test_the_section_figures_add_up(app, db, org):
    """The year's figures come from one UNION statement: hours by state, sessions, laws."""
    from intranet_law_study.figures import person_summary
    from intranet_law_study.models import REPORTED, SELF_STUDY, HoursEntry
    person = org.staff_person
    add_rows(db, org, person, 3, 0)
    db.session.add(HoursEntry(person_id=person.id, department_id=person.department_id, year=YEAR,
                              day=date(YEAR, 2, 1), source=SELF_STUDY, minutes=90, law="《待审法》", state=REPORTED))
    db.session.commit()
    client = app.test_client()
    login(client, org.users["admin"])
    assert client.get(f"/people/{person.id}").status_code == 200   # credits the three passes
    s = person_summary(person, YEAR)
    assert s["sessions"] == 3 and s["pending"] == 1.5
    assert s["by_source"]["自学"] == 3 and s["by_source"]["考试合格"] > 0
    assert "《待审法》" not in s["laws"]
    assert {"《宪法》", "《讲座法0》", "《第2号法》"} <= set(s["laws"])
