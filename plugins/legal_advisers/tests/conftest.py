"""Fixtures of the legal_advisers tests. The core's (app, db, org, make_person, login, …) come from
``intranet.testing`` through the core's ``pytest11`` entry point: no ``pytest_plugins`` here."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from intranet.schema import create_all

TODAY = date.today()


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGIN_SOURCES": {"legal_advisers": "intranet_legal_advisers.plugin"},
            "UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture(autouse=True)
def _tables(request):
    if "app" in request.fixturenames:
        create_all(request.getfixturevalue("app"))


@pytest.fixture
def firm(db):
    """A committed law firm of the talent pool."""
    from intranet_legal_advisers import service
    from intranet_legal_advisers.validators import firm_code_for

    def make(name="福建商通律师事务所", serial=1, specialities="合同审查、行政诉讼"):
        adviser = service.save_adviser(None, service.AdviserValues(kind="律师事务所", name=name, code=firm_code_for(serial),
                                                                   specialities=specialities), None)
        db.session.commit()
        return adviser
    return make


@pytest.fixture
def make_contract(db):
    """make_contract(department, advisers, **fields) → a committed contract, active by default."""
    from intranet_legal_advisers import service

    def make(department, advisers, *, status="生效", number=None, start=None, years=2, form="常年法律顾问", **fields):
        start = start or TODAY - timedelta(days=100)
        values = dict(number=number or f"HT-{department.code}-{start.isoformat()}-{len(advisers)}",
                      department_id=department.id, form=form, start_on=start,
                      end_on=service.add_years(start, years) - timedelta(days=1), fee="30000",
                      adviser_ids=[a.id for a in advisers], scope="常年法律服务", confidentiality=True,
                      conflict_free=True, signed_on=start, filed_on=start + timedelta(days=3))
        values.update(fields)
        contract = service.save_contract(None, service.ContractValues(**values), None)
        if status != "草拟":
            service.activate(contract, None)
        db.session.commit()
        return contract
    return make
