"""学法: the page, its scope, the report fragment and the import (SQLite and PostgreSQL)."""
import io
from datetime import date

from intranet.imports import get_import_kind, run_import
from intranet.reports.assemble import assemble
from intranet.testing import login, xlsx_bytes

from intranet_law_study.models import Item


def add_item(db, department, title, held_on=None):
    item = Item(department_id=department.id, title=title, held_on=held_on or date.today(), active=True)
    db.session.add(item)
    db.session.commit()
    return item


def test_page_lists_only_the_users_departments(client, db, org):
    add_item(db, org.town_a, "甲镇的记录")
    add_item(db, org.town_b, "乙镇的记录")
    login(client, org.users["dept_admin_a"])
    html = client.get("/law-study/").get_data(as_text=True)
    assert "甲镇的记录" in html and "乙镇的记录" not in html


def test_create_in_scope_and_refused_outside(client, db, org):
    login(client, org.users["dept_admin_a"])
    ok = client.post("/law-study/new", data={"department_id": org.town_a.id, "title": "新记录",
                                               "held_on": date.today().isoformat()})
    assert ok.status_code == 302
    other = client.post("/law-study/new", data={"department_id": org.town_b.id, "title": "越权记录",
                                                  "held_on": date.today().isoformat()})
    assert other.status_code in (302, 403)
    titles = [i.title for i in db.session.scalars(db.select(Item))]
    assert titles == ["新记录"]


def test_staff_cannot_create(client, db, org):
    login(client, org.users["staff_a"])
    response = client.post("/law-study/new", data={"department_id": org.town_a.id, "title": "x",
                                                     "held_on": date.today().isoformat()})
    assert response.status_code == 403
    assert db.session.scalars(db.select(Item)).first() is None


def test_report_fragment_counts_the_subtree_and_year(db, org):
    add_item(db, org.town_a, "今年", date(2025, 3, 1))
    add_item(db, org.town_b, "今年", date(2025, 5, 1))
    add_item(db, org.market, "市直", date(2025, 5, 1))
    add_item(db, org.town_a, "去年", date(2024, 5, 1))
    report = assemble(2025, org.county)
    fragment = next(f for f in report["fragments"] if f["plugin"] == "law_study")
    assert fragment["figures"] == {"items": 2, "departments": 2}


def test_import_is_all_or_nothing(db, org):
    kind = get_import_kind("law_study")
    good = xlsx_bytes(kind.column_names, [["X01-A", "导入的记录", "2025-01-02"]])
    result = run_import(kind, io.BytesIO(good), user=org.users["admin"])
    assert result.ok and result.created == 1
    bad = xlsx_bytes(kind.column_names, [["X01-A", "好的一行", "2025-01-02"], ["NOPE", "坏的一行", "2025-01-02"]])
    result = run_import(kind, io.BytesIO(bad), user=org.users["admin"])
    assert not result.ok
    assert [i.title for i in db.session.scalars(db.select(Item))] == ["导入的记录"]
