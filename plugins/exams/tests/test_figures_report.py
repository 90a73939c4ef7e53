"""Figures and the report fragment, asserted against records made here."""
from datetime import date

from sqlalchemy import insert, select

from intranet.models import Person
from intranet.testing import make_id, make_person
from intranet_exams import figures
from intranet_exams.models import ExamResult, Exemption, Registration
from intranet_exams.reports import build

REPORT_KEYS = {"exams_held", "open_exams", "registered", "preregistered", "required", "sat", "absent", "exempt", "passed",
               "participation_rate", "pass_rate", "units_participating", "by_kind"}


def _bulk_people(db, department, n):
    rows = [dict(name=f"考生{i}", id_number=make_id(), department_id=department.id, staffing="行政编制",
                 enforcement_post=False, status="在岗", title="科员") for i in range(n)]
    db.session.execute(insert(Person), rows)
    return list(db.session.scalars(select(Person.id).where(Person.department_id == department.id)
                                   .order_by(Person.id)))[-n:]


def _enter(db, exam, department, person_ids, *, sat, absent, passed, exempt, prereg_only=0):
    """Register ids; the first ``exempt`` exempt, then ``sat`` sat (``passed`` of them pass), then absent."""
    regs, results, exemptions = [], [], []
    for i, pid in enumerate(person_ids):
        pre = i >= len(person_ids) - prereg_only
        regs.append(dict(exam_id=exam.id, person_id=pid, department_id=department.id,
                         status="预报名" if pre else "已报名", preregistered_at=None))
    ids = person_ids[: len(person_ids) - prereg_only]
    for pid in ids[:exempt]:
        exemptions.append(dict(exam_id=exam.id, person_id=pid, department_id=department.id, reason="本年度退休",
                               status="已批准"))
    rest = ids[exempt:]
    for i, pid in enumerate(rest[:sat]):
        ok = i < passed
        results.append(dict(exam_id=exam.id, person_id=pid, department_id=department.id, attempt=1, status="参考",
                            score=80.0 if ok else 40.0, passed=ok))
    for pid in rest[sat:sat + absent]:
        results.append(dict(exam_id=exam.id, person_id=pid, department_id=department.id, attempt=1, status="缺考",
                            score=None, passed=False))
    for model, rows in ((Registration, regs), (ExamResult, results), (Exemption, exemptions)):
        if rows:
            db.session.execute(insert(model), rows)
    db.session.commit()


def test_thousand_required_998_sat_is_99_8_percent(db, org, make_exam):
    year = date.today().year
    exam = make_exam(kind="普法考试", name=f"{year}年度普法考试")
    ids = _bulk_people(db, org.town_a, 1005)
    # 1005 registrations: 3 pre-registered only, 2 exempt → 1000 required; 998 sat (990 pass), 2 absent
    _enter(db, exam, org.town_a, ids, sat=998, absent=2, passed=990, exempt=2, prereg_only=3)
    f = figures.exam_figures(exam.id)
    assert f["registered"] == 1002 and f["exempt"] == 2 and f["required"] == 1000
    assert (f["sat"], f["absent"], f["passed"], f["pending"]) == (998, 2, 990, 0)
    assert f["participation_rate"] == 0.998 and f["pass_rate"] == round(990 / 998, 4)
    fragment = build(year=year, department=org.city)
    assert fragment.key == "exams" and fragment.plugin == "exams"
    assert set(fragment.figures) == REPORT_KEYS
    assert fragment.figures["sat"] == 998 and fragment.figures["participation_rate"] == 0.998
    assert fragment.figures["units_participating"] == 1 and fragment.figures["exams_held"] == 1
    assert fragment.figures["by_kind"]["普法考试"]["required"] == 1000
    text = "".join(fragment.paragraphs)
    assert f"全市1个单位参加了{year}年度普法考试，998人参加了考试，参考率达99.8%" in text
    assert "通过率99.2%" in text
    by_dept = fragment.tables[1]
    assert by_dept.rows == [["甲镇", 1002, 2, 1000, 998, 2, 990, "99.8%", "99.2%"]]


def test_report_by_subtree_and_kind(db, org, make_exam):
    year = date.today().year
    pf = make_exam(kind="普法考试")
    zg = make_exam(kind="行政执法资格考试", name=f"{year}年度行政执法资格考试")
    old = make_exam(kind="普法考试", year=year - 1, exam_date=date(year - 1, 5, 1))
    a = _bulk_people(db, org.town_a, 10)
    b = _bulk_people(db, org.town_b, 4)
    m = _bulk_people(db, org.market, 5)
    _enter(db, pf, org.town_a, a, sat=9, absent=1, passed=8, exempt=0)
    _enter(db, pf, org.town_b, b, sat=4, absent=0, passed=4, exempt=0)
    _enter(db, pf, org.market, m, sat=5, absent=0, passed=5, exempt=0)
    _enter(db, old, org.town_a, a, sat=10, absent=0, passed=10, exempt=0)
    _enter(db, zg, org.town_a, a[:6], sat=4, absent=1, passed=3, exempt=1)
    db.session.execute(Registration.__table__.update().where(Registration.exam_id == zg.id)
                       .values(preregistered_at=date(year, 1, 1)))
    db.session.commit()
    county = build(year=year, department=org.county).figures
    assert county["exams_held"] == 2
    assert county["registered"] == 10 + 4 + 6 and county["sat"] == 9 + 4 + 4
    assert county["units_participating"] == 2  # 甲镇 and 乙镇, not the city's market bureau
    assert county["by_kind"]["行政执法资格考试"] == {
        "exams_held": 1, "registered": 6, "preregistered": 0, "required": 5, "sat": 4, "absent": 1, "exempt": 1,
        "passed": 3, "participation_rate": 0.8, "pass_rate": 0.75, "units_participating": 1}
    city = build(year=year, department=org.city)
    assert city.figures["units_participating"] == 3
    # all six were confirmed since they pre-registered: they are 报名, no longer 预报名 (issue #12)
    assert any("行政执法资格考试，报名6人" in p for p in city.paragraphs)
    assert not any("预报名人数" in p for p in city.paragraphs)
    town_b = build(year=year, department=org.town_b).figures
    assert (town_b["registered"], town_b["sat"], town_b["participation_rate"]) == (4, 4, 1.0)


def test_empty_report(db, org):
    fragment = build(year=1999, department=org.city)
    assert fragment.figures["exams_held"] == 0 and fragment.figures["participation_rate"] == 0.0
    assert fragment.paragraphs == []          # no sentence about nothing


def test_cancelled_and_withdrawn_do_not_count(db, org, make_exam, register_people):
    exam = make_exam()
    p, q = make_person(org.town_a), make_person(org.town_a)
    regs = register_people(exam, [p, q])
    from intranet_exams import service
    service.cancel(regs[1], None)
    db.session.commit()
    assert figures.exam_figures(exam.id)["registered"] == 1
    exam.active = False
    db.session.commit()
    assert build(year=exam.year, department=org.city).figures["registered"] == 0


def test_open_exam_is_not_counted_but_shown_apart(db, org, make_exam):
    from datetime import datetime, timedelta
    year = date.today().year
    done = make_exam(kind="普法考试")
    running = make_exam(kind="普法考试", online=True, opens_at=datetime.now() - timedelta(days=1),
                        closes_at=datetime.now() + timedelta(days=3))
    a = _bulk_people(db, org.town_a, 6)
    _enter(db, done, org.town_a, a[:4], sat=4, absent=0, passed=3, exempt=0)
    _enter(db, running, org.town_a, a, sat=1, absent=0, passed=1, exempt=0)
    frag = build(year=year, department=org.city)
    assert frag.figures["exams_held"] == 1 and frag.figures["open_exams"] == 1
    assert frag.figures["registered"] == 4 and frag.figures["sat"] == 4 and frag.figures["pass_rate"] == 0.75
    assert "进行中" in frag.labels["open_exams"] and "未计入" in frag.labels["open_exams"]
    assert frag.paragraphs[-1] == "另有1场考试尚在进行中，结束后计入统计。"


def test_no_sentence_about_a_kind_nobody_sat(db, org, make_exam):
    year = date.today().year
    exam = make_exam(kind="宪法法律考试")
    _enter(db, exam, org.town_a, _bulk_people(db, org.town_a, 3), sat=0, absent=3, passed=0, exempt=0)
    text = "".join(build(year=year, department=org.county).paragraphs)
    assert "0个单位" not in text and "0.0%" not in text and "全县" in text


def test_every_figure_drills_down_to_as_many_records(app, db, client, org, make_exam):
    """Each figure's link lists exactly what was counted (every page, not the first)."""
    from datetime import datetime, timedelta
    from intranet.reports.drilldown import listed_total
    from intranet.testing import login
    year = date.today().year
    pf = make_exam(kind="普法考试")
    zg = make_exam(kind="行政执法资格考试")
    running = make_exam(online=True, opens_at=datetime.now() - timedelta(days=1),
                        closes_at=datetime.now() + timedelta(days=3))
    a, b, m = _bulk_people(db, org.town_a, 12), _bulk_people(db, org.town_b, 4), _bulk_people(db, org.market, 5)
    _enter(db, pf, org.town_a, a, sat=9, absent=2, passed=8, exempt=1, prereg_only=0)
    _enter(db, pf, org.town_b, b, sat=3, absent=1, passed=2, exempt=0)
    _enter(db, pf, org.market, m, sat=5, absent=0, passed=5, exempt=0)
    _enter(db, zg, org.town_a, a[:6], sat=4, absent=1, passed=3, exempt=1, prereg_only=1)
    _enter(db, running, org.town_b, b, sat=1, absent=0, passed=0, exempt=0)
    app.config["PER_PAGE"] = 4
    login(client, org.users["bureau"])
    nonzero = 0
    for dept in (org.city, org.county, org.town_b):
        frag = build(year=year, department=dept)
        assert set(frag.drilldown) >= {"sat", "passed", "required", "exams_held", "units_participating"}
        for key, url in frag.drilldown.items():
            response = client.get(url)
            assert response.status_code == 200, url
            if key.startswith("by_kind."):         # a cell of the by-kind table
                _, kind, inner = key.split(".")
                expected = frag.figures["by_kind"][kind][inner]
            else:
                expected = frag.figures[key]
            assert listed_total(response.get_data(as_text=True)) == expected, (key, dept.name)
            nonzero += expected > 0
        assert {f"by_kind.{k}.sat" for k in frag.figures["by_kind"]} <= set(frag.drilldown)
    assert nonzero >= 40
    login(client, org.users["dept_admin_a"])
    assert client.get(build(year=year, department=org.town_b).drilldown["sat"]).status_code == 403
