"""Demo data, the roster export, dashboard widgets, the person section, navigation."""
import random
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.demo import DemoContext
from intranet.plugins import flatten, get_pm
from intranet.testing import login, make_person

from intranet_certificates import cleanup, numbering
from intranet_certificates.models import (Certificate, CertificateApplication, CertificateEvent, EnforcementSubject)


def small_context(db, org, n=160):
    rng = random.Random(7)
    depts = [org.city, org.bureau_dept, org.county, org.town_a, org.town_b, org.market]
    people = []
    for i in range(n):
        dept = depts[1 + i % 5]
        staffing = "合同工" if i % 17 == 0 else "行政编制"
        status = "退休" if i % 23 == 0 else "在岗"
        p = make_person(dept, staffing=staffing, status=status, enforcement_post=i % 9 != 0)
        people.append({"id": p.id, "name": p.name, "department_id": dept.id, "staffing": staffing,
                       "enforcement_post": p.enforcement_post, "status": status, "legal_qualification": False})
    db.session.commit()
    ctx = DemoContext(scale="small", rng=rng, year=date.today().year, echo=lambda *a: None)
    ctx.departments = [{"id": d.id, "code": d.code, "name": d.name, "kind": d.kind, "parent_id": d.parent_id,
                        "path": d.path} for d in depts]
    ctx.people = people
    return ctx


def test_demo_data(app, db, org):
    ctx = small_context(db, org)
    get_pm().hook.demo_data(scale="small", context=ctx)
    db.session.commit()
    cards = db.session.scalar(select(func.count()).select_from(Certificate))
    assert cards > 100
    by_status = dict(db.session.execute(select(Certificate.status, func.count()).group_by(Certificate.status)).all())
    assert by_status["有效"] > cards * 0.6 and by_status.get("过期", 0) > 0
    assert db.session.scalar(select(func.count()).select_from(EnforcementSubject)) > 0
    # Every card has its history, starting with its issue.
    without = db.session.scalar(select(func.count()).select_from(Certificate).where(
        ~Certificate.id.in_(select(CertificateEvent.certificate_id))))
    assert without == 0
    assert db.session.scalar(select(func.count()).select_from(CertificateApplication)) > 0
    # Numbers are unique and the counters know them: the next number is free.
    number = numbering.take_number(date.today().year)
    assert not numbering.number_in_use(number)
    db.session.rollback()
    # A cleanup over the demo data finds candidates in several groups.
    rows = cleanup.candidate_rows(org.city)
    groups = {r["group"] for r in rows}
    assert {"left_post", "non_formal"} <= groups


def test_roster_export(app, db, certs, tmp_path):
    valid = certs.card(make_person(certs.org.town_a, "导出甲"))
    certs.card(make_person(certs.org.town_a, "导出乙"), status="注销")
    city = certs.card(make_person(certs.org.market, "导出丙"), certs.org.market)
    from intranet.cli import cli
    out = tmp_path / "roster.xlsx"
    result = app.test_cli_runner().invoke(cli, ["export", "roster", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("序号", "单位", "姓名", "证件编号")
    numbers = {r[3] for r in rows[2:]}
    assert numbers == {valid.number, city.number}
    out2 = tmp_path / "county.xlsx"
    app.test_cli_runner().invoke(cli, ["export", "roster", "--output", str(out2), "--department", "X01"])
    assert {r[3] for r in list(load_workbook(out2).active.iter_rows(values_only=True))[2:]} == {valid.number}


def test_roster_download_is_scoped(client, db, certs):
    import io
    mine = certs.card(make_person(certs.org.town_a))
    other = certs.card(make_person(certs.org.town_b), certs.org.town_b)
    login(client, certs.org.users["dept_admin_a"])
    page = client.get("/certificates/roster").get_data(as_text=True)
    assert "下载 Excel" in page and mine.number in page and other.number not in page
    r = client.get("/certificates/roster.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    numbers = {row[3] for row in list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))[2:]}
    assert numbers == {mine.number}


def test_widgets_are_scoped(app, db, certs):
    o = certs.org
    certs.card(make_person(o.town_a))
    certs.card(make_person(o.town_b), o.town_b)
    due = certs.card(make_person(o.town_b), o.town_b)
    due.next_review_due = date.today()
    db.session.commit()
    cleanup.open_campaign("清理", o.county, actor=certs.bureau)
    db.session.commit()

    def figures(user):
        widgets = [w for w in flatten(get_pm().hook.dashboard_widgets(user=user)) if w.plugin == "certificates"]
        return dict(widgets[0].figures) if widgets else {}

    assert figures(certs.bureau)["有效证件"] == 3
    assert figures(certs.bureau)["两个月内年审"] == 1
    assert figures(o.users["dept_admin_a"])["有效证件"] == 1
    assert figures(o.users["dept_admin_a"])["两个月内年审"] == 0
    assert figures(o.users["dept_admin_b"])["两个月内年审"] == 1
    assert figures(o.users["staff_a"]) == {"持证情况": "未持证"}
    certs.card(o.staff_person)
    assert figures(o.users["staff_a"])["状态"] == "有效"


def test_dashboard_shows_the_widget(client, db, certs):
    certs.card()
    login(client, certs.bureau)
    text = client.get("/dashboard").get_data(as_text=True)
    assert "行政执法证" in text and "有效证件" in text


def test_person_section(app, db, certs):
    o = certs.org
    cert = certs.card(o.staff_person)
    sections = [s for s in flatten(get_pm().hook.person_sections(person=o.staff_person, viewer=certs.bureau))
                if s.plugin == "certificates"]
    assert sections and sections[0].rows[0][0] == cert.number and sections[0].rows[0][3] == "有效"
    assert "持有效证件" in sections[0].figures[0][1]


def test_nav_item(app, certs):
    items = flatten(get_pm().hook.nav_items(user=certs.bureau))
    assert any(i.endpoint == "certificates.index" and "staff" not in i.roles for i in items)


def test_demo_applications_carry_the_answers_plugins_give(app, db, org):
    """Not "须由审核人人工核实" while a plugin answers: the demo asks the plugins, after their own demo data."""
    from intranet.hookspecs import hookimpl

    class Answer:
        @hookimpl(optionalhook=True)
        def certificate_prerequisites(self, person):
            return [{"plugin": "exams", "key": "qualification_exam", "label": "行政执法资格考试", "met": True,
                     "detail": f"{person.name} 合格"}]

    pm = get_pm(app)
    pm.register(Answer(), name="fake_exams_demo")
    try:
        ctx = small_context(db, org)
        pm.hook.demo_data(scale="small", context=ctx)
        db.session.commit()
    finally:
        pm.unregister(name="fake_exams_demo")
    items = db.session.scalars(select(CertificateApplication)).all()
    assert items
    for item in items:
        exam = [c for c in item.checks if c["plugin"] == "exams"]
        assert exam and exam[0]["detail"] == f"{item.person.name} 合格"
        assert item.region == "永安市"
    # The certificates demo runs after every other plugin's (load_demo calls them in reverse order).
    impls = pm.hook.demo_data.get_hookimpls()
    assert impls[0].plugin_name == "certificates" and impls[0].trylast
