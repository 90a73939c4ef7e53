"""The report fragment: figures compared with the records they were built from (SQLite and PostgreSQL)."""
from collections import Counter
from datetime import date

from intranet.reports.assemble import assemble
from intranet.testing import make_person
from intranet_law_study import service, settings
from intranet_law_study.models import PRE_MEETING_KINDS

YEAR = date.today().year - 1


def fragment(year, department):
    report = assemble(year, department)
    return next(f for f in report["fragments"] if f["plugin"] == "law_study")


def test_figures_match_the_records(db, org, make_session, attend):
    settings.put("pre_meeting_target", 2)
    settings.put("lecture_target", 1)
    a2 = make_person(org.town_a, "甲二")
    b1, b2 = make_person(org.town_b, "乙一"), make_person(org.town_b, "乙二")
    m1 = make_person(org.market, "市监一")
    make_person(org.town_b, "乙退休", status="退休")
    db.session.commit()
    # (department, kind, day, minutes, laws, status, {person: attendance})
    plan = [
        (org.town_a, PRE_MEETING_KINDS[0], date(YEAR, 1, 10), 60, ["《民法典》"], "已举行",
         {org.staff_person: "出席", a2: "出席"}),
        (org.town_a, PRE_MEETING_KINDS[3], date(YEAR, 4, 10), 30, ["《民法典》", "《行政处罚法》"], "已举行",
         {org.staff_person: "出席", a2: "缺席"}),
        (org.town_a, "法治专题讲座", date(YEAR, 5, 10), 120, ["《宪法》"], "已举行", {org.staff_person: "请假", a2: "出席"}),
        (org.county, "培训班", date(YEAR, 6, 10), 240, ["《行政许可法》"], "已举行",
         {org.staff_person: "出席", b1: "出席", b2: "出席"}),
        (org.town_b, PRE_MEETING_KINDS[1], date(YEAR, 7, 10), 45, ["《自编规定》"], "已举行", {b1: "出席"}),
        (org.town_b, "法治专题讲座", date(YEAR, 8, 10), 60, [], "计划", {}),
        (org.market, "法治专题讲座", date(YEAR, 3, 3), 60, ["《安全生产法》"], "已举行", {m1: "出席"}),   # outside the county
        (org.town_a, PRE_MEETING_KINDS[0], date(YEAR - 1, 3, 3), 60, ["《监察法》"], "已举行", {a2: "出席"}),  # other year
    ]
    for dept, kind, day, minutes, laws, status, marks in plan:
        s = make_session(dept, kind=kind, held_on=day, duration_minutes=minutes, laws=laws, status=status)
        if marks:
            attend(s, marks)
    cancelled = make_session(org.town_a, held_on=date(YEAR, 9, 1))
    attend(cancelled, [org.staff_person])
    service.cancel_session(cancelled, None)
    self_study = [(b2, 3, True), (b2, 2, False), (org.staff_person, 4, True)]   # (person, hours, approved)
    for i, (person, hours, approved) in enumerate(self_study):
        entry, _ = service.log_claim(person, source="自学", day=date(YEAR, 10, 1 + i), law="《宪法》", hours=hours,
                                     evidence="", user=None)
        if approved:
            service.approve(entry, org.users["dept_admin_a"])
    db.session.commit()

    f = fragment(YEAR, org.county)["figures"]
    county = [p for p in plan if p[0].is_within(org.county) and p[2].year == YEAR and p[5] == "已举行"]
    assert f["sessions_total"] == len(county)
    assert f["sessions_pre_meeting"] == sum(1 for p in county if p[1] in PRE_MEETING_KINDS)
    assert f["lectures"] == sum(1 for p in county if p[1] == "法治专题讲座")
    assert f["trainings"] == sum(1 for p in county if p[1] == "培训班")
    present = [(person, p[3]) for p in county for person, status in p[6].items() if status == "出席"]
    assert f["attendances"] == len(present)
    assert f["participants"] == len({person.id for person, _m in present})
    minutes = sum(m for _p, m in present) + sum(h * 60 for _p, h, ok in self_study if ok)
    assert f["person_hours_total"] == round(minutes / 60, 1)
    staff = [org.staff_person, a2, b1, b2]   # in post in the county (the retired one does not count)
    assert f["hours_per_person"] == round(minutes / 60 / len(staff), 1)
    assert f["laws_studied_count"] == len({law for p in county for law in p[4]})
    pre = Counter(p[0].id for p in county if p[1] in PRE_MEETING_KINDS)
    lectures = Counter(p[0].id for p in county if p[1] == "法治专题讲座")
    meeting_departments = sum(1 for d in {p[0].id for p in county} if pre[d] >= 2 and lectures[d] >= 1)
    assert meeting_departments > 0 and f["departments_meeting_session_target"] == meeting_departments
    assert (f["plan_items"], f["plan_items_held"]) == (0, 0)

    # the target: lower it so that some people meet it
    settings.put("person_hours_target", 5)
    f = fragment(YEAR, org.county)["figures"]
    hours = {p.id: 0 for p in staff}
    for person, m in present:
        hours[person.id] += m
    for person, h, ok in self_study:
        hours[person.id] += h * 60 if ok else 0
    meeting = sum(1 for m in hours.values() if m >= 5 * 60)
    assert meeting > 0 and f["staff_meeting_target"] == meeting
    assert f["target_rate"] == round(meeting / len(staff), 4)
    # a target of 0 hours is met by everyone, someone without any hours included
    make_person(org.town_a, "甲三")
    db.session.commit()
    settings.put("person_hours_target", 0)
    assert fragment(YEAR, org.county)["figures"]["staff_meeting_target"] == len(staff) + 1
    # enforcement staff (all of these are) with a target of their own: only the one who is not meets 0
    assert all(p.enforcement_post for p in staff)
    a2.enforcement_post = False
    db.session.commit()
    settings.put("enforcement_hours_target", 1000)
    assert fragment(YEAR, org.county)["figures"]["staff_meeting_target"] == 1


def test_paragraphs_state_only_what_is_not_zero(db, org, make_session, attend):
    assert fragment(YEAR, org.county)["paragraphs"] == []
    s = make_session(org.town_a, kind="法治专题讲座", laws=["《民法典》", "《行政处罚法》"])
    attend(s, [org.staff_person])
    f = fragment(YEAR, org.county)
    [text] = f["paragraphs"]
    assert text.startswith(f"{YEAR}年，全县共组织法治专题讲座1次，参学1人次")
    assert "会前学法" not in text and "培训班" not in text
    assert "先后组织学习了" in text and "《民法典》" in text and "《行政处罚法》" in text
    [table] = f["tables"]
    assert table["rows"] == [["甲镇", 1, 0, 1, 0, 1, 1.0]]
    assert fragment(YEAR, org.market)["paragraphs"] == []


def test_every_figure_drills_down_to_as_many_records(app, db, client, org, make_session, attend):
    """Each figure's link lists exactly what was counted (city, county, a town; several pages)."""
    from intranet.reports.drilldown import listed_total
    from intranet.testing import login
    from intranet_law_study.models import PLAN_ACTIVE, PlanItem
    settings.put("pre_meeting_target", 1)
    settings.put("lecture_target", 0)
    people = [make_person(org.town_a, f"甲{i}") for i in range(5)] + [make_person(org.town_b, f"乙{i}") for i in range(3)]
    people.append(make_person(org.market, "市监一"))
    db.session.commit()
    for i, (dept, kind) in enumerate([(org.town_a, PRE_MEETING_KINDS[0]), (org.town_a, "法治专题讲座"),
                                      (org.town_b, PRE_MEETING_KINDS[1]), (org.county, "培训班"),
                                      (org.market, "法治专题讲座")]):
        s = make_session(dept, kind=kind, held_on=date(YEAR, 2 + i, 10), duration_minutes=60 * (i + 1),
                         laws=["《民法典》", f"《法规{i}》"])
        attend(s, [p for p in people if p.department.is_within(dept)][:6])
    db.session.add_all([PlanItem(department_id=org.town_a.id, year=YEAR, month=m, kind=PRE_MEETING_KINDS[0],
                                 topic="学法", status=PLAN_ACTIVE) for m in (1, 2, 3)])
    db.session.commit()
    app.config["PER_PAGE"] = 3
    login(client, org.users["bureau"])
    nonzero = 0
    for dept in (org.city, org.county, org.town_a):
        report = assemble(YEAR, dept, with_labels=True)
        links = report["drilldown"]["law_study.law_study"]
        figures = next(f for f in report["fragments"] if f["plugin"] == "law_study")["figures"]
        assert {"sessions_total", "attendances", "participants", "laws_studied_count"} <= set(links)
        for key, url in links.items():
            response = client.get(url)
            assert response.status_code == 200, url
            assert listed_total(response.get_data(as_text=True)) == figures[key], (key, dept.name)
            nonzero += figures[key] > 0
    assert nonzero >= 15
    login(client, org.users["dept_admin_b"])
    town_a = assemble(YEAR, org.town_a, with_labels=True)["drilldown"]["law_study.law_study"]
    assert client.get(town_a["participants"]).status_code == 403


def test_scope_word_is_the_core_one(db, org, make_session, attend):
    s = make_session(org.county, kind="培训班")
    attend(s, [org.staff_person])
    for dept, word in ((org.city, "全市"), (org.county, "全县")):
        report = assemble(YEAR, dept)
        text = "".join(p for f in report["fragments"] for p in f["paragraphs"])
        assert word in text and ({"全市", "全县"} - {word}).pop() not in text
