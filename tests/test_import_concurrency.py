"""Two simultaneous imports of the same file: one wins, the other is told so; never a 500."""
import io
import threading

from flask import g
from sqlalchemy import func, select

from intranet.imports import core_kinds
from intranet.imports.framework import CONFLICT
from intranet.models import AuditEvent, Person
from intranet.testing import login, make_id, xlsx_bytes

PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]


def test_two_simultaneous_imports_of_the_same_file(app, db, org, monkeypatch):
    rows = [[f"并发{i}", make_id(), "X01-A", "科员", "行政编制", "是", "在岗", None, "否"] for i in range(3)]
    data = xlsx_bytes(PEOPLE_HEADER, rows)
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        login(client, org.users["bureau"])
    g.pop("_login_user", None)

    # Both imports have read the database (nobody has these ID numbers yet) before either writes.
    barrier = threading.Barrier(2, timeout=30)
    real = core_kinds._existing_people

    def existing_people(numbers):
        found = real(numbers)
        barrier.wait()
        return found
    monkeypatch.setattr(core_kinds, "_existing_people", existing_people)

    results = [None, None]

    def post(i):
        try:
            response = clients[i].post("/imports/people", data={"people-file": (io.BytesIO(data), "人员.xlsx")},
                                       content_type="multipart/form-data")
            results[i] = (response.status_code, response.get_data(as_text=True))
        except Exception as exc:  # without the fix the unique constraint escapes as an error (a 500)
            results[i] = (500, repr(exc))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [code for code, _ in results] == [200, 200], results
    texts = sorted((text for _, text in results), key=lambda t: "导入成功" not in t)
    assert "导入成功" in texts[0] and "新增 3 条" in texts[0]
    assert CONFLICT in texts[1] and "导入成功" not in texts[1]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1 + 3
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import")) == 1
