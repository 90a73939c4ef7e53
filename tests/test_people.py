"""People pages: list, create, edit, status; scope, ID numbers, audit; the 学法档案 page."""
from datetime import date

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from intranet.hookspecs import PersonSection, hookimpl
from intranet.idnumber import make_id_number, mask_id_number
from intranet.models import AuditEvent, Person
from intranet.testing import count_queries, login, make_id, make_person


def person_by_number(db, number):
    db.session.expire_all()
    return db.session.scalar(select(Person).where(Person.id_number == number))


def events(db, action, object_id=None):
    stmt = select(AuditEvent).where(AuditEvent.object_type == "person", AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(db.session.scalars(stmt))


def new_person_form(dept, number, **extra):
    data = {"name": "李四", "id_number": number, "department_id": dept.id, "title": "执法队员",
            "staffing": "行政编制", "enforcement_post": "y", "phone": "0551-1234567"}
    data.update(extra)
    return data


@pytest.fixture
def people(db, org):
    """Two more people: one in 甲镇, one in 乙镇."""
    a = make_person(org.town_a, "王五")
    b = make_person(org.town_b, "赵六", staffing="合同工", enforcement_post=False)
    db.session.commit()
    return a, b


# --- list -----------------------------------------------------------------------------------

def test_list_for_bureau_masks_id_numbers(client, org, people):
    login(client, org.users["bureau"])
    html = client.get("/people/").get_data(as_text=True)
    for p in (org.staff_person, *people):
        assert p.name in html
        assert p.masked_id_number in html
        assert p.id_number not in html


def test_list_for_admin_shows_full_id_numbers(client, org, people):
    login(client, org.users["admin"])
    html = client.get("/people/").get_data(as_text=True)
    assert people[0].id_number in html


def test_list_is_scoped_for_department_admin(client, org, people):
    login(client, org.users["dept_admin_a"])
    html = client.get("/people/").get_data(as_text=True)
    assert "王五" in html and "张三" in html and "赵六" not in html
    assert client.get(f"/people/?department_id={org.town_b.id}").status_code == 403


def test_list_for_inspector_and_not_for_staff(client, org, people):
    login(client, org.users["inspector"])
    assert "赵六" in client.get("/people/").get_data(as_text=True)
    login(client, org.users["staff_a"])
    assert client.get("/people/").status_code == 403


def test_search_and_filters(client, db, org, people):
    a, b = people
    login(client, org.users["bureau"])

    def names(query):
        html = client.get("/people/" + query).get_data(as_text=True)
        return {n for n in ("张三", "王五", "赵六") if n in html}

    assert names("?q=王") == {"王五"}
    assert names("?q=" + b.masked_id_number) == {"赵六"}
    assert names("?q=" + b.id_number[-4:]) == set()  # a partial number finds nobody
    assert names("?q=" + b.id_number) == {"赵六"}
    assert names("?q=" + b.id_number[8:14]) == set()  # the hidden digits are not searchable
    assert names("?unit=乙镇") == {"赵六"}
    assert names("?unit=X01-A") == {"张三", "王五"}
    assert names("?staffing=合同工") == {"赵六"}
    assert names("?enforcement=1") == {"张三", "王五"}
    assert names(f"?department_id={org.county.id}") == {"张三", "王五", "赵六"}
    b.status = "退休"
    db.session.commit()
    assert names("?status=退休") == {"赵六"}


MASKED_ROLES = ("bureau", "inspector", "dept_admin_b")


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_id_number_prefix_search_reveals_nothing(client, org, people, role):
    """The digit-by-digit attack: no prefix (or masked form with more digits) finds the person."""
    _, b = people
    login(client, org.users[role])

    def found(q):
        response = client.get("/people/", query_string={"q": q})
        assert response.status_code == 200
        return "赵六" in response.get_data(as_text=True)

    number = b.id_number
    for q in (number[:17], number[:17] + "*", number[:10] + "****" + number[-4:], number[:7] + "*" + number[-4:],
              number[:6], number[-4:], number[6:14], number[:6] + "*" + number[-5:]):
        assert not found(q), q
    assert found(number)
    assert found(b.masked_id_number)
    html = client.get("/people/", query_string={"q": number[:17]}).get_data(as_text=True)
    assert "按身份证号查询请输入完整的18位号码" in html


def test_admin_still_searches_any_part_of_the_id_number(client, org, people):
    _, b = people
    login(client, org.users["admin"])
    for q in (b.id_number[:17], b.id_number[6:14], b.id_number[-4:], b.id_number):
        html = client.get("/people/", query_string={"q": q}).get_data(as_text=True)
        assert "赵六" in html and "按身份证号查询" not in html


def test_paginates_with_bounded_queries(client, db, org):
    login(client, org.users["bureau"])
    client.get("/people/")
    with count_queries(db) as few:
        client.get("/people/")
    for i in range(30):
        make_person(org.town_b if i % 2 else org.market, f"批量{i:02d}")
    db.session.commit()
    client.get("/people/")
    with count_queries(db) as many:
        html = client.get("/people/").get_data(as_text=True)
    assert len(many) == len(few)
    assert "第 1 / 2 页" in html
    assert "共 31 条" in client.get("/people/?page=2").get_data(as_text=True)


# --- create ---------------------------------------------------------------------------------

def test_department_admin_adds_a_person(client, db, org):
    login(client, org.users["dept_admin_a"])
    number = make_id()
    response = client.post("/people/new", data=new_person_form(org.town_a, number))
    assert response.status_code == 302
    person = person_by_number(db, number)
    assert person.name == "李四" and person.department_id == org.town_a.id and person.enforcement_post
    assert person.status == "在岗" and person.staffing == "行政编制"
    event = events(db, "create", person.id)[0]
    assert event.after["id_number"] == mask_id_number(number)  # never the full number in the log
    assert event.department_id == org.town_a.id


@pytest.mark.parametrize("bad, message", [
    ("130821198506120000", "校验位错误"),
    ("1308211985061", "应为18位"),
    ("", "身份证号不能为空"),
])
def test_bad_id_number_is_a_form_error(client, db, org, bad, message):
    login(client, org.users["dept_admin_a"])
    response = client.post("/people/new", data=new_person_form(org.town_a, bad))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Person).where(Person.name == "李四")) == 0


def test_bad_birth_date_is_a_form_error(client, db, org):
    body = "13082119850230001"
    login(client, org.users["dept_admin_a"])
    response = client.post("/people/new", data=new_person_form(org.town_a, body + ric.calc_check_digit(body + "0")))
    assert "出生日期无效" in response.get_data(as_text=True)
    assert events(db, "create") == []


def test_unknown_area_code_is_accepted_with_a_warning(client, db, org):
    number = make_id_number("999999", date(1990, 1, 1), 5)
    login(client, org.users["dept_admin_a"])
    response = client.post("/people/new", data=new_person_form(org.town_a, number), follow_redirects=True)
    assert "地区码未知" in response.get_data(as_text=True)
    assert person_by_number(db, number) is not None


def test_duplicate_in_scope_names_the_unit(client, db, org):
    login(client, org.users["dept_admin_a"])
    response = client.post("/people/new", data=new_person_form(org.town_a, org.staff_person.id_number))
    html = response.get_data(as_text=True)
    assert "已存在" in html and "甲镇" in html and "张三" in html
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_duplicate_out_of_scope_says_only_that_it_exists(client, db, org):
    login(client, org.users["dept_admin_b"])
    response = client.post("/people/new", data=new_person_form(org.town_b, org.staff_person.id_number))
    html = response.get_data(as_text=True)
    assert "该身份证号的人员档案已在其他单位，请联系司法局办理调动" in html
    assert "张三" not in html and "甲镇" not in html
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_department_admin_may_not_add_to_another_unit(client, db, org):
    login(client, org.users["dept_admin_a"])
    number = make_id()
    assert client.post("/people/new", data=new_person_form(org.town_b, number)).status_code == 403
    assert client.get(f"/people/new?department_id={org.town_b.id}").status_code == 403
    assert person_by_number(db, number) is None
    form = client.get("/people/new").get_data(as_text=True)
    assert "乙镇" not in form


def test_inspector_and_staff_may_not_add(client, db, org):
    for role in ("inspector", "staff_a"):
        login(client, org.users[role])
        assert client.get("/people/new").status_code == 403
        assert client.post("/people/new", data=new_person_form(org.town_a, make_id())).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


# --- edit -----------------------------------------------------------------------------------

def test_edit_without_touching_the_id_number(client, db, org, people):
    a, _ = people
    login(client, org.users["dept_admin_a"])
    form = client.get(f"/people/{a.id}/edit").get_data(as_text=True)
    assert a.id_number not in form and a.masked_id_number in form
    response = client.post(f"/people/{a.id}/edit", data={
        "name": "王五", "id_number": "", "department_id": org.town_a.id, "title": "副所长",
        "staffing": "事业编制", "enforcement_post": "y", "reason": "职务调整"})
    assert response.status_code == 302
    person = person_by_number(db, a.id_number)
    assert person.title == "副所长" and person.staffing == "事业编制"
    event = events(db, "update", a.id)[0]
    assert event.before == {"title": "科员", "staffing": "行政编制"}
    assert event.after == {"title": "副所长", "staffing": "事业编制"}
    assert event.reason == "职务调整"


def test_admin_sees_and_corrects_the_full_id_number(client, db, org, people):
    a, _ = people
    login(client, org.users["admin"])
    assert a.id_number in client.get(f"/people/{a.id}/edit").get_data(as_text=True)
    new_number = make_id()
    old_number = a.id_number
    client.post(f"/people/{a.id}/edit", data={"name": "王五", "id_number": new_number, "department_id": org.town_a.id,
                                              "title": "科员", "staffing": "行政编制", "enforcement_post": "y"})
    assert person_by_number(db, new_number).id == a.id
    assert person_by_number(db, old_number) is None
    assert "id_number" in events(db, "update", a.id)[0].after


def test_edit_to_a_duplicate_id_number_is_refused(client, db, org, people):
    a, _ = people
    login(client, org.users["admin"])
    response = client.post(f"/people/{a.id}/edit", data={
        "name": "王五", "id_number": org.staff_person.id_number, "department_id": org.town_a.id,
        "title": "科员", "staffing": "行政编制"})
    assert "已存在" in response.get_data(as_text=True)
    assert person_by_number(db, a.id_number) is not None


def test_edit_to_a_number_held_in_another_unit_names_nobody(client, db, org, people):
    a, b = people
    login(client, org.users["dept_admin_a"])
    response = client.post(f"/people/{a.id}/edit", data={
        "name": "王五", "id_number": b.id_number, "department_id": org.town_a.id,
        "title": "科员", "staffing": "行政编制", "reason": "更正"})
    html = response.get_data(as_text=True)
    assert "该身份证号的人员档案已在其他单位，请联系司法局办理调动" in html
    assert "赵六" not in html and "乙镇" not in html
    assert person_by_number(db, b.id_number).id == b.id and person_by_number(db, a.id_number).id == a.id


def test_department_admin_may_not_edit_another_units_person(client, db, org, people):
    _, b = people
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/people/{b.id}/edit").status_code == 403
    response = client.post(f"/people/{b.id}/edit", data={
        "name": "改名", "id_number": "", "department_id": org.town_a.id, "staffing": "行政编制"})
    assert response.status_code == 403
    assert client.post(f"/people/{b.id}/status", data={"status": "开除", "changed_on": "2024-01-01",
                                                        "reason": "越权"}).status_code == 403
    person = person_by_number(db, b.id_number)
    assert (person.name, person.department_id, person.status) == ("赵六", org.town_b.id, "在岗")
    assert events(db, "update") == [] and events(db, "status") == []


def test_department_admin_may_not_move_a_person_out_of_scope(client, db, org, people):
    a, _ = people
    login(client, org.users["dept_admin_a"])
    response = client.post(f"/people/{a.id}/edit", data={
        "name": "王五", "id_number": "", "department_id": org.town_b.id, "staffing": "行政编制"})
    assert response.status_code == 403
    assert person_by_number(db, a.id_number).department_id == org.town_a.id


# --- status ---------------------------------------------------------------------------------

def test_change_status_with_date_and_reason(client, db, org, people):
    a, _ = people
    login(client, org.users["dept_admin_a"])
    assert "在岗" in client.get(f"/people/{a.id}/status").get_data(as_text=True)
    response = client.post(f"/people/{a.id}/status", data={"status": "退休", "changed_on": "2024-06-30",
                                                            "reason": "到龄退休"})
    assert response.status_code == 302
    person = person_by_number(db, a.id_number)
    assert person.status == "退休" and person.status_changed_on == date(2024, 6, 30)
    event = events(db, "status", a.id)[0]
    assert event.reason == "到龄退休"
    assert event.before["status"] == "在岗" and event.after == {"status": "退休", "status_changed_on": "2024-06-30"}


@pytest.mark.parametrize("data, message", [
    ({"status": "退休", "changed_on": "2024-06-30", "reason": ""}, "请填写变更原因"),
    ({"status": "退休", "changed_on": "2024-13-45", "reason": "x"}, "日期无效"),
    ({"status": "在岗", "changed_on": "2024-06-30", "reason": "x"}, "未发生变化"),
])
def test_bad_status_change_is_refused(client, db, org, people, data, message):
    a, _ = people
    login(client, org.users["dept_admin_a"])
    response = client.post(f"/people/{a.id}/status", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert person_by_number(db, a.id_number).status == "在岗"
    assert events(db, "status") == []


# --- the 学法档案 page -----------------------------------------------------------------------

class StudySections:
    @hookimpl
    def person_sections(self, person, viewer):
        return [
            PersonSection(plugin="test", title="第二部分", order=20, columns=["日期", "内容"],
                          rows=[["2024-03-01", "民法典"]]),
            PersonSection(plugin="test", title="第一部分", order=10, figures=[("学时", 42)]),
        ]


def test_record_shows_basic_data_and_sections_in_order(app, client, org):
    app.extensions["intranet_pm"].register(StudySections(), name="test_sections")
    login(client, org.users["staff_a"])
    response = client.get(f"/people/{org.staff_person.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "张三" in html and "甲镇" in html
    assert org.staff_person.masked_id_number in html and org.staff_person.id_number not in html
    assert html.index("第一部分") < html.index("第二部分")
    assert "42" in html and "民法典" in html
    assert "@media print" in html


def test_record_access(client, db, org, people):
    a, b = people
    login(client, org.users["staff_a"])
    assert client.get(f"/people/{a.id}").status_code == 403
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/people/{a.id}").status_code == 200
    assert client.get(f"/people/{b.id}").status_code == 403
    login(client, org.users["inspector"])
    assert client.get(f"/people/{b.id}").status_code == 200
    login(client, org.users["admin"])
    assert b.id_number in client.get(f"/people/{b.id}").get_data(as_text=True)
    assert client.get("/people/999999").status_code == 404
