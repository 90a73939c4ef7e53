"""The three imports: templates from the core framework, every row checked by the service rules,
all or nothing."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select

from intranet.imports import get_import_kind, run_import
from intranet.testing import make_person, xlsx_bytes
from intranet_legal_advisers.models import Adviser, Contract, Service
from intranet_legal_advisers.validators import firm_code_for

TODAY = date.today()


def run(kind_name, rows, user):
    kind = get_import_kind(kind_name)
    return run_import(kind, io.BytesIO(xlsx_bytes(kind.column_names, rows)), user=user)


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_columns_are_the_issues(app):
    assert get_import_kind("advisers").column_names == ["类型", "名称", "执业证号或统一社会信用代码", "所属律师事务所", "专长", "联系电话"]
    assert get_import_kind("adviser-contracts").column_names == [
        "合同编号", "单位编码", "顾问名称", "执业证号或统一社会信用代码", "形式", "开始日期", "结束日期", "服务费(元)", "服务范围",
        "签订日期", "备案日期", "状态"]
    assert get_import_kind("adviser-services").column_names == ["合同编号", "日期", "类型", "事项", "用时(小时)", "结果"]


def test_advisers_import_all_or_nothing(db, org):
    person = make_person(org.town_a, "孙公职")
    db.session.commit()
    code = firm_code_for(11)
    rows = [["律师", "王律师", "13501201012345678", "福建商通律师事务所", "合同审查、行政诉讼", "13900000000"],
            ["律师事务所", "福建商通律师事务所", code, "", "合同审查", ""],
            ["公职律师", "孙公职", "", "X01-A", "行政复议", ""],
            ["律师事务所", "坏律所", code[:-1] + ("1" if code[-1] != "1" else "2"), "", "", ""]]
    result = run("advisers", rows, org.users["bureau"])
    assert not result.ok and any("校验位" in e.message for e in result.errors)
    assert count(db, Adviser) == 0
    result = run("advisers", rows[:3], org.users["bureau"])
    assert result.ok and result.created == 3
    lawyer = db.session.scalar(select(Adviser).where(Adviser.kind == "律师"))
    assert lawyer.firm.name == "福建商通律师事务所"
    assert db.session.scalar(select(Adviser.person_id).where(Adviser.kind == "公职律师")) == person.id
    result = run("advisers", [["律师", "李律师", "1350120101234", "", "", ""]], org.users["bureau"])
    assert not result.ok and "17位" in result.errors[0].message


def test_contracts_and_services_import(db, org, firm):
    f = firm()
    start = TODAY - timedelta(days=60)
    end = start + timedelta(days=729)
    good = ["HT-IMP-1", "X01-A", f.name, f.code, "常年法律顾问", start, end, 30000, "常年法律服务", start,
            start + timedelta(days=20), "生效"]
    bad_rows = [
        ["HT-IMP-2", "X01-B", f.name, f.code, "常年法律顾问", start, start - timedelta(days=1), 1000, "", None, None, "生效"],
        ["HT-IMP-3", "X01-B", f.name, f.code, "常年法律顾问", start, end, -10, "", None, None, "生效"],
        ["HT-IMP-4", "X01-B", f.name, f.code, "常年法律顾问", start, end, "一万", "", None, None, "生效"],
        ["HT-IMP-5", "X01-A", f.name, f.code, "常年法律顾问", start, end, 1000, "", None, None, "生效"],
        ["HT-IMP-6", "X01-B", "别的名字", f.code, "常年法律顾问", start, end, 1000, "", None, None, "生效"],
    ]
    result = run("adviser-contracts", [good] + bad_rows, org.users["bureau"])
    messages = " ".join(e.message for e in result.errors)
    assert not result.ok
    for text in ("结束日期不能早于开始日期", "服务费不能为负数", "不是有效的数字", "期限重叠", "不一致"):
        assert text in messages, text
    assert count(db, Contract) == 0
    result = run("adviser-contracts", [good], org.users["bureau"])
    assert result.ok and result.created == 1
    assert any("超过15天" in w.message for w in result.warnings)
    contract = db.session.scalar(select(Contract))
    assert (contract.status, contract.confidentiality, contract.filed_late) == ("生效", True, True)
    # a 单位管理员 of 乙镇 may not import for 甲镇
    result = run("adviser-contracts", [["HT-IMP-9", "X01-A", f.name, f.code, "专项法律顾问", start, end, 0, "", None,
                                        None, "草拟"]], org.users["dept_admin_b"])
    assert not result.ok and "无权" in result.errors[0].message

    rows = [["HT-IMP-1", TODAY - timedelta(days=3), "合同审查", "审查租赁合同", 2, "已出具意见"],
            ["HT-IMP-1", start - timedelta(days=5), "合同审查", "期限外", 1, ""]]
    result = run("adviser-services", rows, org.users["dept_admin_a"])
    assert not result.ok and "不在合同期限内" in result.errors[0].message and result.errors[0].row == 3
    assert count(db, Service) == 0
    result = run("adviser-services", rows[:1], org.users["dept_admin_a"])
    assert result.ok and result.created == 1
    assert db.session.scalar(select(Service.department_id)) == org.town_a.id
