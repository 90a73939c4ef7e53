"""考试合格 hours: law_study alone, with a stand-in plugin answering its ``exam_passes`` hook."""
from datetime import date

import pytest
from sqlalchemy import select

from intranet.hookspecs import hookimpl
from intranet.plugins import get_pm
from intranet.testing import login
from intranet_law_study import exam_credits, service, settings
from intranet_law_study.models import APPROVED, EXAM, LOCKED, VOID, HoursEntry

YEAR = date.today().year - 1


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["law_study"], "UPLOAD_FOLDER": str(tmp_path / "uploads")}


class FakeExams:
    def __init__(self):
        self.passes = []

    @hookimpl
    def exam_passes(self, person, year):
        return [p for p in self.passes if p["day"].year == year and (person is None or p["person_id"] == person.id)]


@pytest.fixture
def fake(app):
    plugin = FakeExams()
    get_pm().register(plugin, name="fake_exams")
    yield plugin
    get_pm().unregister(plugin)


def pass_(person, ref="exams:1", day=date(YEAR, 5, 6), hours=None, exam="普法考试"):
    return {"plugin": "fake", "ref": ref, "person_id": person.id, "exam": exam, "day": day, "hours": hours}


def entries(person):
    return list(db_session().scalars(select(HoursEntry).where(HoursEntry.person_id == person.id,
                                                              HoursEntry.source == EXAM).order_by(HoursEntry.id)))


def db_session():
    from intranet.extensions import db
    return db.session


def test_hook_exam_passes(db, org, fake):
    """The hook is defined by law_study and answered by other plugins; each pass is credited once."""
    person = org.staff_person
    fake.passes.append(pass_(person))
    assert get_pm().hook.exam_passes(person=person, year=YEAR) == [[pass_(person)]]
    assert exam_credits.sync(YEAR, person) == 1
    db.session.commit()
    assert exam_credits.sync(YEAR, person) == 0 and exam_credits.sync(YEAR) == 0  # no second credit
    [entry] = entries(person)
    assert entry.state == APPROVED and entry.minutes == 2 * 60 and entry.ref == "exams:1"
    assert entry.evidence == "考试合格：普法考试" and entry.day == date(YEAR, 5, 6)
    [answer] = get_pm().hook.study_hours(person=person, year=YEAR)
    assert answer["by_source"]["考试合格"] == 2 and answer["hours"] == 2


def test_hours_given_by_the_answer_setting_day_cap_and_year_cap(db, org, fake, make_session, attend):
    person = org.staff_person
    settings.put("exam_pass_hours", 3)
    settings.put("exam_cap_hours", 4)
    attend(make_session(org.town_a, held_on=date(YEAR, 6, 1), duration_minutes=7 * 60), [person])
    fake.passes += [pass_(person, "exams:1"), pass_(person, "exams:2", hours=1.5, day=date(YEAR, 5, 7)),
                    pass_(person, "exams:3", day=date(YEAR, 6, 1))]
    exam_credits.sync(YEAR, person)
    db.session.commit()
    by_ref = {e.ref: e.minutes for e in entries(person)}
    assert by_ref == {"exams:1": 180, "exams:2": 90, "exams:3": 60}  # 6月1日: 7 hours already, day cap 8
    summary = service.person_minutes(person.id, YEAR)
    assert summary[EXAM] == 330 and service.credited_minutes(summary) == 7 * 60 + 4 * 60  # exam hours capped at 4


def test_pass_gone_is_voided_and_closed_year_stays_locked(db, org, fake):
    person = org.staff_person
    fake.passes += [pass_(person, "exams:1"), pass_(person, "exams:2", day=date(YEAR, 9, 1))]
    exam_credits.sync(YEAR, person)
    db.session.commit()
    fake.passes.pop()  # e.g. the exam was withdrawn
    exam_credits.sync(YEAR, person)
    db.session.commit()
    assert [e.state for e in entries(person)] == [APPROVED, VOID]
    fake.passes.append(pass_(person, "exams:2", day=date(YEAR, 9, 1)))
    closing = service.close_year(YEAR, org.users["bureau"], today=date.today())
    db.session.commit()
    assert [e.state for e in entries(person)] == [LOCKED, LOCKED] and closing.entries_locked >= 2
    fake.passes.clear()
    fake.passes.append(pass_(person, "exams:9", day=date(YEAR, 10, 1)))
    assert exam_credits.sync(YEAR, person) == 0 and exam_credits.sync(YEAR) == 0
    assert [e.state for e in entries(person)] == [LOCKED, LOCKED]


def test_close_year_credits_everyone_first(db, org, fake):
    fake.passes += [pass_(org.staff_person), pass_(org.users["dept_admin_a"].person or org.staff_person, "exams:5")]
    service.close_year(YEAR, org.users["bureau"], today=date.today())
    db.session.commit()
    assert {e.state for e in entries(org.staff_person)} == {LOCKED}


def test_mine_page_shows_the_exam_credit(client, db, org, fake):
    this_year = date.today().replace(month=1, day=3)
    fake.passes.append(pass_(org.staff_person, day=this_year))
    login(client, org.users["staff_a"])
    html = client.get("/law-study/mine").get_data(as_text=True)
    assert "考试合格：普法考试" in html and "考试合格" in html
    db.session.expire_all()
    assert len(entries(org.staff_person)) == 1  # kept, not only shown


def test_without_any_answering_plugin_nothing_happens(db, org):
    assert exam_credits.sync(YEAR, org.staff_person) == 0


def test_hook_documented_in_readme():
    from pathlib import Path

    from intranet_law_study import hookspecs
    readme = (Path(hookspecs.__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    names = [n for n in dir(hookspecs) if getattr(getattr(hookspecs, n), "intranet_spec", None) is not None]
    assert set(names) >= {"study_hours", "exam_passes"}
    missing = [n for n in names if f"### {n}(" not in readme]
    assert not missing, f"law_study hooks without a '### <name>(' section in its README: {missing}"
