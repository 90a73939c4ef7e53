"""Pages: roles and scope, registration, result entry, exam form, question bank, export, settings."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.models import AuditEvent, Setting
from intranet.testing import login, make_person
from intranet_exams import service
from intranet_exams.models import Exam, ExamResult, Exemption, Question, Registration


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("role, status", [("admin", 200), ("bureau", 200), ("dept_admin_a", 200),
                                          ("inspector", 200), ("staff_a", 403)])
def test_exam_list_by_role(client, org, make_exam, role, status):
    make_exam(name="二〇二五年度普法考试")
    login(client, org.users[role])
    r = client.get("/exams/")
    assert r.status_code == status
    if status == 200:
        assert "二〇二五年度普法考试" in r.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, make_exam):
    exam = make_exam()
    for url in ("/exams/", f"/exams/{exam.id}", "/exams/mine", "/exams/questions"):
        assert client.get(url).status_code == 302


def test_bureau_only_pages(client, org, make_exam):
    exam = make_exam()
    for role in ("dept_admin_a", "inspector", "staff_a"):
        login(client, org.users[role])
        for url in ("/exams/new", f"/exams/{exam.id}/edit", "/exams/questions", "/exams/questions/new",
                    "/exams/settings", f"/exams/{exam.id}/blueprint"):
            assert client.get(url).status_code == 403, (role, url)
        assert client.post("/exams/new", data={"code": "X"}).status_code == 403
    assert count(client.application.extensions["sqlalchemy"], Exam) == 1


def test_create_exam_and_pass_mark_above_full_mark(db, client, org):
    login(client, org.users["bureau"])
    data = dict(code="ZG2026", name="2026年度行政执法资格考试", kind="行政执法资格考试", part="专业",
                organiser_id=org.bureau_dept.id, exam_date="2026-06-12", full_mark="100", pass_mark="120",
                audience="enforcement", audience_department_id="0", max_attempts="2")
    r = client.post("/exams/new", data=data)
    assert r.status_code == 200 and "合格分不能高于满分" in r.get_data(as_text=True)
    assert count(db, Exam) == 0
    data["pass_mark"] = "60"
    r = client.post("/exams/new", data=data)
    assert r.status_code == 302
    exam = db.session.scalar(select(Exam))
    assert (exam.part, exam.year, exam.title) == ("专业", 2026, "2026年度行政执法资格考试（专业）")
    r = client.post("/exams/new", data=data)
    assert "考试编号已存在" in r.get_data(as_text=True)
    no_date = {**data, "code": "X2", "exam_date": ""}
    assert "请填写考试日期" in client.post("/exams/new", data=no_date).get_data(as_text=True)
    assert count(db, Exam) == 1


def test_edit_pass_mark_recomputes_passes(db, client, org, make_exam, register_people):
    exam = make_exam()
    p = make_person(org.town_a)
    register_people(exam, [p])
    service.record_result(exam, p, "参考", 65, None)
    db.session.commit()
    login(client, org.users["bureau"])
    data = dict(code=exam.code, name=exam.name, kind=exam.kind, part="", organiser_id=org.bureau_dept.id,
                exam_date=date.today().isoformat(), full_mark="100", pass_mark="70", audience="list",
                audience_department_id="0", max_attempts="2")
    assert client.post(f"/exams/{exam.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ExamResult.passed)) is False
    data["full_mark"] = "50"
    data["pass_mark"] = "30"
    assert "满分不能低于该成绩" in client.post(f"/exams/{exam.id}/edit", data=data).get_data(as_text=True)


def test_department_admin_registers_own_staff_only(db, client, org, make_exam):
    exam = make_exam()
    mine_, theirs = make_person(org.town_a, "甲镇人员"), make_person(org.town_b, "乙镇人员")
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    page = client.get(f"/exams/{exam.id}/register").get_data(as_text=True)
    assert "甲镇人员" in page and "乙镇人员" not in page
    r = client.post(f"/exams/{exam.id}/register", data={"people": [theirs.id], "status": "预报名"}, follow_redirects=True)
    assert "不在您管理范围内" in r.get_data(as_text=True)
    assert count(db, Registration) == 0
    r = client.post(f"/exams/{exam.id}/register", data={"people": [mine_.id, org.staff_person.id], "status": "预报名"})
    assert r.status_code == 302
    assert count(db, Registration, Registration.status == "预报名") == 2
    reg = service.registration_of(exam, mine_)
    r = client.post(f"/exams/{exam.id}/confirm", data={"registrations": [reg.id]})
    db.session.expire_all()
    assert service.registration_of(exam, mine_).status == "已报名"
    client.post(f"/exams/{exam.id}/confirm", data={"all": "1"})
    db.session.expire_all()
    assert count(db, Registration, Registration.status == "已报名") == 2
    # the other town's administrator cannot touch these by URL
    login(client, org.users["dept_admin_b"])
    assert client.post(f"/exams/registrations/{reg.id}/cancel").status_code == 403
    assert client.get(f"/exams/registrations/{reg.id}/exemption").status_code == 403
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "甲镇人员" not in page
    db.session.expire_all()
    assert service.registration_of(exam, mine_).status == "已报名"
    assert count(db, AuditEvent, AuditEvent.object_type == "exams_exam") >= 3


def test_exam_page_figures_are_scoped(db, client, org, make_exam, register_people):
    exam = make_exam()
    a, b = make_person(org.town_a, "甲一"), make_person(org.town_b, "乙一")
    register_people(exam, [a, b])
    service.record_result(exam, a, "参考", 90, None)
    db.session.commit()
    login(client, org.users["dept_admin_b"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "乙一" in html and "甲一" not in html and "110" not in html.split("报名名单")[1].split("身份证号")[0]
    login(client, org.users["bureau"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "甲一" in html and "乙一" in html and a.id_number not in html and a.masked_id_number in html
    assert "50.0%" in html  # 参考率: 1 of 2


def test_exemption_pages(db, client, org, make_exam, register_people):
    exam = make_exam()
    p = make_person(org.town_a, legal_qualification=True)
    reg, = register_people(exam, [p])
    login(client, org.users["dept_admin_a"])
    r = client.post(f"/exams/registrations/{reg.id}/exemption", data={"reason": "法律职业资格", "note": ""})
    assert r.status_code == 302
    ex = db.session.scalar(select(Exemption))
    assert client.post(f"/exams/exemptions/{ex.id}/decide", data={"approve": "批准"}).status_code == 403
    login(client, org.users["bureau"])
    assert "待审批" in client.get(f"/exams/{exam.id}/exemptions").get_data(as_text=True)
    detail = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "（待审批 1）" in detail and "<td>待审批</td>" in detail
    assert client.post(f"/exams/exemptions/{ex.id}/decide", data={"approve": "批准", "note": "同意"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Exemption, ex.id).status == "已批准"
    detail = client.get(f"/exams/{exam.id}").get_data(as_text=True)   # the kept pending count is counted again
    assert "（待审批" not in detail and "<td>已批准</td>" in detail
    r = client.post(f"/exams/exemptions/{ex.id}/decide", data={"reject": "驳回"}, follow_redirects=True)
    assert "不能重复审批" in r.get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"status": "参考", "score": "101"}, "超过满分"),
    ({"status": "参考", "score": "-3"}, "不能为负数"),
    ({"status": "参考", "score": ""}, "必须填写成绩"),
])
def test_result_form_refuses_bad_scores(db, client, org, make_exam, register_people, form, message):
    exam = make_exam()
    p = make_person(org.town_a)
    register_people(exam, [p])
    login(client, org.users["bureau"])
    r = client.post(f"/exams/{exam.id}/results/new", data={"id_number": p.id_number, **form})
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert count(db, ExamResult) == 0


def test_result_form(db, client, org, make_exam, register_people):
    exam = make_exam()
    p, stranger = make_person(org.town_a), make_person(org.town_a)
    register_people(exam, [p])
    login(client, org.users["dept_admin_a"])  # not the organiser
    assert client.get(f"/exams/{exam.id}/results/new").status_code == 403
    login(client, org.users["bureau"])
    r = client.post(f"/exams/{exam.id}/results/new", data={"id_number": stranger.id_number, "status": "参考", "score": "80"})
    assert "未报名此考试" in r.get_data(as_text=True)
    r = client.post(f"/exams/{exam.id}/results/new", data={"id_number": "110101199003071235", "status": "参考", "score": "80"})
    assert "校验位" in r.get_data(as_text=True)
    assert count(db, ExamResult) == 0
    r = client.post(f"/exams/{exam.id}/results/new", data={"id_number": p.id_number, "status": "参考", "score": "59.5"},
                    follow_redirects=True)
    assert "不合格" in r.get_data(as_text=True)
    client.post(f"/exams/{exam.id}/results/new", data={"id_number": p.id_number, "status": "参考", "score": "75", "resit": "y"})
    assert [r.score for r in db.session.scalars(select(ExamResult).order_by(ExamResult.attempt))] == [59.5, 75.0]


def test_import_page(db, client, org):
    login(client, org.users["bureau"])
    assert client.get("/exams/import/questions").status_code == 200
    r = client.get("/exams/import/exams/template.xlsx")
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    assert [c.value for c in ws[1]] == ["考试编号", "考试名称", "考试类型", "考试日期", "满分", "合格分"]
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["考试编号", "考试名称", "考试类型", "考试日期", "满分", "合格分"])
    wb.active.append(["E1", "考试甲", "普法考试", "2026-01-05", 100, 160])
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    r = client.post("/exams/import/exams", data={"file": (data, "考试.xlsx")}, content_type="multipart/form-data")
    assert "高于满分" in r.get_data(as_text=True) and count(db, Exam) == 0
    assert client.get("/exams/import/people").status_code == 404
    login(client, org.users["dept_admin_a"])
    assert client.get("/exams/import/exams").status_code == 403


def test_question_bank_versions(db, client, org):
    login(client, org.users["bureau"])
    data = dict(qtype="单选", law="行政处罚法", chapter="第五章", stem="执法人员不得少于（  ）。", option_a="一人",
                option_b="两人", option_c="三人", option_d="", answer="D", explanation="第四十二条", difficulty="2")
    r = client.post("/exams/questions/new", data=data)
    assert "不在选项中" in r.get_data(as_text=True) and count(db, Question) == 0
    data["answer"] = "B"
    assert client.post("/exams/questions/new", data=data).status_code == 302
    q = db.session.scalar(select(Question))
    assert (q.law, q.options, q.answer, q.origin_id, q.version) == ("《行政处罚法》", ["一人", "两人", "三人"], "B", q.id, 1)
    data["stem"] = "行政处罚的执法人员不得少于（  ）。"
    r = client.post(f"/exams/questions/{q.id}/new-version", data=data)
    assert r.status_code == 302
    db.session.expire_all()
    old, new = db.session.scalars(select(Question).order_by(Question.id)).all()
    assert old.retired and old.stem == "执法人员不得少于（  ）。"  # never edited
    assert (new.version, new.origin_id, new.previous_id, new.retired) == (2, old.id, old.id, False)
    r = client.post(f"/exams/questions/{old.id}/new-version", data=data, follow_redirects=True)
    assert "已停用" in r.get_data(as_text=True) and count(db, Question) == 2
    html = client.get("/exams/questions?law=《行政处罚法》").get_data(as_text=True)
    assert "行政处罚的执法人员" in html and "共 1 条" in html
    assert "共 2 条" in client.get("/exams/questions?state=all").get_data(as_text=True)
    client.post(f"/exams/questions/{new.id}/retire")
    db.session.expire_all()
    assert db.session.get(Question, new.id).retired
    page = client.get(f"/exams/questions/{new.id}").get_data(as_text=True)
    assert "第1版" in page and "第2版" in page


def test_blueprint_page(db, client, org, online_exam):
    exam = online_exam()
    login(client, org.users["bureau"])
    r = client.post(f"/exams/{exam.id}/blueprint", data={"r-qtype": "单选", "r-law": "", "r-count": "50", "r-points": "2",
                                                        "r-submit": "1"})
    assert "只有 8 道" in r.get_data(as_text=True)
    r = client.post(f"/exams/{exam.id}/blueprint", data={"t-time_limit_minutes": "90", "t-submit": "1"})
    assert r.status_code == 302
    html = client.get(f"/exams/{exam.id}/blueprint").get_data(as_text=True)
    assert "时长 90 分钟" in html


def test_export_and_statistics(db, client, org, make_exam, register_people):
    exam = make_exam(code="PF1")
    a, b = make_person(org.town_a, "甲一"), make_person(org.town_b, "乙一")
    register_people(exam, [a, b])
    service.record_result(exam, a, "参考", 90, None)
    service.record_result(exam, b, "缺考", None, None)
    db.session.commit()
    login(client, org.users["bureau"])
    r = client.get(f"/exams/{exam.id}/results.xlsx")
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:6] == ["考试编号", "考试名称", "考试类型", "单位", "姓名", "身份证号"]
    by_name = {row[4]: row for row in rows[1:]}
    assert by_name["甲一"][7:10] == ["参考", 90, "合格"] and by_name["乙一"][7] == "缺考"
    assert by_name["甲一"][5] == a.masked_id_number
    html = client.get(f"/exams/statistics?year={exam.year}").get_data(as_text=True)
    assert "甲镇" in html and "乙镇" in html and "50.0%" in html
    html = client.get(f"/exams/{exam.id}/departments").get_data(as_text=True)
    assert "甲镇" in html and "100.0%" in html
    login(client, org.users["dept_admin_a"])
    ws = load_workbook(io.BytesIO(client.get(f"/exams/{exam.id}/results.xlsx").data)).worksheets[0]
    assert [row[4].value for row in ws.iter_rows(min_row=2)] == ["甲一"]


def test_settings_page(db, client, org):
    login(client, org.users["bureau"])
    r = client.post("/exams/settings", data={"qualification_valid_years": "0", "max_attempts": "2"})
    assert "应在1至20年之间" in r.get_data(as_text=True)
    assert client.post("/exams/settings", data={"qualification_valid_years": "5", "max_attempts": "3",
                                                "reveal_answers": "never"}).status_code == 302
    assert Setting.get("exams.qualification_valid_years") == 5
    assert Setting.get("exams.legal_qualification_exempt") is False
    assert Setting.get("exams.reveal_answers") == "never"


def test_dashboard_and_nav(db, client, org, make_exam, register_people):
    exam = make_exam(name="本年普法考试")
    register_people(exam, [org.staff_person])
    login(client, org.users["bureau"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "本年普法考试" in html and "题库" in html
    login(client, org.users["staff_a"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "我的待考" in html and "本年普法考试" in html and "我的考试" in html
    assert "本年普法考试" in client.get("/exams/mine").get_data(as_text=True)


def test_person_section(db, org, make_exam, register_people):
    from intranet_exams.plugin import person_sections
    exam = make_exam(name="普法考试甲")
    register_people(exam, [org.staff_person])
    service.record_result(exam, org.staff_person, "参考", 88, None)
    section, = person_sections(person=org.staff_person, viewer=org.users["bureau"])
    assert section.figures == [("参加考试", 1), ("考试合格", 1)]
    assert section.rows[0][0] == "普法考试甲" and section.rows[0][5] == "88" and section.rows[0][6] == "合格"


def test_withdraw_exam(db, client, org, make_exam):
    exam = make_exam()
    login(client, org.users["bureau"])
    client.post(f"/exams/{exam.id}/withdraw")
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).active is False
    assert count(db, Exam) == 1


def test_list_pages_paginate(db, client, org, make_exam, register_people):
    exam = make_exam()
    people = [make_person(org.town_a) for _ in range(25)]
    register_people(exam, people)
    for i in range(25):
        db.session.add(Question(law="《民法典》", qtype="判断", stem=f"判断{i}", options=["正确", "错误"], answer="A"))
    db.session.commit()
    login(client, org.users["bureau"])
    for url in (f"/exams/{exam.id}", "/exams/questions", f"/exams/{exam.id}/register?q="):
        html = client.get(url).get_data(as_text=True)
        assert "下一页" in html or url.endswith("register?q="), url
    html = client.get(f"/exams/{exam.id}?page=2").get_data(as_text=True)
    assert "上一页" in html and "第 2 / 2 页" in html
    login(client, org.users["staff_a"])
    assert client.get("/exams/mine").status_code == 200


def test_exam_dates_outside_the_plausible_range_are_refused(db, client, org):
    """The core's date fields: 1900 to ten years ahead, for a plain date and an online window."""
    login(client, org.users["bureau"])
    data = dict(code="ZG1899", name="越界日期考试", kind="行政执法资格考试", part="专业",
                organiser_id=org.bureau_dept.id, exam_date="1899-12-31", full_mark="100", pass_mark="60",
                audience="enforcement", audience_department_id="0", max_attempts="2")
    r = client.post("/exams/new", data=data)
    assert r.status_code == 200 and "日期超出合理范围" in r.get_data(as_text=True)
    online = {**data, "exam_date": "", "online": "y", "opens_at": "2026-06-01T09:00", "closes_at": "9999-06-01T11:00"}
    r = client.post("/exams/new", data=online)
    assert r.status_code == 200 and "日期超出合理范围" in r.get_data(as_text=True)
    r = client.post("/exams/new", data={**data, "organiser_id": str(2**63)})
    assert r.status_code == 200
    assert count(db, Exam) == 0


def test_settings_change_only_for_a_whole_tree_bureau_user(db, client, org):
    from intranet.testing import make_user
    district = make_user("bureau", org.county, username="sfj_county")
    city = make_user("bureau", org.city, username="sfj_city")
    db.session.commit()
    data = {"qualification_valid_years": "7", "max_attempts": "3", "reveal_answers": "closed"}
    login(client, district)
    page = client.get("/exams/settings")
    assert page.status_code == 200 and "保存设置" not in page.get_data(as_text=True)
    assert client.post("/exams/settings", data=data).status_code == 403
    assert Setting.get("exams.qualification_valid_years") is None
    login(client, city)  # the root department's 司法局 sees the whole tree
    assert client.post("/exams/settings", data=data).status_code == 302
    assert Setting.get("exams.qualification_valid_years") == 7


def test_person_page_offers_registration_for_coming_exams(client, db, org, make_exam, register_people):
    import re
    from datetime import timedelta
    person = make_person(org.town_a, "待报名")
    db.session.commit()
    coming = make_exam(name="年度学法考试", exam_date=date.today() + timedelta(days=10))
    make_exam(name="已结束的考试", exam_date=date.today() - timedelta(days=10))
    make_exam(name="已撤销的考试", exam_date=date.today() + timedelta(days=5), active=False)

    def section():
        html = client.get(f"/people/{person.id}").get_data(as_text=True)
        return re.search(r'data-plugin="exams">(.*?)</section>', html, re.S).group(1)

    login(client, org.users["dept_admin_a"])
    links = re.findall(r'<a[^>]*href="([^"]*)"[^>]*>报名：([^<]*)</a>', section())
    assert [title for _, title in links] == ["年度学法考试"]
    page = client.get(links[0][0].replace("&amp;", "&")).get_data(as_text=True)
    assert f'value="{person.id}"' in page                # the register page lists the person
    login(client, org.users["staff_a"])
    assert "报名：" not in client.get(f"/people/{person.id}").get_data(as_text=True)   # staff register nobody
    login(client, org.users["dept_admin_b"])
    assert client.get(f"/people/{person.id}").status_code in (403, 404)
    register_people(coming, [person])
    login(client, org.users["dept_admin_a"])
    assert "报名：" not in section()                       # entered already
