"""The plugin's access samples are real records of their department."""
from __future__ import annotations

from intranet.access_walk import sibling_samples
from intranet.testing import login


def test_samples_are_records_their_department_opens_and_reviews(db, client, org):
    from intranet_law_study.models import APPROVED, HoursEntry
    [mine] = [s for s in sibling_samples(org.town_b) if s.plugin == "law_study"]
    ids = mine.ids
    assert not mine.shared      # nothing of the plugin is visible to a sibling department
    db.session.commit()
    login(client, org.users["dept_admin_b"])
    session = ids["session_id"]
    for url in (f"/law-study/sessions/{session}", f"/law-study/sessions/{session}/edit",
                f"/law-study/sessions/{session}/attendance", f"/law-study/sessions/{session}/sign-in",
                f"/law-study/evidence/{ids['evidence_id']}"):
        assert client.get(url).status_code == 200, url
    assert f"/law-study/plans/{ids['item_id']}/withdraw" in client.get("/law-study/plans").get_data(as_text=True)
    assert client.post(f"/law-study/entries/{ids['entry_id']}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(HoursEntry, ids["entry_id"]).state == APPROVED
