"""Registration, exemptions and results: the rules and their refusals."""
import pytest
from sqlalchemy import func, select

from intranet.models import AuditEvent
from intranet.testing import make_person
from intranet_exams import service
from intranet_exams.models import ExamResult, Exemption, Registration
from intranet_exams.service import ExamError


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_then_confirm_then_cancel(db, org, make_exam):
    exam = make_exam()
    p1, p2 = make_person(org.town_a), make_person(org.town_a)
    assert service.register(exam, [p1, p2], "预报名", org.users["dept_admin_a"]) == 2
    db.session.commit()
    regs = list(db.session.scalars(select(Registration)))
    assert {r.status for r in regs} == {"预报名"} and all(r.preregistered_at for r in regs)
    assert service.confirm(exam, regs, org.users["dept_admin_a"]) == 2
    assert {r.status for r in regs} == {"已报名"} and all(r.preregistered_at for r in regs)
    # registering again changes nothing
    assert service.register(exam, [p1], "预报名", None) == 0
    service.cancel(regs[0], None)
    assert regs[0].status == "已取消"
    with pytest.raises(ExamError, match="已取消"):
        service.cancel(regs[0], None)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type.like("exams_%"))) >= 3


def test_register_refuses_people_not_in_post(db, org, make_exam):
    exam = make_exam()
    retired = make_person(org.town_a, status="退休")
    with pytest.raises(ExamError, match="不在岗"):
        service.register(exam, [retired], "已报名", None)
    assert count(db, Registration) == 0


def test_cannot_cancel_after_result(db, org, make_exam, register_people):
    exam = make_exam()
    p = make_person(org.town_a)
    reg, = register_people(exam, [p])
    service.record_result(exam, p, "参考", 70, None)
    with pytest.raises(ExamError, match="不能取消"):
        service.cancel(reg, None)
    assert reg.status == "已报名"


@pytest.mark.parametrize("status, score, message", [
    ("参考", 101, "超过满分"),
    ("参考", -1, "不能为负数"),
    ("参考", None, "必须填写成绩"),
    ("缺考", 50, "不应填写成绩"),
])
def test_bad_scores_refused(db, org, make_exam, register_people, status, score, message):
    exam = make_exam()
    p = make_person(org.town_a)
    register_people(exam, [p])
    with pytest.raises(ExamError, match=message):
        service.record_result(exam, p, status, score, None)
    assert count(db, ExamResult) == 0


def test_result_for_someone_not_registered_refused(db, org, make_exam, register_people):
    exam = make_exam()
    stranger, pre = make_person(org.town_a), make_person(org.town_a)
    register_people(exam, [pre], "预报名")
    with pytest.raises(ExamError, match="未报名"):
        service.record_result(exam, stranger, "参考", 80, None)
    with pytest.raises(ExamError, match="尚未确认报名"):
        service.record_result(exam, pre, "参考", 80, None)
    assert count(db, ExamResult) == 0


def test_pass_mark_resit_and_best_attempt(db, org, make_exam, register_people):
    exam = make_exam(full_mark=120, pass_mark=72, max_attempts=2)
    p = make_person(org.town_a)
    register_people(exam, [p])
    first = service.record_result(exam, p, "参考", 71.5, None)
    assert first.attempt == 1 and not first.passed
    corrected = service.record_result(exam, p, "参考", 60, None)  # a correction, not a new attempt
    assert corrected.id == first.id and corrected.score == 60
    second = service.record_result(exam, p, "参考", 72, None, resit=True)
    assert second.attempt == 2 and second.passed
    with pytest.raises(ExamError, match="已考试合格"):
        service.record_result(exam, p, "参考", 90, None, resit=True)
    from intranet_exams import figures
    f = figures.exam_figures(exam.id)
    assert (f["sat"], f["passed"], f["pass_rate"]) == (1, 1, 1.0)


def test_max_attempts(db, org, make_exam, register_people):
    exam = make_exam(max_attempts=1)
    p = make_person(org.town_a)
    register_people(exam, [p])
    service.record_result(exam, p, "缺考", None, None)
    with pytest.raises(ExamError, match="次数上限"):
        service.record_result(exam, p, "参考", 50, None, resit=True)


def test_exemption_request_and_approval(db, org, make_exam, register_people):
    exam = make_exam()
    lawyer = make_person(org.town_a, legal_qualification=True)
    plain = make_person(org.town_a)
    register_people(exam, [lawyer, plain])
    with pytest.raises(ExamError, match="未登记法律职业资格"):
        service.request_exemption(exam, plain, "法律职业资格", "", org.users["dept_admin_a"])
    with pytest.raises(ExamError, match="请填写说明"):
        service.request_exemption(exam, plain, "其他", " ", org.users["dept_admin_a"])
    ex = service.request_exemption(exam, lawyer, "法律职业资格", "", org.users["dept_admin_a"])
    with pytest.raises(ExamError, match="已有待审批"):
        service.request_exemption(exam, lawyer, "法律职业资格", "", org.users["dept_admin_a"])
    # a town administrator is neither the 司法局 nor the organiser
    with pytest.raises(ExamError, match="只有司法局"):
        service.decide_exemption(ex, True, "", org.users["dept_admin_a"])
    assert ex.status == "待审批"
    service.decide_exemption(ex, True, "同意", org.users["bureau"])
    assert ex.status == "已批准"
    with pytest.raises(ExamError, match="不能重复审批"):
        service.decide_exemption(ex, False, "", org.users["bureau"])
    with pytest.raises(ExamError, match="已批准免考"):
        service.record_result(exam, lawyer, "参考", 80, None)
    f = service_figures(exam)
    assert (f["registered"], f["exempt"], f["required"]) == (2, 1, 1)


def test_organiser_admin_may_approve(db, org, make_exam, register_people):
    from intranet.testing import make_user
    exam = make_exam(organiser_id=org.market.id)
    organiser_admin = make_user("dept_admin", org.market)
    p = make_person(org.town_a)
    register_people(exam, [p])
    ex = service.request_exemption(exam, p, "长期病休", "", None)
    service.decide_exemption(ex, False, "材料不全", organiser_admin)
    assert ex.status == "已驳回"


def test_absent_result_marked_exempt_creates_exemption(db, org, make_exam, register_people):
    exam = make_exam()
    p = make_person(org.town_a)
    register_people(exam, [p])
    service.record_result(exam, p, "免考", None, None)
    assert db.session.scalar(select(Exemption.status)) == "已批准"


def service_figures(exam):
    from intranet_exams import figures
    return figures.exam_figures(exam.id)
