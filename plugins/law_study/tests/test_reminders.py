"""The reminder list: people behind target and departments without a session this quarter, page and export."""
import io
from datetime import date

from openpyxl import load_workbook

from intranet.testing import login, make_person
from intranet_law_study import settings
from intranet_law_study.figures import behind_target_stmt, departments_without_session
from intranet_law_study.views.reminders import quarter


def test_behind_target_and_idle_departments(client, db, org, make_session, attend):
    today = date.today()
    settings.put("person_hours_target", 1)
    busy = make_person(org.town_a, "学够了")
    make_person(org.town_b, "乙镇没学")
    db.session.commit()
    attend(make_session(org.town_a, held_on=today, duration_minutes=60), [busy])
    behind = {p.name for p, _m, _t in db.session.execute(behind_target_stmt(today.year, org.county.subtree_filter))}
    assert behind == {"张三", "乙镇没学"}
    start, end = quarter(today)
    assert start <= today <= end and (end.month - start.month) == 2
    idle = {d.name for d in departments_without_session(start, end, org.county.subtree_filter)}
    assert "乙镇" in idle and "甲镇" not in idle
    login(client, org.users["dept_admin_a"])
    html = client.get("/law-study/reminders").get_data(as_text=True)
    assert "张三" in html and "乙镇没学" not in html
    book = load_workbook(io.BytesIO(client.get("/law-study/reminders.xlsx").data))
    names = [r[1] for r in book["学时未达标人员"].iter_rows(min_row=2, values_only=True)]
    assert names == ["张三"]
    assert "本季度未开展学法的单位" in client.get("/dashboard").get_data(as_text=True)
    login(client, org.users["staff_a"])
    assert client.get("/law-study/reminders").status_code == 403
