"""Real-browser flows with CSRF on: a department admin registers staff; a candidate takes an online exam."""
import pytest
from sqlalchemy import select

from intranet.testing import browser_login, make_person
from intranet_exams.models import ExamResult, Paper, Question, Registration

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_department_admin_registers_staff(page, db, org, make_exam):
    exam = make_exam(name="年度普法考试")
    make_person(org.town_a, "李四")
    make_person(org.town_b, "王五")
    db.session.commit()
    browser_login(page, "admin_a")
    page.goto(f"{page.base_url}/exams/{exam.id}")
    page.click("text=报名管理")
    assert page.locator("text=王五").count() == 0  # another town's staff are not offered
    page.check("label:has-text('李四') >> xpath=../.. >> input[type=checkbox]")
    page.select_option("select[name=status]", "已报名")
    page.click("button:has-text('报名所选人员')")
    page.wait_for_selector("text=已为 1 人报名")
    db.session.expire_all()
    regs = {r.person.name: r.status for r in db.session.scalars(select(Registration))}
    assert regs == {"李四": "已报名"}


def test_candidate_takes_online_exam(page, db, org, online_exam, register_people):
    exam = online_exam()
    register_people(exam, [org.staff_person])
    browser_login(page, "zhangsan")
    page.goto(f"{page.base_url}/exams/mine")
    page.click("button:has-text('开始考试')")
    page.wait_for_selector("#paper-form")
    paper = db.session.scalar(select(Paper))
    keys = {q.id: q.answer for q in db.session.scalars(select(Question).where(Question.id.in_(paper.question_ids)))}
    first, second = paper.question_ids[0], paper.question_ids[-1]
    for qid in (first, second):
        for letter in keys[qid]:
            page.check(f"input[name=q{qid}][value={letter}]")
        page.wait_for_selector(f"fieldset[data-qid='{qid}'] .save-state:has-text('已保存')")
    page.reload()
    for qid in (first, second):
        for letter in keys[qid]:
            assert page.is_checked(f"input[name=q{qid}][value={letter}]")
    assert page.locator("#countdown").inner_text().endswith("秒")
    page.once("dialog", lambda dialog: dialog.accept())  # 交卷 asks first (unanswered questions)
    page.click("#submit-paper")
    page.wait_for_selector("#score")
    db.session.expire_all()
    paper = db.session.get(Paper, paper.id)
    assert paper.submitted_at is not None and paper.score == round(100 * 4 / 18, 1)
    assert page.inner_text("#score") == f"{paper.score:.1f}"
    assert db.session.scalar(select(ExamResult.score)) == paper.score
