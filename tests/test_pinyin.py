"""People lists sort names by pinyin, the same on SQLite and PostgreSQL, after inserts, renames and imports."""
import io

from sqlalchemy import insert, select

from intranet.imports import get_import_kind, run_import
from intranet.models import Person
from intranet.pinyin import sort_key
from intranet.testing import login, make_id, make_person, xlsx_bytes

NAMES = ["张三", "阿明", "王五", "李四", "Smith", "赵六", "陈一"]
PINYIN_ORDER = ["阿明", "陈一", "李四", "Smith", "王五", "张三", "赵六"]


def listed(client, department):
    html = client.get(f"/people/?department_id={department.id}").get_data(as_text=True)
    found = [(html.find(f">{n}<"), n) for n in NAMES + ["安然"]]
    return [n for pos, n in sorted(found) if pos >= 0]


def test_sort_key():
    assert sort_key("张三") == "zhang1 san1"
    assert sorted(NAMES, key=sort_key) == PINYIN_ORDER


def test_people_list_is_in_pinyin_order_on_every_database(client, db, org):
    for name in NAMES:
        make_person(org.town_b, name)
    db.session.commit()
    login(client, org.users["admin"])
    assert listed(client, org.town_b) == PINYIN_ORDER


def test_the_key_follows_renames_bulk_inserts_and_imports(client, db, org):
    person = make_person(org.town_b, "张三")
    db.session.execute(insert(Person), [dict(name="王五", id_number=make_id(), department_id=org.town_b.id,
                                             staffing="行政编制", enforcement_post=False, status="在岗", title="")])
    db.session.commit()
    assert db.session.scalar(select(Person.name_key).where(Person.name == "王五")) == "wang2 wu3"
    person.name = "安然"                                   # an ORM rename
    db.session.commit()
    assert db.session.get(Person, person.id).name_key == "an1 ran2"
    kind = get_import_kind("people")
    values = {c: "" for c in kind.column_names}
    values.update({"身份证号": person.id_number, "姓名": "阿明", "单位编码": org.town_b.code, "编制类型": "行政编制",
                   "执法岗位": "是", "人员状态": "在岗"})
    result = run_import(kind, io.BytesIO(xlsx_bytes(kind.column_names, [[values[c] for c in kind.column_names]])),
                        user=org.users["admin"])
    assert result.ok and result.updated == 1, [e.message for e in result.errors]   # a bulk update
    db.session.expire_all()
    assert db.session.get(Person, person.id).name_key == "a1 ming2"
