"""With CSRF on, the answer endpoint needs the X-CSRFToken header (the paper's JS sends it)."""
import re

import pytest
from sqlalchemy import select

from intranet.testing import PASSWORD, make_person, make_user
from intranet_exams import online
from intranet_exams.models import Paper


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_answer_needs_csrf_header(db, org, client, online_exam, register_people):
    from flask import g
    exam = online_exam()
    person = make_person(org.town_a)
    user = make_user("staff", org.town_a, person)
    register_people(exam, [person])
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    g.pop("_login_user", None)
    mine = client.get("/exams/mine").get_data(as_text=True)
    assert client.post(f"/exams/{exam.id}/start", data={"csrf_token": _token(mine)}).status_code == 302
    paper = db.session.scalar(select(Paper))
    token = _token(client.get(f"/exams/papers/{paper.id}").get_data(as_text=True))
    qid = paper.question_ids[0]
    refused = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": qid, "answer": "A"})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]  # JSON, not an HTML page
    bare = client.post(f"/exams/papers/{paper.id}/answer", data="{}", headers={"Accept": "text/html"})
    assert bare.status_code == 400 and "CSRF" in bare.get_json()["error"]  # a json_view, whatever is sent
    assert online.answers_of(paper)[qid].revision == 0
    ok = client.post(f"/exams/papers/{paper.id}/answer", json={"question_id": qid, "answer": "A"},
                     headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.json["saved"]["revision"] == 1
