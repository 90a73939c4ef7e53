"""Demo data: the core's department tree, people and logins, and ``intranet demo load``."""
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.cli import cli
from intranet.demo import SCALES, DemoError, load_demo
from intranet.demo_core import AREA_CODES, LOGINS
from intranet.idnumber import check_id_number, make_id_number
from intranet.models import AuditEvent, Department, Person, User
from intranet.org.service import create_department


@pytest.fixture
def app_config():
    return {"PLUGINS": []}


def quiet(*_args):
    pass


@pytest.fixture
def demo(db):
    from intranet.demo import DemoContext  # noqa: F401  (the context is what plugins get)
    captured = {}

    def echo(message):
        captured.setdefault("echo", []).append(message)

    summary = load_demo("small", echo=echo)
    return summary


def count(db, stmt):
    return db.session.scalar(stmt)


@pytest.mark.parametrize("area", sorted(set(AREA_CODES)))
def test_area_codes_validate_for_every_birth_year(area):
    for year in range(1955, 2011):
        check = check_id_number(make_id_number(area, date(year, 6, 30), 123))
        assert (check.error, check.warning) == ("", ""), (area, year)


def test_small_scale_builds_a_realistic_tree(db, demo):
    kinds = dict(db.session.execute(select(Department.kind, func.count()).group_by(Department.kind)).all())
    assert kinds == {"市": 1, "市直部门": 8, "县(区)": 1, "县(区)直部门": 6, "乡镇(街道)": 6}
    names = set(db.session.scalars(select(Department.name)))
    assert {"永安市", "永安市司法局", "永安市市场监督管理局", "永安市公安局"} <= names
    towns = list(db.session.scalars(select(Department.name).where(Department.kind == "乡镇(街道)")))
    assert all(t.endswith(("镇", "乡", "街道")) for t in towns) and len(set(towns)) == 6
    # materialised paths agree with the parents
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    for d in departments.values():
        parent_path = departments[d.parent_id].path if d.parent_id else "/"
        assert d.path == f"{parent_path}{d.id}/"
    assert "演示数据已载入（small）" in demo and "dc / demo-ducha-2024" in demo


def test_small_scale_people_are_realistic(db, demo):
    people = db.session.execute(select(Person.name, Person.id_number, Person.staffing, Person.status,
                                       Person.legal_qualification, Person.enforcement_post, Person.title)).all()
    assert 300 < len(people) < 700
    numbers = [p.id_number for p in people]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        check = check_id_number(number)
        assert (check.error, check.warning) == ("", ""), number
    assert all(2 <= len(p.name) <= 3 for p in people)
    staffing = {p.staffing for p in people}
    assert {"行政编制", "事业编制"} <= staffing and len(staffing & {"合同工", "临时工", "劳务派遣", "公益性岗位"}) >= 3
    formal = sum(p.staffing in ("行政编制", "事业编制") for p in people)
    assert formal / len(people) > 0.7
    statuses = [p.status for p in people]
    assert statuses.count("在岗") / len(people) > 0.8 and "退休" in statuses and "调离" in statuses
    qualified = sum(p.legal_qualification for p in people)
    assert 0.02 < qualified / len(people) < 0.1
    assert any(p.title == "局长" for p in people) and any(p.title.startswith("执法") for p in people)


def test_enforcement_posts_are_in_enforcement_departments(db, demo):
    by_dept = dict(db.session.execute(
        select(Department.name, func.count(Person.id)).join(Person, Person.department_id == Department.id)
        .where(Person.enforcement_post.is_(True)).group_by(Department.name)).all())
    assert by_dept.get("永安市市场监督管理局", 0) > 3
    office = db.session.scalar(select(func.count()).select_from(Person).join(Department)
                               .where(Department.name.like("%人民政府办公室"), Person.enforcement_post.is_(True)))
    assert not office


def test_demo_logins(app, db, demo):
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert set(users) == set(LOGINS)
    for username, (password, role, _label) in LOGINS.items():
        assert users[username].role == role
        assert users[username].check_password(password)
    assert users["admin"].department_id is None and users["dc"].department_id is None
    assert users["sfj"].sees_everything and users["sfj"].person.department.name == "永安市司法局"
    market = users["dwgly"].department
    assert market.name == "永安市市场监督管理局" and market.kind == "市直部门"
    officer = users["zfry"].person
    assert users["zfry"].department_id == market.id and officer.department_id == market.id
    assert officer.enforcement_post and officer.is_formal_staff and officer.on_duty
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "demo_load")).object_id == "small"


def test_context_lists_what_was_made(app, db):
    from intranet.hookspecs import hookimpl
    from intranet.plugins import get_pm
    seen = {}

    class Recorder:
        @hookimpl
        def demo_data(self, scale, context):
            seen.update(scale=scale, context=context)

    get_pm().register(Recorder(), name="recorder")
    load_demo("small", echo=quiet)
    ctx = seen["context"]
    assert seen["scale"] == "small"
    assert len(ctx.departments) == count(db, select(func.count()).select_from(Department))
    assert len(ctx.people) == count(db, select(func.count()).select_from(Person))
    assert {d["id"] for d in ctx.departments} == set(db.session.scalars(select(Department.id)))
    sample = ctx.people[0]
    assert set(sample) >= {"id", "name", "department_id", "staffing", "enforcement_post", "status",
                           "legal_qualification"}
    assert db.session.get(Person, sample["id"]).name == sample["name"]
    assert set(ctx.users) == set(LOGINS)


def test_new_records_after_demo_get_fresh_ids(db, demo):
    """On PostgreSQL the sequences must have been moved past the bulk-inserted ids."""
    city = db.session.scalar(select(Department).where(Department.kind == "市"))
    dept = create_department("NEW-1", "新设单位", "市直部门", city)
    person = Person(name="新人", id_number=make_id_number("350121", date(1990, 1, 1), 1), department_id=dept.id,
                    staffing="行政编制")
    db.session.add(person)
    db.session.commit()
    assert dept.path == f"{city.path}{dept.id}/"


def test_loading_twice_is_refused(db, demo):
    with pytest.raises(DemoError, match="已有单位数据"):
        load_demo("small", echo=quiet)
    with pytest.raises(DemoError, match="未知规模"):
        load_demo("huge", echo=quiet)


def test_scales_are_sized_as_documented():
    def units(p):
        per_city = 1 + p["city_departments"] + p["counties"] * (1 + p["county_departments"] + p["townships"])
        return p["cities"] * per_city + (1 if p["cities"] > 1 else 0)

    def people(p):
        return units(p) * sum(p["staff"]) / 2
    assert units(SCALES["small"]) < 30
    assert 280 <= units(SCALES["city"]) <= 350 and 18_000 <= people(SCALES["city"]) <= 22_000
    assert 2_300 <= units(SCALES["province"]) <= 2_800 and 180_000 <= people(SCALES["province"]) <= 220_000


def test_cli_demo_load(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["demo", "load", "--scale", "small"])
    assert result.exit_code == 0, result.output
    assert "admin / demo-xitong-2024" in result.output
    assert count(db, select(func.count()).select_from(Department)) == 22
    again = runner.invoke(cli, ["demo", "load", "--scale", "small"])
    assert again.exit_code != 0 and "已有单位数据" in again.stderr
    skipped = runner.invoke(cli, ["demo", "load", "--scale", "small", "--skip-if-loaded"])
    assert skipped.exit_code == 0 and "跳过" in skipped.output
    assert count(db, select(func.count()).select_from(Department)) == 22
    bad = runner.invoke(cli, ["demo", "load", "--scale", "huge"])
    assert bad.exit_code != 0


def test_row_buffer_goes_through_bulk_insert(db):
    # Rows leaving out different columns get the columns' Python-side defaults and keep their own
    # values, counted as bulk_insert's writes (before, one executemany took the columns of one row
    # for the chunk: RB1's path and active were silently replaced by the defaults).
    from intranet.demo import RowBuffer
    from intranet.imports.framework import WRITTEN
    units = RowBuffer(Department, chunk=2)
    units.add({"code": "RB1", "name": "甲单位", "kind": "其他", "parent_id": None, "path": "/", "active": False})
    units.add({"code": "RB2", "name": "乙单位", "kind": "其他", "parent_id": None})
    units.add({"code": "RB3", "name": "丙单位", "kind": "其他", "parent_id": None, "path": "/"})
    units.flush()
    rows = db.session.execute(select(Department.code, Department.active, Department.path)
                              .where(Department.code.like("RB%")).order_by(Department.code)).all()
    assert [tuple(r) for r in rows] == [("RB1", False, "/"), ("RB2", True, ""), ("RB3", True, "/")]
    assert db.session.info[WRITTEN]["department"] == 3
