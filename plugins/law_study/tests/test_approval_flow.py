"""The optional pre-meeting approval flow: submitted ahead, 司法局 review, leader approval, then held."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.testing import login
from intranet_law_study import service, settings
from intranet_law_study.models import PRE_MEETING_KINDS, StudySession
from intranet_law_study.service import SessionValues, StudyError


def planned(db, org, days=10, kind=PRE_MEETING_KINDS[3]):
    session = service.save_session(None, SessionValues(
        department_id=org.town_a.id, kind=kind, held_on=date.today() + timedelta(days=days), duration_minutes=40,
        topic="学习行政复议法", laws=[], status="计划"), None)
    db.session.commit()
    return session


def test_flow_off_by_default(db, org, make_session):
    make_session(org.town_a, held_on=date.today())   # held directly


def test_a_topic_goes_through_review_and_approval(db, org):
    settings.put("approval_flow", True)
    db.session.commit()
    with pytest.raises(StudyError, match="尚未经司法局审核"):
        service.save_session(None, SessionValues(department_id=org.town_a.id, kind=PRE_MEETING_KINDS[0],
                                                 held_on=date.today(), duration_minutes=30, topic="x", laws=[],
                                                 status="已举行"), None)
    db.session.rollback()
    late = planned(db, org, days=3)
    with pytest.raises(StudyError, match="至少提前5天"):
        service.submit_topic(late, None)
    db.session.rollback()
    session = planned(db, org)
    with pytest.raises(StudyError, match="不能经领导批准"):
        service.approve_topic(session, None)
    db.session.rollback()
    service.submit_topic(db.session.get(StudySession, session.id), None)
    with pytest.raises(StudyError, match="退回时请填写原因"):
        service.review_topic(db.session.get(StudySession, session.id), None, False, "")
    service.review_topic(db.session.get(StudySession, session.id), None, False, "主题过宽")
    service.submit_topic(db.session.get(StudySession, session.id), None)
    service.review_topic(db.session.get(StudySession, session.id), None, True)
    service.approve_topic(db.session.get(StudySession, session.id), None)
    db.session.commit()
    session = db.session.get(StudySession, session.id)
    assert session.approval == "已批准"
    # held only once the day has come, and then allowed
    session.held_on = date.today()
    db.session.commit()
    service.mark_held(session, None)
    db.session.commit()
    assert db.session.get(StudySession, session.id).status == "已举行"
    # lectures are not in the flow
    service.save_session(None, SessionValues(department_id=org.town_a.id, kind="法治专题讲座", held_on=date.today(),
                                             duration_minutes=30, topic="讲座", laws=[], status="已举行"), None)


def test_changing_an_approved_topic_needs_a_new_approval(db, org):
    settings.put("approval_flow", True)
    session = planned(db, org)
    for step in (service.submit_topic, lambda s, u: service.review_topic(s, u, True), service.approve_topic):
        step(db.session.get(StudySession, session.id), None)
    db.session.commit()
    service.save_session(db.session.get(StudySession, session.id), SessionValues(
        department_id=org.town_a.id, kind=session.kind, held_on=session.held_on, duration_minutes=40,
        topic="换了主题", laws=[], status="计划"), None)
    db.session.commit()
    assert db.session.get(StudySession, session.id).approval == ""


def test_pages_of_the_flow(client, db, org):
    settings.put("approval_flow", True)
    session = planned(db, org)
    login(client, org.users["dept_admin_a"])
    client.post(f"/law-study/sessions/{session.id}/submit")
    assert client.post(f"/law-study/sessions/{session.id}/review", data={"decision": "agree"}).status_code == 403
    login(client, org.users["bureau"])
    client.post(f"/law-study/sessions/{session.id}/review", data={"decision": "agree"})
    login(client, org.users["dept_admin_b"])
    assert client.post(f"/law-study/sessions/{session.id}/approve").status_code == 403
    login(client, org.users["dept_admin_a"])
    client.post(f"/law-study/sessions/{session.id}/approve")
    db.session.expire_all()
    assert db.session.get(StudySession, session.id).approval == "已批准"
    html = client.post("/law-study/sessions/new", follow_redirects=True, data={
        "department_id": org.town_a.id, "kind": "法治专题讲座", "held_on": date.today().isoformat(),
        "duration_minutes": 60, "topic": "讲座", "speaker_minutes": 45, "status": "已举行", "speaker_type": "",
        "plan_item_id": 0}).get_data(as_text=True)
    assert "主讲时长45分钟，超过30分钟" in html
    assert db.session.scalar(select(StudySession.speaker_minutes).where(StudySession.topic == "讲座")) == 45
