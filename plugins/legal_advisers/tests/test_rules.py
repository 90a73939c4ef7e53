"""The rules of the service layer: every bad input the issue names is refused with a Chinese
message and leaves nothing behind; the warnings; renewal; expiry; the assessment."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.locking import StateChanged
from intranet.models import AuditEvent
from intranet_legal_advisers import service
from intranet_legal_advisers.models import Adviser, Assessment, Contract, ContractAdviser, Service
from intranet_legal_advisers.service import AdviserError, AdviserValues, AssessmentValues, ContractValues, ServiceValues
from intranet_legal_advisers.validators import firm_code_for

TODAY = date.today()


def counts(db):
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Adviser, Contract, ContractAdviser, Service, Assessment, AuditEvent))


def contract_values(department, advisers, **fields):
    values = dict(number="HT-1", department_id=department.id, form="常年法律顾问", start_on=TODAY - timedelta(days=30),
                  end_on=TODAY + timedelta(days=700), fee="50000", adviser_ids=[a.id for a in advisers],
                  confidentiality=True, conflict_free=True, signed_on=TODAY - timedelta(days=30),
                  filed_on=TODAY - timedelta(days=25))
    values.update(fields)
    return ContractValues(**values)


def refused(db, func_, *args, match, **kwargs):
    before = counts(db)
    with pytest.raises(AdviserError, match=match):
        func_(*args, **kwargs)
    db.session.rollback()
    assert counts(db) == before


def test_firm_code_check_character_and_licence_length(db, org):
    good = firm_code_for(42)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    refused(db, service.save_adviser, None, AdviserValues(kind="律师事务所", name="甲律所", code=wrong), None,
            match="校验位不正确")
    refused(db, service.save_adviser, None, AdviserValues(kind="律师事务所", name="甲律所", code=good[:-2]), None,
            match="应为18位")
    refused(db, service.save_adviser, None, AdviserValues(kind="律师", name="王律师", code="1350120101234567"), None,
            match="17位数字.*16位")
    refused(db, service.save_adviser, None, AdviserValues(kind="律师", name="王律师", code="1350120101234567X"), None,
            match="非数字")
    firm = service.save_adviser(None, AdviserValues(kind="律师事务所", name="甲律所", code=good.lower()), None)
    assert firm.code == good
    lawyer = service.save_adviser(None, AdviserValues(kind="律师", name="王律师", code="13501201012345678",
                                                      firm_id=firm.id, specialities="合同审查,行政诉讼 征地拆迁"), None)
    assert lawyer.specialities == "合同审查、行政诉讼、征地拆迁" and lawyer.label == "王律师（甲律所）"
    db.session.commit()
    refused(db, service.save_adviser, None, AdviserValues(kind="律师", name="李律师", code="13501201012345678"), None,
            match="已登记")


def test_public_lawyer_is_a_person_on_duty(db, org):
    from intranet.testing import make_person
    person = make_person(org.bureau_dept, "赵公")
    gone = make_person(org.bureau_dept, "钱退", status="退休")
    db.session.commit()
    refused(db, service.save_adviser, None, AdviserValues(kind="公职律师", name="", person_id=None), None, match="工作人员")
    refused(db, service.save_adviser, None, AdviserValues(kind="公职律师", name="", person_id=gone.id), None, match="退休")
    adviser = service.save_adviser(None, AdviserValues(kind="公职律师", name="", person_id=person.id), None)
    assert (adviser.name, adviser.department_id, adviser.code) == ("赵公", org.bureau_dept.id, None)


def test_contract_bad_inputs_are_refused_and_nothing_is_saved(db, org, firm):
    f = firm()
    town = org.town_a
    refused(db, service.save_contract, None, contract_values(town, [f], end_on=TODAY - timedelta(days=31)), None,
            match="结束日期不能早于开始日期")
    refused(db, service.save_contract, None, contract_values(town, [f], fee="-1"), None, match="服务费不能为负数")
    refused(db, service.save_contract, None, contract_values(town, [f], fee="三万"), None, match="服务费应为数字")
    refused(db, service.save_contract, None, contract_values(town, [f], fee="nan"), None, match="服务费应为数字")
    refused(db, service.save_contract, None, contract_values(town, []), None, match="请选择法律顾问")
    refused(db, service.save_contract, None, contract_values(town, [f], form="法律顾问团"), None, match="至少两名")
    refused(db, service.save_contract, None, contract_values(town, [f], filed_on=TODAY - timedelta(days=40)), None,
            match="备案日期不能早于签订日期")


def test_warnings_for_term_and_late_filing(db, org, firm):
    f = firm()
    v = contract_values(org.town_a, [f], end_on=TODAY + timedelta(days=100), filed_on=TODAY)
    contract = service.save_contract(None, v, None)
    assert any("不足1年" in w for w in v.warnings) and any("超过15天" in w for w in v.warnings)
    assert contract.filed_late
    v = contract_values(org.town_b, [f], number="HT-2", end_on=TODAY + timedelta(days=365 * 4))
    service.save_contract(None, v, None)
    assert v.warnings == ["聘期超过3年（法律顾问聘期一般为1至3年），请核对"]


def test_two_active_standing_contracts_with_one_adviser(db, org, firm, make_contract):
    f, other = firm(), firm("福建正衡律师事务所", 2)
    make_contract(org.town_a, [f], number="HT-A")
    refused(db, service.save_contract, None, contract_values(org.town_a, [f], number="HT-B"), None,
            match="甲镇已有与该顾问的生效常年法律顾问合同（HT-A")
    # another adviser, another form, another unit, or a term after the first one: allowed
    service.save_contract(None, contract_values(org.town_a, [other], number="HT-C"), None)
    service.save_contract(None, contract_values(org.town_a, [f], number="HT-D", form="专项法律顾问"), None)
    service.save_contract(None, contract_values(org.town_b, [f], number="HT-E"), None)
    # a second draft with the same adviser cannot be activated while the first is in force
    draft = service.save_contract(None, contract_values(org.town_a, [f], number="HT-F", start_on=TODAY + timedelta(days=800),
                                                        end_on=TODAY + timedelta(days=1500)), None)
    draft.start_on = TODAY
    db.session.commit()
    with pytest.raises(AdviserError, match="期限重叠"):
        service.activate(draft, None)


def test_activation_needs_clauses_and_signing(db, org, firm):
    f = firm()
    contract = service.save_contract(None, contract_values(org.town_a, [f], confidentiality=False), None)
    with pytest.raises(AdviserError, match="保密条款"):
        service.activate(contract, None)
    contract.confidentiality, contract.signed_on = True, None
    with pytest.raises(AdviserError, match="签订日期"):
        service.activate(contract, None)
    contract.signed_on = TODAY
    assert service.activate(contract, None).status == "生效"
    with pytest.raises(StateChanged):
        service.activate(contract, None)


def test_service_outside_the_term_and_other_bad_entries(db, org, firm, make_contract):
    contract = make_contract(org.town_a, [firm()], start=TODAY - timedelta(days=30))
    def entry(**kw):
        values = dict(served_on=TODAY, kind="合同审查", matter="审查采购合同", hours="2")
        values.update(kw)
        return ServiceValues(**values)
    refused(db, service.add_service, contract, entry(served_on=TODAY - timedelta(days=31)), None, match="不在合同期限内")
    refused(db, service.add_service, contract, entry(served_on=TODAY + timedelta(days=1)), None, match="不能晚于今天")
    refused(db, service.add_service, contract, entry(hours="-2"), None, match="不能为负数")
    refused(db, service.add_service, contract, entry(matter=" "), None, match="请填写服务事项")
    refused(db, service.add_service, contract, entry(lecture_ref="law_study:1"), None, match="只有法治讲座")
    refused(db, service.add_service, contract, entry(kind="法治讲座", lecture_ref="law_study:1"), None, match="学法活动不存在")
    ok = service.add_service(contract, entry(kind="法治讲座", lecture_ref="law_study:1"), None,
                             lectures={"law_study:1": "法治讲座：民法典"})
    assert ok.lecture_label == "法治讲座：民法典"
    draft = make_contract(org.town_b, [firm("草拟律所", 3)], status="草拟")
    refused(db, service.add_service, draft, entry(), None, match="草拟中的合同")
    service.terminate(contract, "顾问退休", None, TODAY - timedelta(days=5))
    db.session.commit()
    refused(db, service.add_service, contract, entry(), None, match="不在合同期限内")


def test_rating_once_between_1_and_5(db, org, firm, make_contract):
    contract = make_contract(org.town_a, [firm()])
    entry = service.add_service(contract, ServiceValues(served_on=TODAY, kind="合同审查", matter="审查", hours=1), None)
    db.session.commit()
    with pytest.raises(AdviserError, match="1到5分"):
        service.rate(entry, 6, "", None)
    db.session.rollback()
    service.rate(entry, 4, "及时", None)
    db.session.commit()
    with pytest.raises(StateChanged, match="已评价"):
        service.rate(entry, 5, "", None)


def assessment(year, client, own, decision="续聘", **kw):
    dims = ["服务态度", "专业能力", "工作效率", "服务成效"]
    return AssessmentValues(year=year, client=dict(zip(dims, client)), self_report=dict(zip(dims, own)),
                            decision=decision, **kw)


def test_assessment_grades_veto_and_prefill(db, org, firm, make_contract):
    year = TODAY.year - 1
    contract = make_contract(org.town_a, [firm()], start=date(year, 1, 1))
    for rating, day in ((5, 3), (4, 4)):
        s = service.add_service(contract, ServiceValues(served_on=date(year, 3, day), kind="合同审查", matter="审查",
                                                        hours=1), None, today=date(year, 12, 31))
        service.rate(s, rating, "", None)
    db.session.commit()
    summary = service.year_summary(contract, year)
    assert summary["services"] == 2 and str(summary["avg_rating"]) == "4.50"
    assert service.suggested_scores(summary) == {"服务态度": 18, "专业能力": 27, "工作效率": 18, "服务成效": 27}
    refused(db, service.assess, contract, assessment(year, [21, 30, 20, 30], [20, 30, 20, 30]), None,
            match="0到20分")
    refused(db, service.assess, contract, assessment(year, [20, 30, 20], [20, 30, 20, 30]), None, match="请填写")
    refused(db, service.assess, contract, assessment(year, [20, 30, 20, 30], [20, 30, 20, 30], veto=True), None,
            match="否决事由")
    refused(db, service.assess, contract, assessment(year, [20, 30, 20, 30], [20, 30, 20, 30], veto=True,
                                                     veto_reason="泄露工作秘密"), None, match="不能决定续聘")
    done = service.assess(contract, assessment(year, [18, 27, 18, 27], [20, 30, 20, 30]), None)
    assert (str(done.total), done.grade, done.services) == ("93.00", "优秀", 2)
    db.session.commit()
    with pytest.raises(StateChanged, match="已考核"):
        service.assess(contract, assessment(year, [18, 27, 18, 27], [20, 30, 20, 30]), None)


def test_incompetent_adviser_needs_an_override_by_the_bureau(db, org, firm, make_contract):
    year = TODAY.year - 1
    bad = firm("差评律师事务所", 9)
    old = make_contract(org.town_a, [bad], start=date(year - 1, 1, 1))
    service.assess(old, assessment(year, [5, 5, 5, 5], [10, 10, 10, 10], decision="解聘"), None)
    db.session.commit()
    assert db.session.scalar(select(Assessment.grade)) == "不称职"
    v = contract_values(org.town_b, [bad], number="HT-NEW", start_on=TODAY, end_on=TODAY + timedelta(days=700))
    refused(db, service.save_contract, None, v, org.users["bureau"], match="考核为不称职，不能签订新合同")
    v.override_reason = "该所已整改，经集体研究同意续用"
    refused(db, service.save_contract, None, v, org.users["dept_admin_b"], match="须由司法局")
    contract = service.save_contract(None, v, org.users["bureau"])
    db.session.commit()
    assert contract.override_reason.startswith("该所已整改")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "legal_advisers.contract_create")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.reason == contract.override_reason
    # the dismissed contract cannot be renewed
    with pytest.raises(AdviserError, match="解聘"):
        service.renew(old, service.renewal_values(old), org.users["bureau"])


def test_renewal_is_a_new_contract_linked_to_the_old(db, org, firm, make_contract):
    old = make_contract(org.town_a, [firm()], start=TODAY - timedelta(days=700))
    v = service.renewal_values(old)
    assert v.start_on == old.end_on + timedelta(days=1) and v.adviser_ids == [a.id for a in old.advisers]
    v.number = "HT-RENEW"
    new = service.renew(old, v, None)
    db.session.commit()
    assert new.renewal_of_id == old.id and new.status == "草拟"
    v2 = service.renewal_values(old)
    v2.number = "HT-RENEW-2"
    with pytest.raises(StateChanged, match="已续签"):
        service.renew(old, v2, None)


def test_terminate_needs_a_reason_and_happens_once(db, org, firm, make_contract):
    contract = make_contract(org.town_a, [firm()])
    with pytest.raises(AdviserError, match="终止原因"):
        service.terminate(contract, " ", None)
    db.session.rollback()
    service.terminate(contract, "单位撤并", None)
    db.session.commit()
    assert (contract.status, contract.end_reason, contract.ended_on) == ("终止", "单位撤并", TODAY)
    with pytest.raises(StateChanged):
        service.terminate(contract, "再次", None)


def test_the_daily_job_expires_contracts_past_their_end(app, db, org, firm, make_contract):
    from intranet.plugins import call_safely
    from intranet.hookspecs import ScheduledJob
    past = make_contract(org.town_a, [firm()], start=TODAY - timedelta(days=800), years=2, status="草拟")
    past.status = "生效"          # in force until yesterday, as if the job had not run
    current = make_contract(org.town_b, [firm("另一律所", 5)])
    db.session.commit()
    jobs, failures = call_safely("scheduled_jobs", expect=ScheduledJob)
    [job] = [j for j in jobs if j.plugin == "legal_advisers"]
    assert not failures and (job.name, job.schedule) == ("expire-contracts", "daily")
    assert job.func() == "已将1份超过结束日期的法律顾问合同标记为到期"
    db.session.expire_all()
    assert (db.session.get(Contract, past.id).status, db.session.get(Contract, current.id).status) == ("到期", "生效")
    assert job.func() == "已将0份超过结束日期的法律顾问合同标记为到期"


def test_no_rating_after_the_year_is_assessed(db, org, firm, make_contract):
    """The assessment took the year's average rating: a later rating of that year would change
    the figure behind a decision already made, so it is refused and nothing changes."""
    year = TODAY.year - 1
    contract = make_contract(org.town_a, [firm()], start=date(year, 1, 1))
    old, rated = (service.add_service(contract, ServiceValues(served_on=date(year, 5, day), kind="合同审查",
                                                              matter="审查", hours=1), None, today=date(year, 12, 31))
                  for day in (1, 2))
    service.rate(rated, 4, "", None)
    this_year = service.add_service(contract, ServiceValues(served_on=TODAY, kind="合同审查", matter="审查", hours=1), None)
    service.assess(contract, assessment(year, [18, 27, 18, 27], [20, 30, 20, 30]), None)
    db.session.commit()
    refused(db, service.rate, old, 5, "迟到的评价", None, match=f"{year}年度已考核，不能再评价")
    db.session.expire_all()
    assert db.session.get(Service, old.id).rating is None
    service.rate(this_year, 5, "", None)  # a year not yet assessed is still rated
    db.session.commit()
    assert db.session.get(Service, this_year.id).rating == 5
