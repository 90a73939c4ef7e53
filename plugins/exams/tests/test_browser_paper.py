"""Issue #12 in a real browser: 交卷 asks naming unanswered questions, the countdown stays in view,
the paper and the exam pages fit a phone."""
import pytest
from sqlalchemy import select

from intranet.testing import browser_login
from intranet_exams.models import Paper

pytestmark = pytest.mark.browser

FITS = """() => {
  const width = document.documentElement.clientWidth;
  const narrow = [];
  document.querySelectorAll('td, th, legend, label, p, li, h1, h2, dd, dt').forEach(el => {
    const text = el.innerText.trim();
    const range = document.createRange();
    range.selectNodeContents(el);
    const r = range.getBoundingClientRect();  // the text itself, not the (row-high) cell
    const style = getComputedStyle(el);
    const em = parseFloat(style.fontSize);
    const line = parseFloat(style.lineHeight) || em * 1.3;
    const lines = r.height / line;
    // one character per line: a box much taller than wide holding several characters
    if (text.length >= 4 && r.width > 0 && r.width < 2.5 * em && lines >= 2.5) {
      narrow.push(el.tagName + ':' + text.slice(0, 20));
    }
  });
  return {scroll: document.documentElement.scrollWidth, width, narrow};
}"""


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _start(page, db, org, online_exam, register_people):
    from intranet_exams.models import Question
    exam = online_exam(name="2026年度全市行政执法人员公共法律知识在线考试（综合法律知识）")
    for q in db.session.scalars(select(Question)):  # stems and options as long as the real bank's
        q.stem = "依照《中华人民共和国行政处罚法》规定，行政处罚决定书应当在宣告后当场交付当事人；当事人不在场的，" + q.stem
        q.options = [o + "，法律、法规另有规定的除外" if q.qtype != "判断" else o for o in q.options]
    db.session.commit()
    register_people(exam, [org.staff_person])
    browser_login(page, "zhangsan")
    page.goto(f"{page.base_url}/exams/mine")
    page.click("button:has-text('开始考试')")
    page.wait_for_selector("#paper-form")
    return exam, db.session.scalar(select(Paper))


def test_submit_asks_naming_unanswered_and_countdown_stays_in_view(page, db, org, online_exam, register_people):
    exam, paper = _start(page, db, org, online_exam, register_people)
    first = paper.question_ids[0]
    page.check(f"input[name=q{first}][value=A]")
    page.wait_for_selector(f"fieldset[data-qid='{first}'] .save-state:has-text('已保存')")
    page.set_viewport_size({"width": 1000, "height": 400})
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(200)
    box = page.locator("#countdown").bounding_box()
    assert page.evaluate("window.scrollY") > 200 and 0 <= box["y"] < 400  # still on screen after scrolling
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()
    page.once("dialog", dismiss)
    page.click("#submit-paper")
    page.wait_for_timeout(300)
    unanswered = "、".join(str(n) for n in range(2, len(paper.question_ids) + 1))
    assert messages and f"第{unanswered}题未作答" in messages[0]
    db.session.expire_all()
    assert db.session.get(Paper, paper.id).submitted_at is None  # cancelled: still open
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-paper")
    page.wait_for_selector("#score")
    db.session.expire_all()
    assert db.session.get(Paper, paper.id).submitted_at is not None


def _fits(page, url):
    page.goto(url)
    found = page.evaluate(FITS)
    assert found["scroll"] <= found["width"], f"{url}: {found['scroll']} > {found['width']}"
    assert not found["narrow"], f"{url}: one character per line in {found['narrow']}"


def test_paper_and_exam_pages_fit_a_phone(phone_page, db, org, online_exam, register_people, make_exam):
    exam, paper = _start(phone_page, db, org, online_exam, register_people)
    _fits(phone_page, f"{phone_page.base_url}/exams/papers/{paper.id}")
    _fits(phone_page, f"{phone_page.base_url}/exams/mine")
    phone_page.once("dialog", lambda dialog: dialog.accept())
    phone_page.goto(f"{phone_page.base_url}/exams/papers/{paper.id}")
    phone_page.click("#submit-paper")
    phone_page.wait_for_selector("#score")
    _fits(phone_page, f"{phone_page.base_url}/exams/papers/{paper.id}/result")
    phone_page.context.clear_cookies()
    browser_login(phone_page, "admin_a")
    for url in ("/exams/", f"/exams/{exam.id}", f"/exams/{exam.id}/departments", "/exams/statistics"):
        _fits(phone_page, phone_page.base_url + url)
