"""Test support: the plugin's records of one department for the core's access walk.

A contract, a service logged on it and the service's attachment belong to the department alone:
a sibling's users get 403 on every route that takes their id. The adviser (a law firm) is part of
the talent pool that every unit consults, so its page is shared; changing it is for the 司法局.
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from intranet.extensions import db
from intranet.hookspecs import AccessSamples

from .models import ACTIVE, FIRM, STANDING, Adviser, Contract, ContractAdviser, Service, ServiceFile
from .validators import firm_code_for

PDF = b"%PDF-1.4\n%sample\n"


def samples(department) -> AccessSamples:
    from .files import folder
    today = date.today()
    adviser = Adviser(kind=FIRM, name=f"样例律师事务所{department.id}", code=firm_code_for(department.id * 7919),
                      specialities="合同审查", active=True)
    db.session.add(adviser)
    db.session.flush()
    contract = Contract(number=f"SAMPLE-{department.id}-{uuid.uuid4().hex[:8]}", department_id=department.id,
                        form=STANDING, start_on=today - timedelta(days=60), end_on=today + timedelta(days=300), fee=0,
                        scope="常年法律顾问服务", confidentiality=True, conflict_free=True,
                        signed_on=today - timedelta(days=60), filed_on=today - timedelta(days=55), status=ACTIVE)
    db.session.add(contract)
    db.session.flush()
    db.session.add(ContractAdviser(contract_id=contract.id, adviser_id=adviser.id))
    service = Service(contract_id=contract.id, department_id=department.id, served_on=today - timedelta(days=10),
                      kind="合同审查", matter="审查采购合同", hours=2, outcome="出具审查意见", status="有效")
    db.session.add(service)
    db.session.flush()
    name = f"{uuid.uuid4().hex}.pdf"
    (folder() / name).write_bytes(PDF)
    record = ServiceFile(service_id=service.id, department_id=department.id, original_name="审查意见.pdf",
                         stored_name=name, mimetype="application/pdf", size=len(PDF), active=True)
    db.session.add(record)
    db.session.flush()

    def grow(n: int) -> None:
        """More services (each with a file) on the contract, and more contracts of the adviser."""
        for _ in range(n):
            more = Service(contract_id=contract.id, department_id=department.id, served_on=today - timedelta(days=5),
                           kind="合同审查", matter="审查合同", hours=1, outcome="出具审查意见", status="有效")
            other = Contract(number=f"SAMPLE-{department.id}-{uuid.uuid4().hex[:8]}", department_id=department.id,
                             form=STANDING, start_on=today - timedelta(days=30), end_on=today + timedelta(days=300),
                             fee=0, scope="常年法律顾问服务", confidentiality=True, conflict_free=True,
                             signed_on=today - timedelta(days=30), filed_on=today - timedelta(days=25), status=ACTIVE)
            db.session.add_all([more, other])
            db.session.flush()
            db.session.add_all([
                ServiceFile(service_id=more.id, department_id=department.id, original_name="审查意见.pdf",
                            stored_name=name, mimetype="application/pdf", size=len(PDF), active=True),
                ContractAdviser(contract_id=other.id, adviser_id=adviser.id)])
        db.session.flush()

    return AccessSamples("legal_advisers", grow=grow, ids={"adviser_id": adviser.id, "contract_id": contract.id,
                                                "service_id": service.id, "file_id": record.id},
                         shared={"legal_advisers.adviser": "法律顾问人才库对各单位公开，各单位据此选聘顾问；"
                                                           "页面只列出本单位范围内的合同和考核"})
