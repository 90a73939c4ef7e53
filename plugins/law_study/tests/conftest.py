"""Fixtures of the law_study tests. The core's (app, db, org, make_person, login, …) come from
``intranet.testing`` through the core's ``pytest11`` entry point: no ``pytest_plugins`` here."""
from __future__ import annotations

from datetime import date

import pytest

from intranet.schema import create_all

YEAR = date.today().year - 1   # a past year: every date in it may be marked held


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGIN_SOURCES": {"law_study": "intranet_law_study.plugin"}, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture(autouse=True)
def _tables(request):
    if "app" in request.fixturenames:
        create_all(request.getfixturevalue("app"))


@pytest.fixture
def make_session(db):
    """make_session(department, **fields) → a committed StudySession (held, 60 minutes, last year)."""
    from intranet_law_study import service
    from intranet_law_study.models import HELD, PRE_MEETING_KINDS

    def make(department, **fields):
        values = dict(department_id=department.id, kind=PRE_MEETING_KINDS[0], held_on=date(YEAR, 3, 10),
                      duration_minutes=60, topic="学习《民法典》", laws=["《民法典》"], status=HELD)
        values.update(fields)
        session = service.save_session(None, service.SessionValues(**values), None, today=date.today())
        db.session.commit()
        return session
    return make


@pytest.fixture
def attend(db):
    """attend(session, {person: status} or [people]) records attendance (present by default) and commits."""
    from intranet_law_study import service

    def record(session, people, reason="出差"):
        marks = people if isinstance(people, dict) else {p: "出席" for p in people}
        service.record_attendance(session, {p.id: (s, reason if s == "缺席" else "") for p, s in marks.items()}, None)
        db.session.commit()
    return record
