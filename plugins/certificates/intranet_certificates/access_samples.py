"""Test support: the plugin's records of one department for the core's access walk.

Every record here belongs to the department alone, so a sibling department's users must get 403
on every route that takes its id; nothing of the plugin is shared across departments.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intranet.extensions import db
from intranet.hookspecs import AccessSamples

from .models import (CancellationNotice, Certificate, CertificateApplication, CleanupCampaign, CleanupCandidate,
                     EnforcementSubject)
from .states import CANCELLED, VALID


def _card(person, department, number: str, status: str = VALID) -> Certificate:
    today = date.today()
    cert = Certificate(number=number, person_id=person.id, department_id=department.id, category="综合行政执法",
                       region=department.name, issued_on=today, valid_until=today.replace(year=today.year + 5),
                       status=status, origin="import")
    db.session.add(cert)
    db.session.flush()
    return cert


def samples(department) -> AccessSamples:
    from intranet.testing import make_person
    person = make_person(department)
    cert = _card(person, department, f"SAMPLE-{department.id}-{person.id}")
    cancelled = _card(make_person(department), department, f"SAMPLE-{department.id}-{person.id}-N", CANCELLED)
    application = CertificateApplication(person_id=person.id, department_id=department.id, category="综合行政执法",
                                         region=department.name, status="待审核", checks=[])
    campaign = CleanupCampaign(name=f"{department.name}清理", department_id=department.id, opened_on=date.today())
    notice = CancellationNotice(title=f"{department.name}公告注销", published_on=date.today(),
                                numbers=[cancelled.number], reason="无法收回")
    db.session.add_all([application, campaign, notice])
    db.session.flush()
    cancelled.notice_id = notice.id
    db.session.add(CleanupCandidate(campaign_id=campaign.id, certificate_id=cert.id, department_id=department.id,
                                    group="other", groups="other"))
    subject = db.session.scalar(select(EnforcementSubject).where(EnforcementSubject.department_id == department.id))
    if subject is None:
        subject = EnforcementSubject(department_id=department.id, kind="法定行政机关", confirmed_on=date.today(),
                                     basis="测试确认")
        db.session.add(subject)
    db.session.flush()

    def grow(n: int) -> None:
        """More cards of the department, each a candidate of the campaign, and more applications."""
        for _ in range(n):
            other = make_person(department)
            card = _card(other, department, f"SAMPLE-{department.id}-{other.id}")
            db.session.add_all([
                CleanupCandidate(campaign_id=campaign.id, certificate_id=card.id, department_id=department.id,
                                 group="other", groups="other"),
                CertificateApplication(person_id=other.id, department_id=department.id, category="综合行政执法",
                                       region=department.name, status="待审核", checks=[])])
        db.session.flush()

    return AccessSamples("certificates", ids={
        "cert_id": cert.id, "app_id": application.id, "campaign_id": campaign.id, "notice_id": notice.id,
        "subject_id": subject.id,
    }, values={"number": cert.number, "action": "review"}, grow=grow)
