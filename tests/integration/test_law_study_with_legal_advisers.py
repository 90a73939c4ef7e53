"""The law_study and legal_advisers plugins together: a 法治讲座 logged as an adviser's service is
linked to the real 法治专题讲座 session it was.

Neither plugin imports the other: legal_advisers defines ``adviser_lecture_sessions``, law_study
answers it (optionalhook).
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.testing import login

pytest.importorskip("intranet_law_study")
pytest.importorskip("intranet_legal_advisers")

TODAY = date.today()


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["law_study", "legal_advisers"], "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def contract_of(db, department):
    from intranet_legal_advisers import service
    from intranet_legal_advisers.validators import firm_code_for
    firm = service.save_adviser(None, service.AdviserValues(kind="律师事务所", name="福建商通律师事务所",
                                                            code=firm_code_for(1)), None)
    start = TODAY - timedelta(days=100)
    contract = service.save_contract(None, service.ContractValues(
        number="HT-1", department_id=department.id, form="常年法律顾问", start_on=start,
        end_on=service.add_years(start, 2) - timedelta(days=1), fee="30000", adviser_ids=[firm.id], scope="常年法律服务",
        confidentiality=True, conflict_free=True, signed_on=start, filed_on=start), None)
    service.activate(contract, None)
    db.session.commit()
    return contract


def lecture(db, department, day, topic, kind="法治专题讲座"):
    from intranet_law_study import service
    session = service.save_session(None, service.SessionValues(
        department_id=department.id, kind=kind, held_on=day, duration_minutes=90, topic=topic, laws=["《民法典》"],
        speaker="张律师", speaker_type="法律顾问", status="已举行"), None, today=TODAY)
    db.session.commit()
    return session


def test_a_lecture_service_links_to_the_law_study_session(client, db, org):
    from intranet_legal_advisers.models import Service
    contract = contract_of(db, org.town_a)
    day = TODAY - timedelta(days=3)
    held = lecture(db, org.town_a, day, "民法典与政府合同")
    elsewhere = lecture(db, org.town_b, day, "别的单位的讲座")
    lecture(db, org.town_a, day, "会前学法", kind="集中学法")
    login(client, org.users["dept_admin_a"])
    page = client.get(f"/legal-advisers/contracts/{contract.id}").get_data(as_text=True)
    assert "关联的学法活动" in page and f"law_study:{held.id}" in page and "民法典与政府合同" in page
    assert f"law_study:{elsewhere.id}" not in page and "会前学法" not in page
    data = {"served_on": day.isoformat(), "kind": "法治讲座", "matter": "为镇政府讲授民法典", "hours": "2",
            "lecture_ref": f"law_study:{elsewhere.id}"}
    refused = client.post(f"/legal-advisers/contracts/{contract.id}/services", data=data, follow_redirects=True)
    assert "所选学法活动不存在或不属于该单位" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    data["lecture_ref"] = f"law_study:{held.id}"
    client.post(f"/legal-advisers/contracts/{contract.id}/services", data=data)
    entry = db.session.scalar(select(Service))
    label = f"{day.isoformat()} 法治专题讲座：民法典与政府合同（主讲：张律师）"
    assert entry.lecture_ref == f"law_study:{held.id}" and entry.lecture_label == label
    shown = f"学法活动：{label}"
    assert shown in client.get(f"/legal-advisers/contracts/{contract.id}").get_data(as_text=True)
    assert shown in client.get("/legal-advisers/services").get_data(as_text=True)
    # a service of another kind cannot carry the link
    data.update(kind="合同审查", matter="审查合同")
    refused = client.post(f"/legal-advisers/contracts/{contract.id}/services", data=data, follow_redirects=True)
    assert "只有法治讲座可以关联学法活动" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Service)) == 1
