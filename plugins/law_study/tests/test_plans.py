"""The 年度学法计划: items, a session fulfilling one, planned vs held, late plans, the study-plans import."""
import io
from datetime import date, datetime

from sqlalchemy import func, select

from intranet.imports import get_import_kind, run_import
from intranet.reports.assemble import assemble
from intranet.testing import login, xlsx_bytes
from intranet_law_study import service
from intranet_law_study.models import PlanItem, StudySession
from intranet_law_study.service import StudyError
from intranet_law_study.views.plans import late_departments

import pytest

YEAR = date.today().year - 1


def item(db, department, month=3, topic="学习民法典", kind="法治专题讲座"):
    made = service.add_plan_item(department_id=department.id, year=YEAR, month=month, topic=topic, laws="民法典",
                                 kind=kind, user=None)
    db.session.commit()
    return made


def test_planned_vs_held_in_the_report(db, org, make_session):
    items = [item(db, org.town_a, m, f"主题{m}") for m in (2, 4, 6)] + [item(db, org.town_b, 5)]
    withdrawn = item(db, org.town_a, 9, "撤销的")
    service.withdraw_plan_item(withdrawn, None)
    make_session(org.town_a, plan_item_id=items[0].id, held_on=date(YEAR, 2, 3))
    make_session(org.town_a, plan_item_id=items[1].id, held_on=date(YEAR, 4, 3), status="计划")
    make_session(org.town_b, plan_item_id=items[3].id, held_on=date(YEAR, 5, 3))
    db.session.commit()
    f = next(x for x in assemble(YEAR, org.county)["fragments"] if x["plugin"] == "law_study")
    assert f["figures"]["plan_items"] == len(items)
    held = {s.plan_item_id for s in db.session.scalars(select(StudySession).where(StudySession.status == "已举行"))}
    assert f["figures"]["plan_items_held"] == len(held)
    assert any(f"安排学习事项{len(items)}项，已按计划举行{len(held)}项" in p for p in f["paragraphs"])


def test_session_must_fulfil_an_item_of_its_department_and_year(db, org, make_session):
    other = item(db, org.town_b)
    with pytest.raises(StudyError, match="不属于本单位本年度"):
        make_session(org.town_a, plan_item_id=other.id)
    db.session.rollback()
    mine = item(db, org.town_a)
    with pytest.raises(StudyError, match="不属于本单位本年度"):
        make_session(org.town_a, plan_item_id=mine.id, held_on=date(YEAR - 1, 3, 1))


def test_late_and_missing_plans_are_listed(db, org, client):
    on_time = item(db, org.town_a)
    late = item(db, org.town_b)
    db.session.get(PlanItem, on_time.id).created_at = datetime(YEAR, 2, 1)
    db.session.get(PlanItem, late.id).created_at = datetime(YEAR, 5, 1)
    db.session.commit()
    login(client, org.users["bureau"])
    listed = {d.name: why for d, why in late_departments(YEAR)}
    assert "甲镇" not in listed and listed["乙镇"].startswith("逾期制定") and listed["永安县"] == "未制定"
    assert late_departments(date.today().year + 1) == []   # not due yet


def test_plan_pages(client, db, org):
    login(client, org.users["dept_admin_a"])
    response = client.post("/law-study/plans/new", data={"department_id": org.town_a.id, "year": YEAR, "month": 3,
                                                          "kind": "集中学法", "topic": "学习宪法", "laws": "宪法"})
    assert response.status_code == 302
    assert "学习宪法" in client.get(f"/law-study/plans?year={YEAR}").get_data(as_text=True)
    client.post("/law-study/plans/new", data={"department_id": org.town_b.id, "year": YEAR, "month": 3,
                                               "kind": "集中学法", "topic": "越权", "laws": ""})
    login(client, org.users["dept_admin_b"])
    assert "学习宪法" not in client.get(f"/law-study/plans?year={YEAR}").get_data(as_text=True)
    planned = db.session.scalar(select(PlanItem))
    assert client.post(f"/law-study/plans/{planned.id}/withdraw").status_code == 403
    login(client, org.users["staff_a"])
    assert client.get("/law-study/plans").status_code == 403
    assert [p.topic for p in db.session.scalars(select(PlanItem))] == ["学习宪法"]


def test_study_plans_import(db, org):
    kind = get_import_kind("study-plans")

    def run(rows, user=org.users["dept_admin_a"]):
        return run_import(kind, io.BytesIO(xlsx_bytes(kind.column_names, rows)), user=user)
    good = [["X01-A", YEAR, 3, "学习民法典", "民法典、行政处罚法", "法治专题讲座"]]
    assert run(good).ok
    assert db.session.scalar(select(PlanItem.laws)) == "《民法典》、《行政处罚法》"
    for rows, message in [
        (good + [["X01-A", YEAR, 13, "坏月份", "", "集中学法"]], "月份"),
        (good + [["X01-B", YEAR, 3, "越权", "", "集中学法"]], "无权"),
        (good + good, "重复"),
    ]:
        result = run(rows)
        assert not result.ok and message in " ".join(e.message for e in result.errors)
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 1
