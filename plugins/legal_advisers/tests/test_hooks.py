"""The plugin's hooks: its own hookspec (adviser_lecture_sessions), the access samples, the audit
labels, the export kinds, the demo data at each scale."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from intranet.access_walk import sibling_samples
from intranet.hookspecs import hookimpl
from intranet.plugins import get_pm
from intranet.testing import login
from intranet_legal_advisers.models import Service


class LawStudyLike:
    """What a plugin recording 法治讲座 (law_study) would answer; with nobody answering there is no choice."""

    @hookimpl
    def adviser_lecture_sessions(self, department, day):
        return [{"ref": f"law_study:{department.id}", "label": f"{day} {department.name} 法治讲座：民法典"}]


def test_hook_adviser_lecture_sessions(app, client, db, org, firm, make_contract):
    contract = make_contract(org.town_a, [firm()])
    login(client, org.users["dept_admin_a"])
    assert "关联的学法活动" not in client.get(f"/legal-advisers/contracts/{contract.id}").get_data(as_text=True)
    get_pm().register(LawStudyLike(), name="lectures_answer")
    page = client.get(f"/legal-advisers/contracts/{contract.id}").get_data(as_text=True)
    assert "关联的学法活动" in page and f"law_study:{org.town_a.id}" in page
    data = {"served_on": date.today().isoformat(), "kind": "法治讲座", "matter": "讲授民法典",
            "hours": "2", "lecture_ref": f"law_study:{org.town_a.id}"}
    client.post(f"/legal-advisers/contracts/{contract.id}/services", data=data)
    entry = db.session.scalar(select(Service))
    assert entry.lecture_ref == f"law_study:{org.town_a.id}" and "法治讲座：民法典" in entry.lecture_label
    data["lecture_ref"] = "law_study:999"
    page = client.post(f"/legal-advisers/contracts/{contract.id}/services", data=data, follow_redirects=True)
    assert "学法活动不存在" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Service)) == 1


def test_samples_are_records_their_department_opens(db, client, org):
    [mine] = [s for s in sibling_samples(org.town_b) if s.plugin == "legal_advisers"]
    db.session.commit()
    login(client, org.users["dept_admin_b"])
    ids = mine.ids
    for url in (f"/legal-advisers/contracts/{ids['contract_id']}", f"/legal-advisers/contracts/{ids['contract_id']}/assess",
                f"/legal-advisers/files/{ids['file_id']}", f"/legal-advisers/advisers/{ids['adviser_id']}"):
        assert client.get(url).status_code == 200, url
    assert set(mine.shared) == {"legal_advisers.adviser"}
    assert client.post(f"/legal-advisers/services/{ids['service_id']}/rate", data={"rating": "4"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, ids["service_id"]).rating == 4


def test_audit_labels_cover_every_action_recorded(db, client, org):
    import pathlib
    import re
    from intranet.hookspecs import AuditLabels
    from intranet.plugins import call_safely
    found, _ = call_safely("audit_labels", expect=AuditLabels)
    [labels] = [x for x in found if x.plugin == "legal_advisers"]
    source = "".join(p.read_text(encoding="utf-8") for p in
                     pathlib.Path(__file__).resolve().parent.parent.joinpath("intranet_legal_advisers").rglob("*.py"))
    used = set(re.findall(r'audit\.record\(\s*"(legal_advisers\.[a-z_]+)"', source))
    used |= set(re.findall(r'"(legal_advisers\.[a-z_]+_(?:create|update))"', source))
    assert used and used <= set(labels.actions), used - set(labels.actions)


def test_demo_data_at_every_scale(app, db):
    from intranet.demo import load_demo
    from intranet_legal_advisers.models import Contract
    load_demo("small")
    db.session.commit()
    n = db.session.scalar(select(func.count()).select_from(Contract))
    assert n > 5
    assert db.session.scalar(select(func.count()).select_from(Service)) > n


def test_export_kinds_write_the_subtree(app, db, org, firm, make_contract, tmp_path):
    import openpyxl
    from intranet.hookspecs import ExportKind
    from intranet.plugins import call_safely
    from intranet_legal_advisers import service
    from intranet_legal_advisers.service import ServiceValues
    a = make_contract(org.town_a, [firm()], number="=HYPERLINK(1)")
    make_contract(org.market, [firm("福建正衡律师事务所", 2)], number="SJ-1")
    service.add_service(a, ServiceValues(served_on=date.today(), kind="合同审查", matter="审查", hours=1), None)
    db.session.commit()
    kinds = {k.name: k for k in call_safely("export_kinds", expect=ExportKind)[0] if k.plugin == "legal_advisers"}
    assert set(kinds) == {"adviser-contracts", "adviser-services"}
    kinds["adviser-contracts"].write(tmp_path / "c.xlsx", org.county)
    rows = list(openpyxl.load_workbook(tmp_path / "c.xlsx").active.iter_rows(values_only=True))
    assert rows[0][0] == "合同编号" and [r[0] for r in rows[1:]] == ["=HYPERLINK(1)"]   # text, not a formula
    kinds["adviser-services"].write(tmp_path / "s.xlsx", None)
    rows = list(openpyxl.load_workbook(tmp_path / "s.xlsx").active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == "合同审查"
