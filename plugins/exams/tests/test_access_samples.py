"""The plugin's access samples are real records, and the core's scope walk bites on its routes."""
from __future__ import annotations

from flask_login import login_required

from intranet.access_walk import scope_problems, sibling_samples, view_attr
from intranet.testing import login


def _ids(samples):
    [mine] = [s for s in samples if s.plugin == "exams"]
    return mine.ids


def test_samples_are_records_the_organiser_and_the_bureau_open(db, client, org):
    ids = _ids(sibling_samples(org.town_b))
    login(client, org.users["dept_admin_b"])    # the organiser's administrator
    assert client.get(f"/exams/{ids['exam_id']}").status_code == 200
    assert client.get(f"/exams/{ids['exam_id']}/results/new").status_code == 200
    assert client.get(f"/exams/registrations/{ids['registration_id']}/exemption").status_code == 200
    login(client, org.users["bureau"])
    assert client.get(f"/exams/questions/{ids['question_id']}").status_code == 200
    assert client.get(f"/exams/{ids['exam_id']}/blueprint").status_code == 200


def test_shared_exam_pages_are_only_reading_and_registering(db, org):
    [mine] = [s for s in sibling_samples(org.town_b) if s.plugin == "exams"]
    assert set(mine.shared) <= {"exams.detail", "exams.by_department", "exams.exemptions", "exams.export_results",
                                "exams.register", "exams.confirm", "exams.self_register", "exams.start"}
    assert all(mine.shared.values())     # each says why


def test_walk_catches_a_role_check_swapped_for_login_required(app, db, org, monkeypatch):
    """The question bank is the 司法局's; with login_required instead of roles_required a
    单位管理员 of another department opens a question, and the walk names that route."""
    view = app.view_functions["exams.question"]
    assert view_attr(view, "required_roles")
    monkeypatch.setitem(app.view_functions, "exams.question", login_required(view.__wrapped__))
    samples = sibling_samples(org.town_b)
    problems = scope_problems(app, db, org.users["dept_admin_a"], samples, org.town_b)
    assert problems and all("(exams.question)" in p for p in problems), problems
    assert "200, expected 403" in problems[0]
