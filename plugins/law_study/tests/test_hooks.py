"""The hooks: certificate_prerequisites, study_hours, the person section, the dashboard, demo data."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.plugins import flatten, get_pm
from intranet.testing import login
from intranet_law_study import service, settings
from intranet_law_study.models import PRESENT, Attendance, HoursEntry, StudySession

YEAR = date.today().year - 1


@pytest.fixture
def app_config():
    return {"PLUGINS": ["certificates", "law_study"]}


def test_certificate_prerequisite_counts_recent_hours(db, org, make_session, attend):
    person = org.staff_person
    assert [a for a in flatten(get_pm().hook.certificate_prerequisites(person=person)) if a["plugin"] == "law_study"] == []
    settings.put("prerequisite_hours", 2)
    recent = date.today() - timedelta(days=20)
    attend(make_session(org.town_a, held_on=recent, duration_minutes=90), [person])
    attend(make_session(org.town_a, held_on=date.today() - timedelta(days=800), duration_minutes=300), [person])
    [answer] = [a for a in flatten(get_pm().hook.certificate_prerequisites(person=person)) if a["plugin"] == "law_study"]
    assert answer["key"] == "training_hours" and answer["met"] is False and "1.5学时" in answer["detail"]
    attend(make_session(org.town_a, held_on=recent - timedelta(days=1), duration_minutes=30), [person])
    [answer] = [a for a in flatten(get_pm().hook.certificate_prerequisites(person=person)) if a["plugin"] == "law_study"]
    assert answer["met"] is True and "2学时" in answer["detail"]


def test_study_hours_hook(db, org, make_session, attend):
    attend(make_session(org.town_a, duration_minutes=120), [org.staff_person])
    [answer] = get_pm().hook.study_hours(person=org.staff_person, year=YEAR)
    assert answer["hours"] == 2 and answer["target"] == 40 and answer["met"] is False
    assert answer["by_source"]["会议出勤"] == 2


def test_person_section_and_dashboards(client, db, org, make_session, attend):
    this_year = date.today().replace(month=1, day=2)
    attend(make_session(org.town_a, held_on=this_year, duration_minutes=120, laws=["《宪法》"]), [org.staff_person])
    service.log_claim(org.staff_person, source="自学", day=this_year, law="《民法典》", hours=1, evidence="", user=None)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/people/{org.staff_person.id}").get_data(as_text=True)
    assert "学法学时" in html and "《宪法》" in html
    assert "2 / 40" in html
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "待审核自学" in dashboard and "学时未达标人数" in dashboard
    login(client, org.users["staff_a"])
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "我的学法" in dashboard and "已计入学时" in dashboard


def test_demo_data_small(db):
    from intranet.demo import load_demo
    load_demo("small", echo=lambda *_: None)
    present = db.session.scalar(select(func.count()).select_from(Attendance).where(Attendance.status == PRESENT))
    credited = db.session.scalar(select(func.count()).select_from(HoursEntry).where(HoursEntry.source == "会议出勤"))
    assert present > 0 and credited == present
    assert db.session.scalar(select(func.count()).select_from(StudySession).where(
        StudySession.status == "已举行", StudySession.held_on > date.today())) == 0


def test_adviser_lecture_sessions_answers_the_units_lectures_near_the_day(db, org, make_session):
    """The answer to legal_advisers' optional hook (that plugin is not enabled here: nothing breaks)."""
    from intranet_law_study.models import CANCELLED, LECTURE, PLANNED, PRE_MEETING_KINDS
    from intranet_law_study.plugin import adviser_lecture_sessions
    day = date(YEAR, 6, 15)
    near = make_session(org.town_a, kind=LECTURE, held_on=day - timedelta(days=2), topic="民法典", speaker="张律师")
    later = make_session(org.town_a, kind=LECTURE, held_on=day + timedelta(days=20), topic="行政复议法")
    planned = make_session(org.town_a, kind=LECTURE, held_on=day + timedelta(days=1), topic="安全生产法",
                           status=PLANNED)
    make_session(org.town_a, kind=LECTURE, held_on=day - timedelta(days=40), topic="太早")
    make_session(org.town_a, kind=PRE_MEETING_KINDS[0], held_on=day, topic="会前学法")
    make_session(org.town_b, kind=LECTURE, held_on=day, topic="别的单位")
    make_session(org.county, kind=LECTURE, held_on=day, topic="上级单位")
    gone = make_session(org.town_a, kind=LECTURE, held_on=day, topic="撤销的")
    service.cancel_session(gone, None)
    db.session.commit()
    assert gone.status == CANCELLED
    answer = adviser_lecture_sessions(department=org.town_a, day=day)
    assert [a["ref"] for a in answer] == [f"law_study:{s.id}" for s in (planned, near, later)]   # nearest first
    assert answer[1]["label"] == f"{near.held_on.isoformat()} 法治专题讲座：民法典（主讲：张律师）"
    assert answer[0]["label"].endswith("（计划）")
    assert adviser_lecture_sessions(department=org.town_b, day=day - timedelta(days=60)) == []
    # through the plugin manager, as legal_advisers asks (keyword arguments)
    [hooked] = [a for a in flatten(get_pm().hook.adviser_lecture_sessions(department=org.town_a, day=day))][:1]
    assert hooked == answer[0]


def test_person_page_reads_the_year_and_the_ledger_in_one_statement(db, org, make_session, attend):
    """person_page_rows gives what person_year_rows gives and the latest ledger entries, newest
    first, from one statement."""
    from intranet.testing import count_queries
    from intranet_law_study.figures import person_page_rows, person_year_rows
    year = date.today().year
    person = org.staff_person
    attend(make_session(org.town_a, held_on=date(year, 1, 3), duration_minutes=90, laws=["《宪法》"]), [person])
    for day, law in ((date(year, 1, 5), "《民法典》"), (date(year, 1, 4), "《行政处罚法》"), (date(year, 1, 5), "《刑法》")):
        service.log_claim(person, source="自学", day=day, law=law, hours=1, evidence="读书", user=None)
    service.log_claim(person, source="自学", day=date(year - 1, 12, 30), law="《去年》", hours=1, evidence="", user=None)
    db.session.commit()
    pid = person.id
    with count_queries(db) as q:
        year_rows, ledger = person_page_rows(pid, year)
    assert len(q) == 1, q.statements
    assert sorted(year_rows, key=repr) == sorted((tuple(r) for r in person_year_rows(person.id, year)), key=repr)
    expected = db.session.execute(select(HoursEntry.day, HoursEntry.law, HoursEntry.minutes, HoursEntry.state)
                                  .where(HoursEntry.person_id == person.id)
                                  .order_by(HoursEntry.day.desc(), HoursEntry.id.desc())).all()
    assert [(e.day, e.law, e.minutes, e.state) for e in ledger] == [tuple(e) for e in expected]
    assert [e.law for e in ledger][:3] == ["《刑法》", "《民法典》", "《行政处罚法》"] and ledger[-1].law == "《去年》"
