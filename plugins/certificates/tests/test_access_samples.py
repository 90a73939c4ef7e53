"""The plugin's access samples are real records of their department."""
from __future__ import annotations

from intranet.access_walk import sibling_samples
from intranet.testing import login


def test_samples_are_records_their_department_and_the_bureau_open(db, client, org):
    [mine] = [s for s in sibling_samples(org.town_b) if s.plugin == "certificates"]
    ids = mine.ids
    assert not mine.shared      # nothing of the plugin is visible to a sibling department
    login(client, org.users["dept_admin_b"])
    for url in (f"/certificates/{ids['cert_id']}", f"/certificates/applications/{ids['app_id']}",
                f"/certificates/cleanup/{ids['campaign_id']}", f"/certificates/notices/{ids['notice_id']}"):
        assert client.get(url).status_code == 200, url
    login(client, org.users["bureau"])
    assert client.get(f"/certificates/subjects/{ids['subject_id']}").status_code == 200
