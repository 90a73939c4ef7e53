"""An exam's page at scale: registrations listed by unit (tree order) then name with a fixed number of
statements on every page, the pager counted from ix_exams_registration_unit alone, and the
summary figures a stored figure (intranet.stored, fresh for a minute) above EXAMS_LIVE_FIGURES_UP_TO
registrations."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from intranet.jobs.queue import get_queue
from intranet.models import StoredFigure
from intranet.stored import PENDING_TEXT
from intranet.testing import count_queries, login, make_person

from intranet_exams import figures, service

EXAM_PAGE_BUDGET = 10   # user, exam, counts, rows with their results, pending, stored figures (+ a status's size)


def registered_figure(html: str) -> int:
    return int(re.search(r"<dt>报名</dt><dd>(\d+)</dd>", html).group(1))


@pytest.fixture
def crowded(db, org, make_exam, register_people):
    """An exam with 25 registrations over three units (page size 20: two pages)."""
    exam = make_exam()
    people = [make_person(unit, f"{unit.name}考生{i:02d}")
              for i, unit in enumerate([org.market, org.town_b, org.town_a] * 8 + [org.town_a])]
    register_people(exam, people)
    return exam, people


def test_registrations_by_unit_in_tree_order_then_name(app, db, org, crowded):
    exam, people = crowded
    client = app.test_client()
    login(client, org.users["admin"])
    pages = [client.get(f"/exams/{exam.id}?page={n}").get_data(as_text=True) for n in (1, 2)]
    shown = [name for html in pages for name in re.findall(r"((?:甲镇|乙镇|永安市市场监督管理局)考生\d\d)", html)]
    names = list(dict.fromkeys(shown))
    units = [org.town_a.name, org.town_b.name, org.market.name]   # 永安县's towns, then the 市直部门 (tree order)
    assert len(names) == 25 and names == sorted(names, key=lambda n: (units.index(n[:-4]), n))
    assert names[:9] == [p.name for p in people if p.department_id == org.town_a.id]


def test_every_page_costs_the_same_and_counts_registrations_alone(app, db, org, crowded):
    exam, _ = crowded
    app.config["COUNT_CACHE_SECONDS"] = 0   # the count's SQL on every page (intranet.counts)
    client = app.test_client()
    login(client, org.users["admin"])
    seen = []
    for args in ("", "?page=2", "?status=已报名&page=2"):
        client.get(f"/exams/{exam.id}{args}")
        with app.app_context(), count_queries(db) as queries:
            assert client.get(f"/exams/{exam.id}{args}").status_code == 200
        assert len(queries.statements) <= EXAM_PAGE_BUDGET, queries.statements
        counts = next(s for s in queries.statements if "count(*) AS n" in s)
        inner = counts[counts.index("(SELECT"):counts.index("GROUP BY")]
        assert "JOIN" not in inner and "person" not in inner, counts   # the index holds it all
        seen.append(len(queries.statements))
    assert seen[0] == seen[1]


@pytest.fixture
def queued_figures(app):
    """Stored figures for real: read from stored_figures, computed when the test runs the queue."""
    app.config["STORED_FIGURES_INLINE"] = False
    huey = get_queue().huey
    huey.immediate = False

    def run_worker() -> list:
        results = []
        while (task := huey.dequeue()) is not None:
            results.append(huey.execute(task))
        return results
    return run_worker


def age_summaries(db, seconds: float) -> None:
    with db.engine.begin() as conn:
        conn.execute(update(StoredFigure.__table__).where(StoredFigure.name == figures.stored_summary.name)
                     .values(computed_at=datetime.now() - timedelta(seconds=seconds)))


def test_figures_are_stored_above_the_threshold(app, db, org, make_exam, register_people, queued_figures):
    exam = make_exam()
    a, b, c = (make_person(org.town_a, n) for n in ("甲一", "甲二", "甲三"))
    register_people(exam, [a, b])
    app.config["EXAMS_LIVE_FIGURES_UP_TO"] = 1
    client = app.test_client()
    login(client, org.users["admin"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "<dt>报名</dt>" not in html and PENDING_TEXT in html and "甲一" in html   # the list is never stored
    assert queued_figures() == ["done"]
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert registered_figure(html) == 2 and 'id="figures-kept"' in html and "统计于 " in html
    register_people(exam, [c])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert registered_figure(html) == 2 and "甲三" in html     # fresh for a minute; the list is live
    assert queued_figures() == []
    age_summaries(db, figures.SUMMARY_SECONDS + 1)
    assert registered_figure(client.get(f"/exams/{exam.id}").get_data(as_text=True)) == 2   # stale, at once
    assert registered_figure(client.get(f"/exams/{exam.id}").get_data(as_text=True)) == 2
    assert queued_figures() == ["done"]                       # one refresh for both views
    assert registered_figure(client.get(f"/exams/{exam.id}").get_data(as_text=True)) == 3


def test_stored_figures_are_per_scope(app, db, org, make_exam, register_people, queued_figures):
    exam = make_exam()
    register_people(exam, [make_person(org.town_a, "甲一"), make_person(org.town_a, "甲二"),
                           make_person(org.town_b, "乙一")])
    app.config["EXAMS_LIVE_FIGURES_UP_TO"] = 0
    client = app.test_client()
    for user in ("admin", "dept_admin_b", "dept_admin_a"):
        login(client, org.users[user])
        client.get(f"/exams/{exam.id}")
    assert queued_figures() == ["done"] * 3
    keys = {tuple(row.args) for row in db.session.scalars(select(StoredFigure))}
    assert keys == {(exam.id, "all"), (exam.id, org.town_a.id), (exam.id, org.town_b.id)}
    login(client, org.users["admin"])
    assert registered_figure(client.get(f"/exams/{exam.id}").get_data(as_text=True)) == 3
    login(client, org.users["dept_admin_b"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert registered_figure(html) == 1 and "甲一" not in html
    login(client, org.users["dept_admin_a"])
    assert registered_figure(client.get(f"/exams/{exam.id}").get_data(as_text=True)) == 2


def test_figures_are_live_up_to_the_threshold(app, db, org, make_exam, register_people, queued_figures):
    exam = make_exam()
    a, b = make_person(org.town_a, "甲一"), make_person(org.town_a, "甲二")
    register_people(exam, [a])
    client = app.test_client()
    login(client, org.users["admin"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert registered_figure(html) == 1 and 'id="figures-kept"' not in html
    register_people(exam, [b])
    service.record_result(exam, a, "参考", 90, None)
    db.session.commit()
    assert registered_figure(client.get(f"/exams/{exam.id}").get_data(as_text=True)) == 2
    assert queued_figures() == [] and db.session.scalar(select(func.count(StoredFigure.id))) == 0


def test_the_page_reads_nothing_while_rendering(app, db, org, crowded):
    """The view loads what the template shows (the organiser with the exam, the rows' people and
    units): no lazy load or expired attribute is read from the template."""
    from flask import before_render_template
    exam, _ = crowded
    client = app.test_client()
    login(client, org.users["admin"])
    client.get(f"/exams/{exam.id}")
    marks = []
    with app.app_context(), count_queries(db) as queries:
        def mark(sender, template, context, **extra):
            marks.append(len(queries.statements))
        with before_render_template.connected_to(mark, app):
            html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert org.bureau_dept.name in html and marks
    assert len(queries.statements) == marks[0], queries.statements[marks[0]:]


def test_each_row_shows_its_own_best_result_attempts_and_latest_exemption(app, db, org, make_exam, register_people):
    """The rows' results come with the page's rows (one statement): best of the attempts, their
    number, the outcome, and the latest exemption request's status, for each person alone."""
    exam = make_exam(max_attempts=2)
    resat, exempted, waiting = (make_person(org.town_a, n) for n in ("甲补考", "乙免考", "丙待考"))
    register_people(exam, [resat, exempted, waiting])
    service.record_result(exam, resat, "参考", 40, None)
    service.record_result(exam, resat, "参考", 75, None, resit=True)
    first = service.request_exemption(exam, exempted, "其他", "出差", None)
    service.decide_exemption(first, False, "材料不全", org.users["bureau"])
    service.request_exemption(exam, exempted, "其他", "出差（补材料）", None)
    db.session.commit()
    client = app.test_client()
    login(client, org.users["admin"])
    html = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    cells = {name: re.findall(r"<td>(.*?)</td>", html.split(f"<td>{name}</td>", 1)[1].split("</tr>", 1)[0], re.S)
             for name in ("甲补考", "乙免考", "丙待考")}
    # after the name: ID number, status, exemption, best score, result, attempts
    assert cells["甲补考"][2:6] == ["", "75.0", "合格", "2"], cells
    assert cells["乙免考"][2:6] == ["待审批", "", "", ""], cells
    assert cells["丙待考"][2:6] == ["", "", "", ""], cells
