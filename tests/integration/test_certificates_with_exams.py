"""The certificates and exams plugins together: an application sees the qualification exam.

Neither plugin imports the other; this test, outside both, checks that they meet through the
``certificate_prerequisites`` hook in a real application flow.
"""
import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from intranet.testing import login, make_person

pytest.importorskip("intranet_certificates")
pytest.importorskip("intranet_exams")


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["certificates", "exams"], "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def png():
    out = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(out, "PNG")
    out.seek(0)
    return out, "照片.png"


def pass_qualification_exam(db, org, person, score):
    from intranet_exams import service
    from intranet_exams.models import Exam
    exam = Exam(code="ZG2026", name="2026年度行政执法资格考试", kind="行政执法资格考试", part="", year=date.today().year,
                organiser_id=org.bureau_dept.id, exam_date=date.today(), full_mark=100, pass_mark=60, online=False,
                audience="list", max_attempts=2, self_registration=False)
    db.session.add(exam)
    db.session.commit()
    service.register(exam, [person], "已报名", None)
    service.record_result(exam, person, "参考", score, None)
    db.session.commit()


def apply_for(client, person):
    return client.post(f"/certificates/applications/new?department_id={person.department_id}",
                       data={"person_id": person.id, "category": "综合行政执法", "region": "甲镇", "photo": png()},
                       content_type="multipart/form-data", follow_redirects=True)


def test_application_carries_the_exam_pass_and_is_approved_without_manual_check(client, db, org):
    from intranet_certificates.models import CertificateApplication, EnforcementSubject
    db.session.add(EnforcementSubject(department_id=org.town_a.id, kind="法定行政机关", confirmed_on=date(2024, 1, 5),
                                      basis="测试确认", active=True))
    passed = make_person(org.town_a, "王合格")
    failed = make_person(org.town_a, "赵未考")
    db.session.commit()
    pass_qualification_exam(db, org, passed, 88)

    login(client, org.users["dept_admin_a"])
    assert "已提交王合格的行政执法证申领" in apply_for(client, passed).get_data(as_text=True)
    assert "已提交赵未考的行政执法证申领" in apply_for(client, failed).get_data(as_text=True)
    apps = {a.person_id: a for a in db.session.scalars(select(CertificateApplication))}
    exam_check = {pid: next(c for c in a.checks if c["key"] == "qualification_exam") for pid, a in apps.items()}
    assert exam_check[passed.id]["met"] and "88分" in exam_check[passed.id]["detail"]
    assert exam_check[failed.id]["met"] is False

    login(client, org.users["bureau"])
    ok = client.post(f"/certificates/applications/{apps[passed.id].id}/approve", data={"note": "同意"},
                     follow_redirects=True)
    assert "申领已批准" in ok.get_data(as_text=True)
    refused = client.post(f"/certificates/applications/{apps[failed.id].id}/approve", data={"note": "同意"},
                          follow_redirects=True)
    assert "申领已批准" not in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CertificateApplication, apps[passed.id].id).status == "已批准"
    assert db.session.get(CertificateApplication, apps[failed.id].id).status == "待审核"
