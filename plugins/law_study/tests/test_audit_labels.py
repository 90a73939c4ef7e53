"""Every audit action and object type the plugin records has a Chinese label; sessions are linked."""
from __future__ import annotations

import ast
from pathlib import Path

from intranet.testing import login

SOURCE = Path(__file__).resolve().parent.parent / "intranet_law_study"


def _strings(node) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def recorded() -> tuple[set[str], set[str]]:
    """(actions, object types) named in the plugin's ``audit.record`` calls (and the approval steps)."""
    actions, objects = set(), set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "record" and getattr(func.value, "id", "") == "audit":
                actions |= _strings(node.args[0])
                objects |= _strings(node.args[1])
            elif getattr(func, "id", "") == "_approval_step":
                actions |= _strings(node.args[3])
    return actions, objects


def test_every_recorded_action_and_object_has_a_chinese_label(app):
    from intranet.admin import vocabulary
    actions, objects = recorded()
    assert {"law_study.held", "law_study.submit", "create"} <= actions and "law_study_session" in objects
    with app.test_request_context():
        words = vocabulary()
    assert sorted(a for a in actions if a not in words.actions) == []
    assert sorted(o for o in objects if o not in words.objects) == []


def test_audit_log_names_a_held_session_in_chinese_and_links_it(client, db, org, make_session):
    from intranet_law_study import service
    from intranet_law_study.models import PLANNED
    session = make_session(org.town_a, status=PLANNED)
    service.mark_held(session, org.users["dept_admin_a"])
    db.session.commit()
    login(client, org.users["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert ">登记已举行<" in html and f'href="/law-study/sessions/{session.id}">学法活动 {session.id}</a>' in html
    assert "law_study.held" not in html.replace('value="law_study.held"', "")
