"""申领 → 审核 → 核发 through the web pages, with every refusal the issue names."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.hookspecs import hookimpl
from intranet.models import AuditEvent
from intranet.plugins import get_pm
from intranet.testing import login, make_person

from intranet_certificates.models import Certificate, CertificateApplication, EnforcementSubject


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def apply(client, person, photo=None, **extra):
    data = {"person_id": person.id, "category": "综合行政执法", "region": "甲镇", "note": "已考试合格", **extra}
    if photo:
        data["photo"] = photo
    return client.post(f"/certificates/applications/new?department_id={person.department_id}", data=data,
                       content_type="multipart/form-data", follow_redirects=True)


def test_department_admin_applies_and_bureau_issues(no_other_answers, client, db, certs, photo):
    person = make_person(certs.org.town_a, "李执法")
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    page = client.get("/certificates/applications/new")
    assert page.status_code == 200 and "李执法" in page.get_data(as_text=True)
    response = apply(client, person, photo())
    text = response.get_data(as_text=True)
    assert "已提交李执法的行政执法证申领" in text
    item = db.session.scalars(select(CertificateApplication)).one()
    assert item.status == "待审核" and item.photo_file.endswith(".png") and item.photo_name == "照片.png"
    assert {c["key"] for c in item.checks} == {"formal_staff", "enforcement_post", "on_duty"}
    assert all(c["met"] for c in item.checks)
    assert "无插件提供" in text or "人工核实" in text

    # The department admin cannot approve.
    assert client.post(f"/certificates/applications/{item.id}/approve", data={"note": "x"}).status_code == 403

    login(client, certs.bureau)
    # Without the manual check (no exams plugin answers) approval is refused.
    r = client.post(f"/certificates/applications/{item.id}/approve", data={"note": "同意"}, follow_redirects=True)
    assert "请人工核实后勾选" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CertificateApplication, item.id).status == "待审核"
    r = client.post(f"/certificates/applications/{item.id}/approve",
                    data={"note": "同意", "manual_check": "y", "manual_note": "2025年资格考试86分"}, follow_redirects=True)
    assert "申领已批准" in r.get_data(as_text=True)
    r = client.post(f"/certificates/applications/{item.id}/issue",
                    data={"issued_on": date.today().isoformat(), "valid_until": "", "version": "全国统一样式",
                          "authority": "永安市人民政府", "number": ""}, follow_redirects=True)
    text = r.get_data(as_text=True)
    cert = db.session.scalars(select(Certificate)).one()
    assert f"已发证，证件编号 {cert.number}" in text
    assert cert.person_id == person.id and cert.photo_file == item.photo_file and cert.status == "有效"
    assert cert.valid_until.year == date.today().year + 5
    db.session.expire_all()
    item = db.session.get(CertificateApplication, item.id)
    assert item.status == "已发证" and item.certificate_id == cert.id and item.manual_check
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"certificates.apply", "certificates.application_approve", "certificates.issue",
            "certificates.application_issue"} <= actions
    # The card's photo is served to people in scope only.
    assert client.get(f"/certificates/{cert.id}/photo").status_code == 200
    login(client, certs.org.users["dept_admin_b"])
    assert client.get(f"/certificates/{cert.id}/photo").status_code == 403
    assert client.get(f"/certificates/{cert.id}").status_code == 403
    assert client.get(f"/certificates/applications/{item.id}").status_code == 403


@pytest.mark.parametrize("fields, message", [
    ({"staffing": "合同工"}, "合同工、临时工、劳务派遣和公益性岗位人员不能申领"),
    ({"staffing": "劳务派遣"}, "合同工、临时工、劳务派遣和公益性岗位人员不能申领"),
    ({"status": "退休"}, "只有在岗人员才能申领"),
    ({"enforcement_post": False}, "只有直接承担行政执法任务的人员才能申领"),
])
def test_refused_applications_save_nothing(client, db, certs, fields, message):
    person = make_person(certs.org.town_a, **fields)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    audits = count(db, AuditEvent)
    text = apply(client, person).get_data(as_text=True)
    assert message in text
    assert count(db, CertificateApplication) == 0
    assert count(db, AuditEvent) == audits


def test_only_staff_of_a_confirmed_subject(client, db, certs):
    person = make_person(certs.org.county)
    db.session.commit()
    login(client, certs.bureau)
    text = apply(client, person).get_data(as_text=True)
    assert "尚未经确认为行政执法主体" in text
    assert count(db, CertificateApplication) == 0
    # Once the subject is revoked, its staff cannot apply either.
    subject = db.session.scalars(select(EnforcementSubject).where(
        EnforcementSubject.department_id == certs.org.town_a.id)).one()
    subject.active = False
    db.session.commit()
    text = apply(client, make_person(certs.org.town_a)).get_data(as_text=True)
    assert "尚未经确认为行政执法主体" in text


def test_no_second_application_or_card(client, db, certs):
    person = make_person(certs.org.town_a)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    apply(client, person)
    text = apply(client, person).get_data(as_text=True)
    assert "正在办理的申领" in text
    holder = make_person(certs.org.town_a)
    certs.card(holder)
    text = apply(client, holder).get_data(as_text=True)
    assert "已持有行政执法证" in text
    assert count(db, CertificateApplication) == 1


def test_department_admin_cannot_apply_outside_scope(client, db, certs):
    person = make_person(certs.org.town_b)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    r = client.post(f"/certificates/applications/new?department_id={certs.org.town_b.id}",
                    data={"person_id": person.id, "category": "综合行政执法", "region": "乙镇"})
    assert r.status_code == 403
    assert count(db, CertificateApplication) == 0


def test_bad_photo_and_bad_category(client, db, certs):
    import io
    person = make_person(certs.org.town_a)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    text = apply(client, person, (io.BytesIO(b"not an image"), "photo.png")).get_data(as_text=True)
    assert "照片应为 JPG 或 PNG 图片" in text
    text = apply(client, person, category="不存在的类别").get_data(as_text=True)
    assert "选项无效" in text
    assert count(db, CertificateApplication) == 0


def test_reject_requires_reason(client, db, certs):
    person = make_person(certs.org.town_a)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    apply(client, person)
    item = db.session.scalars(select(CertificateApplication)).one()
    login(client, certs.bureau)
    text = client.post(f"/certificates/applications/{item.id}/reject", data={"reason": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "请填写退回原因" in text
    text = client.post(f"/certificates/applications/{item.id}/reject", data={"reason": "未参加培训"},
                       follow_redirects=True).get_data(as_text=True)
    assert "申领已退回" in text
    db.session.expire_all()
    item = db.session.get(CertificateApplication, item.id)
    assert item.status == "已退回" and item.review_note == "未参加培训"
    # A returned application cannot be issued.
    text = client.post(f"/certificates/applications/{item.id}/issue",
                       data={"issued_on": date.today().isoformat(), "version": "全国统一样式", "authority": "永安市人民政府"},
                       follow_redirects=True).get_data(as_text=True)
    assert "只有已批准的申领可以发证" in text
    assert count(db, Certificate) == 0


def test_issue_with_a_used_number_is_refused(no_other_answers, client, db, certs):
    existing = certs.card(number="350481202400999")
    person = make_person(certs.org.town_a)
    db.session.commit()
    from intranet_certificates import applications
    item = applications.submit(person, category="市场监管", region="甲镇", actor=certs.org.users["dept_admin_a"])
    applications.approve(item, manual_check=True, manual_note="成绩单", actor=certs.bureau)
    db.session.commit()
    login(client, certs.bureau)
    text = client.post(f"/certificates/applications/{item.id}/issue",
                       data={"issued_on": date.today().isoformat(), "version": "全国统一样式",
                             "authority": "永安市人民政府", "number": existing.number},
                       follow_redirects=True).get_data(as_text=True)
    assert "已被使用" in text
    db.session.expire_all()
    assert db.session.get(CertificateApplication, item.id).status == "已批准"
    assert count(db, Certificate) == 1


class ExamsAnswer:
    """Stands in for the exams plugin answering certificate_prerequisites."""

    def __init__(self, met):
        self.met = met

    @hookimpl(optionalhook=True)
    def certificate_prerequisites(self, person):
        return [{"plugin": "exams", "key": "qualification_exam", "label": "行政执法资格考试",
                 "met": self.met, "detail": "2025年度行政执法资格考试 合格（86分）" if self.met else "未参加考试"}]


@pytest.mark.parametrize("met", [True, False])
def test_prerequisites_from_another_plugin(no_other_answers, app, client, db, certs, met):
    get_pm(app).register(ExamsAnswer(met), name="fake_exams")
    person = make_person(certs.org.town_a)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    apply(client, person)
    item = db.session.scalars(select(CertificateApplication)).one()
    exam = [c for c in item.checks if c["plugin"] == "exams"]
    assert exam and exam[0]["met"] is met
    login(client, certs.bureau)
    page = client.get(f"/certificates/applications/{item.id}").get_data(as_text=True)
    assert "行政执法资格考试" in page and "manual_check" not in page
    text = client.post(f"/certificates/applications/{item.id}/approve", data={"note": "同意"},
                       follow_redirects=True).get_data(as_text=True)
    db.session.expire_all()
    if met:
        assert db.session.get(CertificateApplication, item.id).status == "已批准"
    else:
        assert "前置条件未满足" in text
        assert db.session.get(CertificateApplication, item.id).status == "待审核"


def test_prerequisites_are_asked_again_when_the_bureau_decides(no_other_answers, app, client, db, certs):
    """The candidate passes the exam after the application was filed: approved without refiling,
    the review page shows both answers, and the current ones are frozen with the decision."""
    answer = ExamsAnswer(False)
    get_pm(app).register(answer, name="fake_exams")
    person = make_person(certs.org.town_a, "后考过")
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    apply(client, person)
    item = db.session.scalars(select(CertificateApplication)).one()
    assert [c["met"] for c in item.checks if c["plugin"] == "exams"] == [False]

    login(client, certs.bureau)
    page = client.get(f"/certificates/applications/{item.id}").get_data(as_text=True)
    assert "提交申领时" in page and "暂不能批准" in page

    answer.met = True  # passed the exam since
    page = client.get(f"/certificates/applications/{item.id}").get_data(as_text=True)
    assert "未参加考试" in page and "2025年度行政执法资格考试 合格（86分）" in page and "暂不能批准" not in page
    text = client.post(f"/certificates/applications/{item.id}/approve", data={"note": "同意"},
                       follow_redirects=True).get_data(as_text=True)
    assert "申领已批准" in text
    db.session.expire_all()
    item = db.session.get(CertificateApplication, item.id)
    assert item.status == "已批准"
    assert [c["met"] for c in item.checks if c["plugin"] == "exams"] == [False]          # at application
    assert [c["met"] for c in item.decision_checks if c["plugin"] == "exams"] == [True]  # at decision
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificates.application_approve")).one()
    assert any(c["plugin"] == "exams" and c["met"] for c in audit.after["checks"])

    # Frozen: a later change of the answer does not change what the decision rested on.
    answer.met = False
    page = client.get(f"/certificates/applications/{item.id}").get_data(as_text=True)
    assert "审核时" in page and "2025年度行政执法资格考试 合格（86分）" in page


def test_approval_refused_when_a_current_answer_is_unmet(no_other_answers, app, db, certs):
    from intranet_certificates import applications
    answer = ExamsAnswer(True)
    get_pm(app).register(answer, name="fake_exams")
    person = make_person(certs.org.town_a)
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="甲镇", actor=certs.org.users["dept_admin_a"])
    db.session.commit()
    answer.met = False  # e.g. the result was annulled
    with pytest.raises(applications.ApplicationError, match="行政执法资格考试"):
        applications.approve(item, actor=certs.bureau)
    db.session.rollback()
    assert db.session.get(CertificateApplication, item.id).status == "待审核"


def test_a_hand_entered_number_must_fit_the_pattern(no_other_answers, client, db, certs):
    from intranet_certificates import applications
    person = make_person(certs.org.town_a)
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="甲镇", actor=certs.org.users["dept_admin_a"])
    applications.approve(item, manual_check=True, manual_note="成绩单", actor=certs.bureau)
    db.session.commit()
    login(client, certs.bureau)
    text = client.post(f"/certificates/applications/{item.id}/issue",
                       data={"issued_on": date.today().isoformat(), "version": "全国统一样式",
                             "authority": "永安市人民政府", "number": "ZF-2013-0456"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不符合现行编号规则" in text
    db.session.expire_all()
    assert db.session.get(CertificateApplication, item.id).status == "已批准"
    assert count(db, Certificate) == 0
    number = f"350481{date.today().year}00777"  # under the pattern: issued with it
    text = client.post(f"/certificates/applications/{item.id}/issue",
                       data={"issued_on": date.today().isoformat(), "version": "全国统一样式",
                             "authority": "永安市人民政府", "number": number},
                       follow_redirects=True).get_data(as_text=True)
    assert f"已发证，证件编号 {number}" in text


def test_department_admin_withdraws_a_pending_application(no_other_answers, client, db, certs):
    from intranet_certificates import applications
    person = make_person(certs.org.town_a, "撤回人")
    other = make_person(certs.org.town_b, "乙镇人")
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="甲镇", actor=certs.org.users["dept_admin_a"])
    theirs = applications.submit(other, category="市场监管", region="乙镇", actor=certs.org.users["dept_admin_b"])
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    assert "撤回申领" in client.get(f"/certificates/applications/{item.id}").get_data(as_text=True)
    # Not another unit's, not without the token.
    assert client.post(f"/certificates/applications/{theirs.id}/withdraw").status_code in (403, 404)
    text = client.post(f"/certificates/applications/{item.id}/withdraw", follow_redirects=True).get_data(as_text=True)
    assert "申领已撤回" in text
    db.session.expire_all()
    assert db.session.get(CertificateApplication, item.id).status == "已撤回"
    assert db.session.get(CertificateApplication, theirs.id).status == "待审核"
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificates.application_withdraw")).one()
    # Once only; and a withdrawn application is not pending: the person may be applied for again.
    text = client.post(f"/certificates/applications/{item.id}/withdraw", follow_redirects=True).get_data(as_text=True)
    assert "不能撤回" in text
    assert applications.refusals(db.session.get(type(person), person.id)) == []
    # An inspector cannot withdraw.
    login(client, certs.org.users["inspector"])
    assert client.post(f"/certificates/applications/{theirs.id}/withdraw").status_code == 403


def test_person_page_shows_pending_application_and_offers_apply(no_other_answers, client, db, certs):
    from intranet_certificates import applications
    ready = make_person(certs.org.town_a, "可申领")
    waiting = make_person(certs.org.town_a, "已申领")
    contract = make_person(certs.org.town_a, "合同工", staffing="合同工")
    db.session.commit()
    item = applications.submit(waiting, category="市场监管", region="永安市", actor=certs.org.users["dept_admin_a"])
    db.session.commit()

    def section(person):
        html = client.get(f"/people/{person.id}").get_data(as_text=True)
        return re.search(r'data-plugin="certificates">(.*?)</section>', html, re.S).group(1)

    login(client, certs.org.users["dept_admin_a"])
    own = section(ready)
    assert ">申领行政执法证</a>" in own
    link = re.search(r'href="([^"]*applications/new[^"]*)"', own).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert re.search(rf'<option selected value="{ready.id}">', form)   # the person is preselected
    pending = section(waiting)
    assert f"第 {item.id} 号（待审核" in pending and ">申领行政执法证</a>" not in pending
    assert f"/certificates/applications/{item.id}" in pending
    assert ">申领行政执法证</a>" not in section(contract)   # may not be applied for
    # Not offered to those who may not apply: an inspector, another unit's admin.
    login(client, certs.org.users["inspector"])
    assert ">申领行政执法证</a>" not in section(ready)
    login(client, certs.org.users["admin"])
    assert ">申领行政执法证</a>" in section(ready)


def test_dashboard_shows_returned_applications_with_reason(no_other_answers, client, db, certs):
    from intranet_certificates import applications
    person = make_person(certs.org.town_a, "被退回")
    other = make_person(certs.org.town_b, "乙镇退回")
    db.session.commit()
    item = applications.submit(person, category="市场监管", region="永安市", actor=certs.org.users["dept_admin_a"])
    theirs = applications.submit(other, category="市场监管", region="永安市", actor=certs.org.users["dept_admin_b"])
    applications.reject(item, reason="照片不符合要求，请重新上传", actor=certs.bureau)
    applications.reject(theirs, reason="乙镇的原因", actor=certs.bureau)
    db.session.commit()
    login(client, certs.org.users["dept_admin_a"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"已退回：被退回（第 {item.id} 号）" in page and "照片不符合要求，请重新上传" in page
    assert "乙镇的原因" not in page and "乙镇退回" not in page


def test_photo_is_not_written_when_the_final_check_refuses(no_other_answers, client, db, certs, photo, monkeypatch, app):
    """The checks inside the lock refuse (e.g. another application was filed meanwhile): no file is left behind."""
    from pathlib import Path

    from intranet_certificates import applications
    person = make_person(certs.org.town_a, "照片人")
    db.session.commit()
    answers = iter([[], ["照片人已有一份正在办理的申领（第 9 号），请勿重复申请"]])
    monkeypatch.setattr(applications, "refusals", lambda person, application=None: next(answers))
    login(client, certs.org.users["dept_admin_a"])
    text = apply(client, person, photo()).get_data(as_text=True)
    assert "请勿重复申请" in text
    assert count(db, CertificateApplication) == 0
    folder = Path(app.config["UPLOAD_FOLDER"]) / "certificates"
    assert not folder.exists() or not any(folder.iterdir())


def test_verify_query_with_a_slash_shows_the_plugins_message(client, db, certs):
    for url in ("/verify?number=a/b", "/verify?number=a%2Fb", "/verify/a/b"):
        r = client.get(url)
        text = r.get_data(as_text=True)
        assert r.status_code == 404 and "未查询到编号为 a/b 的行政执法证" in text and "页面或记录不存在" not in text
        assert 'name="number"' in text  # the form to try again
