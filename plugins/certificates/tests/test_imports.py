"""Imports: existing cards and cleanup decisions, each bad input refused with nothing written."""
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.imports import get_import_kind, run_import, template_workbook
from intranet.testing import make_person, xlsx_bytes

from intranet_certificates import cleanup
from intranet_certificates.imports import CERTIFICATE_COLUMNS, DECISION_COLUMNS
from intranet_certificates.models import Certificate, CertificateEvent, CleanupCandidate, NumberCounter


def xlsx(header, rows) -> io.BytesIO:
    return io.BytesIO(xlsx_bytes(header, rows))


def card_row(person, number="350481202000101", **over):
    row = {"证件编号": number, "身份证号": person.id_number, "姓名": person.name, "单位编码": "X01-A",
           "执法类别": "综合行政执法", "执法区域": "甲镇", "发证机关": "永安市人民政府",
           "发证日期": date(2020, 3, 1), "有效期至": date(date.today().year + 4, 2, 28), "证件状态": "有效",
           "证件版本": "2013版", "最近执法日期": date(2024, 6, 1)}
    row.update(over)
    return [row[c.name] for c in CERTIFICATE_COLUMNS]


def run(rows, user=None, kind="certificates"):
    columns = CERTIFICATE_COLUMNS if kind == "certificates" else DECISION_COLUMNS
    return run_import(get_import_kind(kind), xlsx([c.name for c in columns], rows), user=user)


def total(db, model=Certificate):
    return db.session.scalar(select(func.count()).select_from(model))


def test_kinds_and_templates(app):
    for name in ("certificates", "cleanup-decisions"):
        kind = get_import_kind(name)
        assert kind is not None and kind.plugin == "certificates"
        assert template_workbook(kind)[:2] == b"PK"
    assert get_import_kind("certificates").column_names == [
        "证件编号", "身份证号", "姓名", "单位编码", "执法类别", "执法区域", "发证机关", "发证日期", "有效期至", "证件状态",
        "证件版本", "最近执法日期"]


def test_import_certificates(db, certs):
    a = make_person(certs.org.town_a, "导入甲")
    b = make_person(certs.org.town_a, "导入乙")
    c = make_person(certs.org.town_a, "导入丙")
    db.session.commit()
    result = run([card_row(a, "350481202000101"),
                  card_row(b, "350481202000102", 证件状态="收回"),
                  card_row(c, "350481201500007", 发证日期=date(2015, 1, 1), 有效期至=date(2020, 1, 1), 证件状态="过期")],
                 user=certs.bureau)
    assert result.ok, result.errors
    assert result.created == 3
    cards = {x.number: x for x in db.session.scalars(select(Certificate))}
    assert cards["350481202000101"].status == "有效" and cards["350481202000101"].version == "2013版"
    assert cards["350481202000101"].origin == "import" and cards["350481202000101"].next_review_due > date.today()
    assert cards["350481202000101"].last_enforcement_on == date(2024, 6, 1)
    assert cards["350481202000102"].status == "收回"
    events = db.session.scalars(select(CertificateEvent).where(
        CertificateEvent.certificate_id == cards["350481201500007"].id).order_by(CertificateEvent.id)).all()
    assert [(e.to_status, e.happened_on) for e in events] == [("有效", date(2015, 1, 1)), ("过期", date(2020, 1, 1))]
    # Counters move past the imported serials: the next 2020 number is 00103.
    assert db.session.get(NumberCounter, "3504812020#").last_value == 102
    assert certs.card(issued_on=date(2020, 5, 1)).number == "350481202000103"


@pytest.mark.parametrize("over, column, message", [
    ({"证件编号": "A" * 33}, "证件编号", "超过32个字符"),
    ({"证件编号": "3504/2020-001"}, "证件编号", "不允许的字符"),
    ({"证件编号": "35040013 001234"}, "证件编号", "不允许的字符"),
    ({"证件编号": "执法0013001234"}, "证件编号", "不允许的字符"),
    ({"有效期至": date(2019, 1, 1)}, "有效期至", "有效期至必须晚于发证日期"),
    ({"姓名": "别人"}, "姓名", "不一致"),
    ({"单位编码": "NOPE"}, "单位编码", "不存在"),
    ({"执法类别": "捕鱼"}, "执法类别", "不在配置的类别中"),
    ({"证件状态": "作废"}, "证件状态", "无效"),
    ({"发证日期": "2020-13-45"}, "发证日期", "不是有效日期"),
])
def test_bad_rows_are_refused(db, certs, over, column, message):
    person = make_person(certs.org.town_a, "导入丁")
    db.session.commit()
    result = run([card_row(person, **over)], user=certs.bureau)
    assert not result.ok
    assert any(e.column == column and message in e.message for e in result.errors), result.errors
    assert total(db) == 0 and total(db, CertificateEvent) == 0


def test_unknown_person_and_duplicates(db, certs):
    from intranet.testing import make_id
    person = make_person(certs.org.town_a, "导入戊")
    existing = certs.card(number="350481202000555")
    ghost = type("P", (), {"id_number": make_id(), "name": "查无此人"})()
    result = run([card_row(person, "350481202000201"),
                  card_row(person, "350481202000201"),
                  card_row(ghost, "350481202000202"),
                  card_row(person, existing.number)], user=certs.bureau)
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "与第2行重复" in messages[(3, "证件编号")]
    assert "未找到该身份证号的人员" in messages[(4, "身份证号")]
    assert "已存在" in messages[(5, "证件编号")]
    assert total(db) == 1


def test_department_admin_cannot_import_for_another_unit(db, certs):
    person = make_person(certs.org.town_b, "导入己")
    db.session.commit()
    result = run([card_row(person, 单位编码="X01-B")], user=certs.org.users["dept_admin_a"])
    assert any("无权" in e.message for e in result.errors)
    assert total(db) == 0


def test_bulk_import(db, certs):
    """A larger file goes through in bulk statements (and all-or-nothing)."""
    from sqlalchemy import insert
    from intranet.models import Person
    from intranet.testing import make_id
    rows = [{"name": f"批量{i}", "id_number": make_id(), "department_id": certs.org.town_a.id, "staffing": "行政编制",
             "enforcement_post": True, "status": "在岗", "title": "", "phone": "", "legal_qualification": False}
            for i in range(1500)]
    db.session.execute(insert(Person), rows)
    db.session.commit()
    people = [type("P", (), r)() for r in rows]
    result = run([card_row(p, f"3504812021{i:05d}") for i, p in enumerate(people)],
                 user=certs.bureau)
    assert result.ok, result.errors[:3]
    assert total(db) == 1500 and total(db, CertificateEvent) == 1500


def test_import_decisions(db, certs):
    o = certs.org
    retired = certs.card(make_person(o.town_a, status="退休"))
    contract = certs.card(make_person(o.town_a, staffing="合同工"))
    other = certs.card(make_person(o.town_b, status="辞职"), o.town_b)
    fine = certs.card()
    campaign = cleanup.open_campaign("导入清理", o.county, actor=certs.bureau)
    db.session.commit()
    # A card not in the open campaign, an unknown number, a bad decision, another unit's card.
    result = run([[fine.number, "收回", "无"], ["NOPE", "收回", "无"], [retired.number, "作废", "x"],
                  [other.number, "保留", "在岗"]], user=o.users["dept_admin_a"], kind="cleanup-decisions")
    messages = {e.row: e.message for e in result.errors}
    assert "不在任何进行中的清理活动的候选名单中" in messages[2]
    assert "不存在" in messages[3]
    assert "无效" in messages[4]
    assert "无权" in messages[5]
    assert not db.session.scalars(select(CleanupCandidate.decision).where(
        CleanupCandidate.decision.is_not(None))).all()
    result = run([[retired.number, "收回", "已退休"], [contract.number, "公告注销", "人员失联"]],
                 user=o.users["dept_admin_a"], kind="cleanup-decisions")
    assert result.ok and result.updated == 2
    decided = dict(db.session.execute(select(CleanupCandidate.certificate_id, CleanupCandidate.decision)
                                      .where(CleanupCandidate.campaign_id == campaign.id)).all())
    assert decided[retired.id] == "收回" and decided[contract.id] == "公告注销" and decided[other.id] is None


def test_empty_number_is_refused(db, certs):
    person = make_person(certs.org.town_a, "导入空")
    db.session.commit()
    result = run([card_row(person, "")], user=certs.bureau)
    assert not result.ok and any(e.column == "证件编号" for e in result.errors), result.errors
    assert total(db) == 0


LEGACY = ["35040013001234", "闽A-0123", "ZF-2013-0456", "3504812020001"]


def test_legacy_numbers_are_kept_verbatim_with_a_warning(client, db, certs):
    """A real roster's earlier numbers import as they are; the counters of the pattern stay where they were."""
    from intranet.testing import login

    from intranet_certificates import cleanup as cleanup_service
    people = [make_person(certs.org.town_a, f"旧证{i}") for i in range(len(LEGACY))]
    db.session.commit()
    rows = [card_row(p, n) for p, n in zip(people, LEGACY)] + [card_row(make_person(certs.org.town_a, "新证"),
                                                                         "350481202000101")]
    db.session.commit()
    result = run(rows, user=certs.bureau)
    assert result.ok, result.errors
    assert result.created == 5
    warned = {e.row: e.message for e in result.warnings if e.column == "证件编号"}
    assert sorted(warned) == [2, 3, 4, 5], result.warnings
    assert all("不符合现行编号规则" in m and "仅提示" in m for m in warned.values())
    numbers = set(db.session.scalars(select(Certificate.number)))
    assert set(LEGACY) <= numbers
    # Only the number under the pattern moved its counter; none other was made.
    assert {c.key: c.last_value for c in db.session.scalars(select(NumberCounter))} == {"3504812020#": 101}
    assert certs.card(issued_on=date(2020, 5, 1)).number == "350481202000102"

    # Verification (by path and by the form), the roster and a cleanup treat them like any card.
    for number in LEGACY:
        r = client.get(f"/verify?number={number}", follow_redirects=True)
        assert r.status_code == 200 and number in r.get_data(as_text=True) and "证件有效" in r.get_data(as_text=True)
        assert client.get(f"/verify/{number}?format=json").get_json()["number"] == number
    roster = client.get("/roster?q=旧证").get_data(as_text=True)
    assert all(n in roster for n in LEGACY)
    login(client, certs.bureau)
    holder = people[1]
    holder.status = "退休"
    db.session.commit()
    campaign = cleanup_service.open_campaign("旧证清理", certs.org.town_a, actor=certs.bureau)
    db.session.commit()
    page = client.get(f"/certificates/cleanup/{campaign.id}").get_data(as_text=True)
    assert "闽A-0123" in page
    candidate = cleanup_service.decide(campaign, "闽A-0123", "收回", "已退休", actor=certs.bureau)
    db.session.commit()
    cleanup_service.confirm(campaign, [candidate], actor=certs.bureau)
    db.session.commit()
    assert db.session.scalar(select(Certificate).where(Certificate.number == "闽A-0123")).status == "收回"
