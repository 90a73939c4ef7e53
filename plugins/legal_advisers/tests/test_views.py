"""The pages: forms through the client, uploads, coverage, alerts, the department tab, exports,
settings, and the scope of each list."""
from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
from sqlalchemy import func, select

from intranet.testing import login
from intranet_legal_advisers import service
from intranet_legal_advisers.models import Adviser, Contract, Service, ServiceFile
from intranet_legal_advisers.service import ServiceValues
from intranet_legal_advisers.validators import firm_code_for

TODAY = date.today()
PDF = b"%PDF-1.4\n%test\n"


def png_bytes():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def text(response):
    return response.get_data(as_text=True)


def contract_form(department, advisers, **fields):
    data = {"number": "HT-WEB-1", "department_id": department.id, "form": "常年法律顾问",
            "adviser_ids": [a.id for a in advisers], "start_on": (TODAY - timedelta(days=10)).isoformat(),
            "end_on": service.add_years(TODAY - timedelta(days=10), 2).isoformat(), "fee": "36000", "scope": "常年法律服务",
            "confidentiality": "y", "conflict_free": "y", "signed_on": (TODAY - timedelta(days=10)).isoformat(),
            "filed_on": (TODAY - timedelta(days=5)).isoformat()}
    data.update(fields)
    return data


def test_bureau_records_a_firm_and_a_contract_with_scan(client, db, org):
    login(client, org.users["bureau"])
    response = client.post("/legal-advisers/advisers/new", data={"kind": "律师事务所", "name": "福建商通律师事务所",
                                                                "code": firm_code_for(7)[:-1] + "X", "firm_id": 0,
                                                                "person_department_id": 0})
    assert response.status_code == 200 and "校验位不正确" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Adviser)) == 0
    response = client.post("/legal-advisers/advisers/new", data={"kind": "律师事务所", "name": "福建商通律师事务所",
                                                                "code": firm_code_for(7), "firm_id": 0,
                                                                "person_department_id": 0, "specialities": "合同审查"})
    assert response.status_code == 302
    firm = db.session.scalar(select(Adviser))
    data = contract_form(org.town_a, [firm])
    data["scan"] = (io.BytesIO(b"MZ\x90\x00"), "合同.exe")
    response = client.post("/legal-advisers/contracts/new", data=data, content_type="multipart/form-data",
                           follow_redirects=True)
    assert "文件类型不支持" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
    data = contract_form(org.town_a, [firm])
    data["scan"] = (io.BytesIO(b"not a pdf"), "合同.pdf")
    assert "内容不是 PDF" in text(client.post("/legal-advisers/contracts/new", data=data,
                                            content_type="multipart/form-data", follow_redirects=True))
    data = contract_form(org.town_a, [firm], fee="-5")
    assert "服务费不能为负数" in text(client.post("/legal-advisers/contracts/new", data=data, follow_redirects=True))
    data = contract_form(org.town_a, [firm])
    data["scan"] = (io.BytesIO(PDF), "合同.pdf")
    response = client.post("/legal-advisers/contracts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    contract = db.session.scalar(select(Contract))
    assert contract.status == "草拟" and contract.scan_name == "合同.pdf" and contract.scan_stored.endswith(".pdf")
    assert client.get(f"/legal-advisers/contracts/{contract.id}/scan").data == PDF
    assert client.post(f"/legal-advisers/contracts/{contract.id}/activate").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "生效"
    page = text(client.get(f"/legal-advisers/contracts/{contract.id}"))
    assert "HT-WEB-1" in page and "登记服务" in page and "福建商通律师事务所" in page
    # a PNG scan replaces it, re-encoded
    response = client.post(f"/legal-advisers/contracts/{contract.id}/scan/upload",
                           data={"scan": (io.BytesIO(png_bytes()), "扫描.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).scan_mimetype == "image/png"


def test_township_logs_and_rates_a_service(client, db, org, firm, make_contract):
    contract = make_contract(org.town_a, [firm()])
    login(client, org.users["dept_admin_a"])
    bad = {"served_on": (TODAY - timedelta(days=200)).isoformat(), "kind": "合同审查", "matter": "审查采购合同", "hours": "2"}
    assert "不在合同期限内" in text(client.post(f"/legal-advisers/contracts/{contract.id}/services", data=bad,
                                          follow_redirects=True))
    good = dict(bad, served_on=TODAY.isoformat(), attachment=(io.BytesIO(b"GIF89a"), "意见.gif"))
    assert "文件类型不支持" in text(client.post(f"/legal-advisers/contracts/{contract.id}/services", data=good,
                                          content_type="multipart/form-data", follow_redirects=True))
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    good["attachment"] = (io.BytesIO(PDF), "意见.pdf")
    client.post(f"/legal-advisers/contracts/{contract.id}/services", data=good, content_type="multipart/form-data")
    svc = db.session.scalar(select(Service))
    record = db.session.scalar(select(ServiceFile))
    assert svc.matter == "审查采购合同" and record.service_id == svc.id
    assert client.get(f"/legal-advisers/files/{record.id}").data == PDF
    assert "评价应为1到5分" in text(client.post(f"/legal-advisers/services/{svc.id}/rate", data={"rating": "7"},
                                           follow_redirects=True))
    client.post(f"/legal-advisers/services/{svc.id}/rate", data={"rating": "5", "comment": "及时专业"})
    db.session.expire_all()
    assert db.session.get(Service, svc.id).rating == 5
    page = text(client.get("/legal-advisers/services"))
    assert "审查采购合同" in page and "5分" in page


def test_lists_keep_to_the_users_scope(client, db, org, firm, make_contract):
    make_contract(org.town_a, [firm()], number="JIA-1")
    other = make_contract(org.town_b, [firm("福建正衡律师事务所", 2)], number="YI-1")
    login(client, org.users["dept_admin_a"])
    page = text(client.get("/legal-advisers/"))
    assert "JIA-1" in page and "YI-1" not in page
    assert client.get(f"/legal-advisers/contracts/{other.id}").status_code == 403
    assert client.get(f"/legal-advisers/departments/{org.town_b.id}").status_code == 403
    assert client.get(f"/legal-advisers/?department={org.town_b.id}").status_code == 403
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/legal-advisers/export/contracts").data)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["JIA-1"]
    # the talent pool is open to everyone; editing it is for the 司法局
    adviser = other.advisers[0]
    assert "福建正衡律师事务所" in text(client.get("/legal-advisers/advisers"))
    assert "YI-1" not in text(client.get(f"/legal-advisers/advisers/{adviser.id}"))
    assert client.post(f"/legal-advisers/advisers/{adviser.id}/edit", data={"kind": "律师事务所"}).status_code == 403
    login(client, org.users["staff_a"])
    assert client.get("/legal-advisers/").status_code == 403
    assert client.get("/legal-advisers/advisers").status_code == 200


def test_pool_search_by_speciality_and_adviser_history(client, db, org, firm, make_contract):
    litigator = firm("福建诉讼律师事务所", 3, specialities="行政诉讼")
    firm("福建合同律师事务所", 4, specialities="合同审查")
    contract = make_contract(org.town_a, [litigator], number="LS-1")
    login(client, org.users["bureau"])
    page = text(client.get("/legal-advisers/advisers?speciality=行政诉讼"))
    assert "福建诉讼律师事务所" in page and "福建合同律师事务所" not in page
    history = text(client.get(f"/legal-advisers/advisers/{litigator.id}"))
    assert "LS-1" in history and contract.department.name in history


def test_coverage_lists_units_without_adviser_and_idle_ones(client, db, org, firm, make_contract):
    used = make_contract(org.town_a, [firm()], number="A")
    make_contract(org.market, [firm("福建明德律师事务所", 3)], number="M")
    service.add_service(used, ServiceValues(served_on=TODAY, kind="合同审查", matter="审查", hours=1), None)
    db.session.commit()
    login(client, org.users["bureau"])
    page = text(client.get(f"/legal-advisers/coverage?department={org.county.id}"))
    listed = page.split('id="coverage-list"')[1]
    assert "乙镇" in listed and "永安县" in listed and "甲镇" not in listed
    assert "66.7%" not in page and "33.3%" in page      # 1 of 3 units of the county
    idle = text(client.get("/legal-advisers/coverage?show=idle"))
    listed = idle.split('id="coverage-list"')[1]
    assert "永安市市场监督管理局" in listed and "甲镇" not in listed
    past = text(client.get(f"/legal-advisers/coverage?date={(TODAY - timedelta(days=400)).isoformat()}"))
    assert "未聘请法律顾问的单位 <strong>6</strong>" in past
    assert "日期无效" in text(client.get("/legal-advisers/coverage?date=2024-13-01", follow_redirects=True))
    tab = text(client.get(f"/legal-advisers/departments/{org.market.id}"))
    assert "近12个月未使用法律顾问服务" in tab and "M" in tab


def test_alerts(client, db, org, firm, make_contract):
    make_contract(org.town_a, [firm()], number="SOON", start=service.add_years(TODAY, -2) + timedelta(days=20))
    make_contract(org.market, [firm("福建明德律师事务所", 3)], number="LATE", start=TODAY - timedelta(days=500),
                  signed_on=TODAY - timedelta(days=500), filed_on=TODAY - timedelta(days=470))
    login(client, org.users["bureau"])
    page = text(client.get("/legal-advisers/alerts"))
    assert "30天内到期" in page and "SOON" in page
    assert "乙镇" in page.split("未聘请法律顾问的单位")[1]
    assert "LATE" in page.split("备案逾期的合同")[1] and "30天" in page
    assert f"{TODAY.year - 1}年度尚未考核" in page


def test_assessment_page_prefills_and_saves(client, db, org, firm, make_contract):
    year = TODAY.year - 1
    contract = make_contract(org.town_a, [firm()], start=date(year, 2, 1))
    s = service.add_service(contract, ServiceValues(served_on=date(year, 5, 1), kind="合同审查", matter="审查", hours=1),
                            None, today=date(year, 12, 31))
    service.rate(s, 4, "", None)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    page = text(client.get(f"/legal-advisers/contracts/{contract.id}/assess?year={year}"))
    assert 'name="client_0"' in page and 'value="16"' in page and "平均评价" in page
    data = {"year": year, "decision": "续聘", "client_0": "16", "client_1": "24", "client_2": "16", "client_3": "24",
            "self_0": "18", "self_1": "27", "self_2": "18", "self_3": "27"}
    response = client.post(f"/legal-advisers/contracts/{contract.id}/assess", data=data, follow_redirects=True)
    assert "考核已保存" in text(response) and "称职" in text(response)
    again = client.post(f"/legal-advisers/contracts/{contract.id}/assess", data=data, follow_redirects=True)
    assert "已考核" in text(again)


def test_settings_are_for_the_deployment_admin(client, db, org):
    login(client, org.users["bureau"])
    assert client.get("/legal-advisers/settings").status_code == 200
    data = {"dimensions": "服务质量:60\n廉洁自律:40", "client_weight": 80, "excellent": 90, "competent": 80, "basic": 60,
            "filing_days": 15}
    assert client.post("/legal-advisers/settings", data=data).status_code == 302
    from intranet_legal_advisers import settings
    assert settings.dimensions() == [{"name": "服务质量", "max": 60}, {"name": "廉洁自律", "max": 40}]
    bad = dict(data, dimensions="服务质量")
    assert "名称:满分" in text(client.post("/legal-advisers/settings", data=bad, follow_redirects=True))
    login(client, org.users["dept_admin_a"])
    assert client.get("/legal-advisers/settings").status_code == 403


def test_dashboard_widget(client, db, org, firm, make_contract):
    make_contract(org.town_a, [firm()])
    login(client, org.users["dept_admin_a"])
    page = text(client.get("/dashboard"))
    assert "法律顾问覆盖率" in page and "100.0%" in page


def test_the_core_department_page_shows_the_units_adviser(client, db, org, firm, make_contract):
    import re
    contract = make_contract(org.town_a, [firm()])

    def section(dept):
        html = client.get(f"/departments/{dept.id}").get_data(as_text=True)
        return re.search(r'class="panel department-section" data-plugin="legal_advisers">(.*?)</section>', html, re.S).group(1)

    login(client, org.users["dept_admin_a"])
    own = section(org.town_a)
    assert "已聘请" in own and contract.number in own and "福建商通律师事务所" in own
    assert "有合同但近12个月无服务记录" in own                # covered but idle
    assert f"/legal-advisers/departments/{org.town_a.id}" in own
    service.add_service(contract, ServiceValues(served_on=TODAY, kind="合同审查", matter="审查合同", hours=1), None)
    db.session.commit()
    own = section(org.town_a)
    assert "1件次" in own and "无服务记录" not in own
    login(client, org.users["bureau"])
    assert "未聘请" in section(org.town_b) and contract.number not in section(org.town_b)
