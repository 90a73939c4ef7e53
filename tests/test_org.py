"""Department pages: the tree, create, edit, re-parent, deactivate; scope and audit."""
import pytest
from sqlalchemy import func, select

from intranet.models import AuditEvent, Department
from intranet.testing import count_queries, csrf_token, login, make_department, make_person


def dept(db, code):
    db.session.expire_all()
    return db.session.scalar(select(Department).where(Department.code == code))


def audit_events(db, action, object_id=None):
    stmt = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_type == "department")
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(db.session.scalars(stmt))


ALL_NAMES = ["永安市", "永安市司法局", "永安县", "甲镇", "乙镇", "永安市市场监督管理局"]


@pytest.mark.parametrize("role", ["admin", "bureau", "inspector"])
def test_list_shows_whole_tree_for_bureau_admin_and_inspector(client, org, role):
    login(client, org.users[role])
    html = client.get("/departments/").get_data(as_text=True)
    for name in ALL_NAMES:
        assert name in html
    # pre-order: a parent comes before its children, children are indented
    assert html.index("永安县") < html.index("甲镇") < html.index("乙镇")
    assert 'class="depth-2"' in html


def test_list_is_scoped_for_department_admin(client, org):
    login(client, org.users["dept_admin_a"])
    html = client.get("/departments/").get_data(as_text=True)
    assert "甲镇</a>" in html
    for name in ("乙镇", "永安县</a>", "永安市市场监督管理局"):
        assert name not in html


def test_staff_may_not_see_departments(client, org):
    login(client, org.users["staff_a"])
    assert client.get("/departments/").status_code == 403
    assert client.get(f"/departments/{org.town_a.id}").status_code == 403


def test_search_filter_and_paginate(client, db, org):
    for i in range(25):
        make_department(f"T{i:03d}", f"测试村{i}", "其他", org.town_b)
    db.session.commit()
    login(client, org.users["bureau"])
    html = client.get("/departments/?q=x01-a").get_data(as_text=True)
    assert "甲镇" in html and "乙镇" not in html
    html = client.get("/departments/?q=监督").get_data(as_text=True)
    assert "永安市市场监督管理局" in html and "甲镇" not in html
    html = client.get("/departments/?kind=乡镇(街道)").get_data(as_text=True)
    assert "甲镇" in html and "乙镇" in html and "永安县</a>" not in html
    first = client.get("/departments/").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "测试村24" not in first
    second = client.get("/departments/?page=2").get_data(as_text=True)
    assert "测试村" in second and "永安县</a>" not in second


def test_list_uses_a_bounded_number_of_queries(client, db, org):
    login(client, org.users["bureau"])
    client.get("/departments/")  # warm up: the login reloads after each commit
    with count_queries(db) as few:
        client.get("/departments/")
    for i in range(15):
        make_department(f"T{i:03d}", f"测试村{i}", "其他", org.town_b)
    db.session.commit()
    client.get("/departments/")
    with count_queries(db) as many:
        client.get("/departments/")
    assert len(many) == len(few), (few.statements, many.statements)


def test_detail_page(client, org):
    login(client, org.users["inspector"])
    html = client.get(f"/departments/{org.county.id}").get_data(as_text=True)
    assert "永安县" in html and "甲镇" in html and "乙镇" in html
    assert "停用" not in html.replace("已停用", "")  # read-only: no deactivate form
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/departments/{org.town_b.id}").status_code == 403
    assert client.get(f"/departments/{org.town_a.id}").status_code == 200


def test_bureau_creates_top_level_and_child(client, db, org):
    login(client, org.users["bureau"])
    response = client.post("/departments/new", data={"code": "C02", "name": "临江市", "kind": "市", "parent_id": ""})
    assert response.status_code == 302
    top = dept(db, "C02")
    assert top.parent_id is None and top.path == f"/{top.id}/"
    client.post("/departments/new", data={"code": "C02-X1", "name": "临江县", "kind": "县(区)", "parent_id": top.id})
    child = dept(db, "C02-X1")
    assert child.parent_id == top.id and child.path == f"/{top.id}/{child.id}/"
    events = audit_events(db, "create", child.id)
    assert len(events) == 1 and events[0].actor_name and events[0].after["parent"] == "C02"


def test_duplicate_code_is_a_form_error(client, db, org):
    login(client, org.users["bureau"])
    response = client.post("/departments/new", data={"code": "X01-A", "name": "重复镇", "kind": "乡镇(街道)",
                                                     "parent_id": org.county.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "单位编码 X01-A 已存在" in html
    assert db.session.scalar(select(func.count()).select_from(Department).where(Department.name == "重复镇")) == 0


def test_duplicate_code_on_edit(client, db, org):
    login(client, org.users["bureau"])
    response = client.post(f"/departments/{org.town_b.id}/edit",
                           data={"code": "X01-A", "name": "乙镇", "kind": "乡镇(街道)", "parent_id": org.county.id})
    assert "已存在" in response.get_data(as_text=True)
    assert dept(db, "X01-B").name == "乙镇"


def test_department_admin_creates_sub_unit_in_own_subtree(client, db, org):
    login(client, org.users["dept_admin_a"])
    form = client.get("/departments/new").get_data(as_text=True)
    assert "乙镇" not in form and "顶级单位" not in form
    response = client.post("/departments/new", data={"code": "X01-A-1", "name": "甲镇一村", "kind": "其他",
                                                     "parent_id": org.town_a.id})
    assert response.status_code == 302
    assert dept(db, "X01-A-1").parent_id == org.town_a.id


@pytest.mark.parametrize("parent", ["town_b", "top"])
def test_department_admin_may_not_create_outside_scope(client, db, org, parent):
    login(client, org.users["dept_admin_a"])
    parent_id = "" if parent == "top" else org.town_b.id
    response = client.post("/departments/new", data={"code": "EVIL", "name": "越权单位", "kind": "其他",
                                                     "parent_id": parent_id})
    assert response.status_code == 403
    assert dept(db, "EVIL") is None


def test_department_admin_may_not_edit_other_unit(client, db, org):
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/departments/{org.town_b.id}/edit").status_code == 403
    response = client.post(f"/departments/{org.town_b.id}/edit",
                           data={"code": "X01-B", "name": "被改名", "kind": "乡镇(街道)", "parent_id": org.town_a.id})
    assert response.status_code == 403
    b = dept(db, "X01-B")
    assert b.name == "乙镇" and b.parent_id == org.county.id
    assert client.post(f"/departments/{org.town_b.id}/deactivate").status_code == 403
    assert dept(db, "X01-B").active


def test_department_admin_edits_own_unit_but_not_its_parent(client, db, org):
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/departments/{org.town_a.id}/edit").get_data(as_text=True)
    assert 'name="parent_id"' not in html
    response = client.post(f"/departments/{org.town_a.id}/edit",
                           data={"code": "X01-A", "name": "甲镇", "kind": "乡镇(街道)", "parent_id": org.city.id})
    assert response.status_code == 403
    assert dept(db, "X01-A").parent_id == org.county.id
    response = client.post(f"/departments/{org.town_a.id}/edit",
                           data={"code": "X01-A", "name": "甲镇人民政府", "kind": "乡镇(街道)"})
    assert response.status_code == 302
    a = dept(db, "X01-A")
    assert a.name == "甲镇人民政府" and a.parent_id == org.county.id
    event = audit_events(db, "update", a.id)[0]
    assert event.before == {"name": "甲镇"} and event.after == {"name": "甲镇人民政府"}
    # nor deactivate it
    assert client.post(f"/departments/{org.town_a.id}/deactivate").status_code == 403


def test_reparent_moves_the_subtree(client, db, org):
    login(client, org.users["bureau"])
    response = client.post(f"/departments/{org.county.id}/edit",
                           data={"code": "X01", "name": "永安县", "kind": "县(区)", "parent_id": org.market.id,
                                 "reason": "测试调整"})
    assert response.status_code == 302
    county, town_a, market = dept(db, "X01"), dept(db, "X01-A"), dept(db, "C01-SJJ")
    assert county.parent_id == market.id
    assert town_a.path == f"{market.path}{county.id}/{town_a.id}/"
    event = audit_events(db, "update", county.id)[0]
    assert event.before == {"parent": "C01"} and event.after == {"parent": "C01-SJJ"}
    assert event.reason == "测试调整"


def test_reparent_into_own_subtree_is_refused(client, db, org):
    login(client, org.users["bureau"])
    response = client.post(f"/departments/{org.county.id}/edit",
                           data={"code": "X01", "name": "永安县新名", "kind": "县(区)", "parent_id": org.town_a.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "循环" in html
    county = dept(db, "X01")
    assert county.parent_id == org.city.id and county.name == "永安县"
    assert dept(db, "X01-A").path == f"/{org.city.id}/{org.county.id}/{org.town_a.id}/"
    assert audit_events(db, "update") == []


def test_inspector_is_read_only(client, db, org):
    login(client, org.users["inspector"])
    assert client.get("/departments/new").status_code == 403
    assert client.get(f"/departments/{org.market.id}/edit").status_code == 403
    assert client.post(f"/departments/{org.market.id}/deactivate").status_code == 403
    assert dept(db, "C01-SJJ").active


def test_deactivate_and_reactivate(client, db, org):
    login(client, org.users["bureau"])
    response = client.post(f"/departments/{org.market.id}/deactivate", data={"reason": "机构改革撤并"})
    assert response.status_code == 302
    assert dept(db, "C01-SJJ").active is False
    event = audit_events(db, "deactivate", org.market.id)[0]
    assert event.reason == "机构改革撤并"
    html = client.get("/departments/").get_data(as_text=True)
    assert "永安市市场监督管理局</a>" not in html
    assert "永安市市场监督管理局" in client.get("/departments/?state=inactive").get_data(as_text=True)
    client.post(f"/departments/{org.market.id}/reactivate")
    assert dept(db, "C01-SJJ").active is True
    assert len(audit_events(db, "activate", org.market.id)) == 1


def test_deactivate_refused_with_active_children_or_staff(client, db, org):
    login(client, org.users["bureau"])
    response = client.post(f"/departments/{org.county.id}/deactivate", follow_redirects=True)
    assert "下级单位" in response.get_data(as_text=True)
    assert dept(db, "X01").active
    response = client.post(f"/departments/{org.town_a.id}/deactivate", follow_redirects=True)
    assert "在岗人员" in response.get_data(as_text=True)
    assert dept(db, "X01-A").active
    assert audit_events(db, "deactivate") == []


def test_no_new_unit_under_a_deactivated_one(client, db, org):
    org.market.active = False
    db.session.commit()
    login(client, org.users["bureau"])
    response = client.post("/departments/new", data={"code": "M1", "name": "下属", "kind": "其他",
                                                     "parent_id": org.market.id})
    assert "已停用" in response.get_data(as_text=True)
    assert dept(db, "M1") is None


def test_people_count_in_list(client, db, org):
    make_person(org.market)
    make_person(org.market, status="退休")
    db.session.commit()
    login(client, org.users["bureau"])
    html = client.get("/departments/?q=C01-SJJ").get_data(as_text=True)
    assert f'department_id={org.market.id}">1</a>' in html


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused(self, client, db, org):
        token = csrf_token(client, "/login")
        client.post("/login", data={"username": "sfj", "password": "test-password-1", "csrf_token": token})
        response = client.post("/departments/new", data={"code": "NOCSRF", "name": "无令牌", "kind": "其他",
                                                         "parent_id": ""})
        assert response.status_code == 400
        assert "CSRF" in response.get_data(as_text=True)
        assert dept(db, "NOCSRF") is None
        token = csrf_token(client, "/departments/new")
        response = client.post("/departments/new", data={"code": "WITHCSRF", "name": "有令牌", "kind": "其他",
                                                         "parent_id": "", "csrf_token": token})
        assert response.status_code == 302 and dept(db, "WITHCSRF") is not None
