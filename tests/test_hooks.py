"""One test per core hook, each exercised through the sample plugin (tests/plugins/sample_notes).

The last test checks that every hookspec has such a test and a section in docs/plugins.md.
"""
import io
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import plugin_config  # noqa: E402

from intranet import hookspecs  # noqa: E402
from intranet.cli import cli  # noqa: E402
from intranet.models import AuditEvent  # noqa: E402
from intranet.plugins import flatten, get_pm  # noqa: E402
from intranet.schema import create_all  # noqa: E402
from intranet.testing import login, xlsx_bytes  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config():
    return plugin_config("sample_notes")


@pytest.fixture(autouse=True)
def sample_tables(request):
    """The session's database was made without the sample plugin: add its table."""
    if "app" in request.fixturenames:
        create_all(request.getfixturevalue("app"))


def Note():
    from sample_notes.models import Note
    return Note


def add_note(db, department, title="笔记", noted_on=None, person=None, active=True):
    note = Note()(department_id=department.id, title=title, noted_on=noted_on or date.today(),
                  person_id=person.id if person else None, body="", active=active)
    db.session.add(note)
    db.session.flush()
    return note


def run_cli(app, *args):
    return app.test_cli_runner().invoke(cli, list(args))


def note_count(db):
    return db.session.scalar(select(func.count()).select_from(Note()))


def test_hook_configure_app(app, client, org):
    assert app.config["SAMPLE_NOTES_TITLE"] == "样例笔记"
    app.config["SAMPLE_NOTES_TITLE"] = "我的笔记本"
    login(client, org.users["bureau"])
    assert "<h1>我的笔记本</h1>" in client.get("/sample-notes/").get_data(as_text=True)


def test_hook_register_blueprints(app, client, db, org):
    assert "sample_notes" in app.blueprints
    login(client, org.users["dept_admin_a"])
    page = client.get("/sample-notes/")
    assert page.status_code == 200 and "新建笔记" in page.get_data(as_text=True)
    response = client.post("/sample-notes/new", data={"department_id": org.town_a.id, "title": "甲镇会议",
                                                      "noted_on": "2024-03-01", "body": ""})
    assert response.status_code == 302
    note = db.session.scalar(select(Note()))
    assert (note.title, note.department_id) == ("甲镇会议", org.town_a.id)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "sample_notes_note")) is not None
    # Another township's department is not a choice: refused, nothing saved.
    client.post("/sample-notes/new", data={"department_id": org.town_b.id, "title": "越权", "noted_on": "2024-03-01"})
    assert note_count(db) == 1


def test_hook_register_models(app, db, client, org):
    models = flatten(get_pm().hook.register_models())
    assert Note() in models
    assert all(m.__tablename__.startswith("sample_notes_") for m in models)
    assert "sample_notes_note" in inspect(db.engine).get_table_names()
    login(client, org.users["admin"])
    row = client.get("/admin/plugins").get_data(as_text=True).split('data-plugin="sample_notes"')[1].split("</tr>")[0]
    assert "sample_notes_note" in row   # the admin page lists each plugin's tables


def test_hook_register_permissions(app):
    permissions = flatten(get_pm().hook.register_permissions())
    assert [(p.plugin, p.name) for p in permissions] == [("sample_notes", "sample_notes.write")]
    assert "staff" not in permissions[0].roles and "dept_admin" in permissions[0].roles


def test_permissions_are_listed_on_the_plugins_page(client, org):
    login(client, org.users["admin"])
    html = client.get("/admin/plugins").get_data(as_text=True)
    row = html.split("<code>sample_notes.write</code>")[1].split("</tr>")[0]
    assert "单位管理员" in row and "工作人员" not in row


def test_hook_nav_items(client, org):
    login(client, org.users["staff_a"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'<a href="/sample-notes/"[^>]*>样例笔记</a>', html)


def test_hook_public_links(client):
    html = client.get("/login").get_data(as_text=True)
    links = re.search(r'<nav class="public-links"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert '<a href="/sample-notes/about">样例笔记说明</a>' in links
    assert client.get("/sample-notes/about").status_code == 200          # open without a login


def test_login_page_without_public_links(app, client):
    get_pm().unregister(name="sample_notes")        # the only enabled plugin: no public pages
    assert 'class="public-links"' not in client.get("/login").get_data(as_text=True)


def test_hook_dashboard_widgets(client, db, org):
    add_note(db, org.town_a)
    add_note(db, org.town_b)
    add_note(db, org.town_b, active=False)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    html = client.get("/dashboard").get_data(as_text=True)
    card = re.search(r'data-plugin="sample_notes">(.*?)</section>', html, re.S).group(1)
    assert "<dt>有效笔记</dt><dd>1</dd>" in card      # only 甲镇's note is in scope
    login(client, org.users["bureau"])
    card = re.search(r'data-plugin="sample_notes">(.*?)</section>', client.get("/dashboard").get_data(as_text=True), re.S).group(1)
    assert "<dt>有效笔记</dt><dd>2</dd>" in card


def test_hook_person_sections(client, db, org):
    add_note(db, org.town_a, "张三的谈话记录", person=org.staff_person)
    db.session.commit()
    login(client, org.users["bureau"])
    html = client.get(f"/people/{org.staff_person.id}").get_data(as_text=True)
    section = re.search(r'class="panel person-section" data-plugin="sample_notes">(.*?)</section>', html, re.S).group(1)
    assert "张三的谈话记录" in section
    # Its links are the viewer's actions on the person: shown as buttons, not for a viewer offered none.
    assert re.search(r'class="toolbar no-print person-actions"><a class="button secondary" href="/sample-notes/?">查看样例笔记</a>',
                     section), section
    login(client, org.users["staff_a"])
    html = client.get(f"/people/{org.staff_person.id}").get_data(as_text=True)
    assert "张三的谈话记录" in html and "查看样例笔记" not in html


def test_hook_department_sections(client, db, org):
    add_note(db, org.town_a, "甲镇的记录")
    add_note(db, org.town_b, "乙镇的记录")
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    html = client.get(f"/departments/{org.town_a.id}").get_data(as_text=True)
    section = re.search(r'class="panel department-section" data-plugin="sample_notes">(.*?)</section>', html, re.S).group(1)
    assert "甲镇的记录" in section and "乙镇的记录" not in section and "查看样例笔记" in section
    login(client, org.users["inspector"])                       # read-only: no actions offered
    html = client.get(f"/departments/{org.town_a.id}").get_data(as_text=True)
    assert "甲镇的记录" in html and "查看样例笔记" not in html


def test_hook_report_fragments(app, db, org):
    from intranet.reports.assemble import assemble
    year = date.today().year - 1
    add_note(db, org.town_a, noted_on=date(year, 3, 1))
    add_note(db, org.town_a, noted_on=date(year, 5, 1))
    add_note(db, org.town_b, noted_on=date(year, 6, 1))
    add_note(db, org.market, noted_on=date(year, 6, 1))        # outside the county
    add_note(db, org.town_b, noted_on=date(year - 1, 6, 1))    # another year
    db.session.commit()
    report = assemble(year, org.county)
    [fragment] = [f for f in report["fragments"] if f["plugin"] == "sample_notes"]
    assert fragment["figures"] == {"notes": 3, "departments": 2}
    assert fragment["tables"][0]["rows"] == [["甲镇", 2], ["乙镇", 1]]
    assert fragment["paragraphs"][0] == f"{year}年，永安县共记录样例笔记3条，涉及2个单位。"


def _workbook(rows):
    return io.BytesIO(xlsx_bytes(["单位编码", "标题", "日期", "内容"], rows))


def test_hook_import_kinds(app, db, org):
    from intranet.imports import all_import_kinds, run_import
    kind = all_import_kinds()["sample_notes"]
    bad = run_import(kind, _workbook([["X01-A", "好", "2024-01-02", ""], ["NOPE", "坏", "2024-01-03", ""]]))
    assert not bad.ok and bad.errors[0].row == 3 and "NOPE" in bad.errors[0].message
    assert note_count(db) == 0                                   # all or nothing
    good = run_import(kind, _workbook([["X01-A", "好", "2024-01-02", "内容"], ["X01-B", "也好", "2024/1/3", None]]))
    assert good.ok and good.created == 2
    assert sorted(db.session.scalars(select(Note().title))) == ["也好", "好"]


def test_hook_export_kinds(app, db, org, tmp_path):
    add_note(db, org.town_a, "导出的笔记", noted_on=date(2024, 2, 3))
    add_note(db, org.market, "别处的笔记", noted_on=date(2024, 2, 4))
    db.session.commit()
    out = tmp_path / "notes.xlsx"
    result = run_cli(app, "export", "sample_notes", "--output", str(out), "--department", "X01")
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("单位", "日期", "标题")
    assert [r[2] for r in rows[1:]] == ["导出的笔记"]


def test_hook_register_cli_commands(app, db, org):
    add_note(db, org.town_a)
    add_note(db, org.town_a, active=False)
    db.session.commit()
    result = run_cli(app, "sample-notes", "count")
    assert result.exit_code == 0, result.output
    assert "有效笔记 1 条" in result.output


def test_hook_scheduled_jobs(app, db, org):
    old = add_note(db, org.town_a, "旧笔记", noted_on=date(2001, 1, 1))
    new = add_note(db, org.town_a, "新笔记")
    db.session.commit()
    listing = run_cli(app, "jobs", "list")
    assert "sample_notes.archive\tdaily" in listing.output
    result = run_cli(app, "jobs", "run", "sample_notes.archive")
    assert result.exit_code == 0 and "归档 1 条" in result.output
    db.session.expire_all()
    assert (db.session.get(Note(), old.id).active, db.session.get(Note(), new.id).active) == (False, True)


def test_hook_demo_data(app, db):
    from intranet.demo import load_demo
    load_demo("small", echo=lambda *a: None)
    from intranet.models import Department
    Note_ = Note()
    with_notes = db.session.scalar(select(func.count(func.distinct(Note_.department_id))))
    assert note_count(db) > 0 and with_notes > 5
    # every note belongs to a demo department
    assert db.session.scalar(select(func.count()).select_from(Note_).outerjoin(Department, Department.id == Note_.department_id)
                             .where(Department.id.is_(None))) == 0


def test_hook_migration_dirs(app):
    from intranet import create_app
    from intranet.extensions import db
    from intranet.schema import current_revisions, upgrade, version_locations
    from intranet.testing import BASE_CONFIG, ThrowAwayDatabase
    [versions] = [Path(p) for p in flatten(get_pm().hook.migration_dirs())]
    assert (versions / "sample_notes_0001.py").exists()
    assert str(versions) in version_locations()
    store = ThrowAwayDatabase("sqlite")
    fresh = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url, **plugin_config("sample_notes")})
    with fresh.app_context():
        assert upgrade() == ["core", "sample_notes"]
        assert "sample_notes_0001" in current_revisions()
        assert "sample_notes_note" in inspect(db.engine).get_table_names()
        db.engine.dispose()
    store.drop()


def test_hook_audit_labels(app, client, db, org):
    from intranet import audit
    note = add_note(db, org.town_a, "待归档")
    audit.record("archive", "sample_notes_note", note.id, summary="归档样例笔记", department_id=org.town_a.id)
    audit.record("update", "person", org.staff_person.id, summary="修改人员", department_id=org.town_a.id)
    db.session.commit()
    labels = flatten(get_pm().hook.audit_labels())
    assert [x.plugin for x in labels] == ["sample_notes"]
    login(client, org.users["admin"])
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "样例笔记 " in html and ">归档<" in html            # the row, in the plugin's words
    assert '<option value="sample_notes_note">样例笔记</option>' in html   # and the filter
    assert f'href="/people/{org.staff_person.id}"' in html     # a row links to its record
    assert "sample_notes_note" not in html.replace('value="sample_notes_note"', "")


def test_hook_access_samples(app, db, client, org):
    from intranet.access_walk import scope_problems, sibling_samples
    samples = sibling_samples(org.town_b)
    [mine] = [s for s in samples if s.plugin == "sample_notes"]
    note = db.session.get(Note(), mine.ids["note_id"])
    assert note.department_id == org.town_b.id
    # 甲镇's users are refused on the note's route, and nothing changes
    assert scope_problems(app, db, org.users["dept_admin_a"], samples, org.town_b) == []
    # without the plugin's sample the walk names the route it could not fill
    others = [s for s in samples if s.plugin != "sample_notes"]
    problems = scope_problems(app, db, org.users["dept_admin_a"], others, org.town_b)
    assert problems == ["sample_notes.archive (/sample-notes/<int:note_id>/archive): no access sample gives note_id "
                        "(the access_samples hook of sample_notes)"]
    # the sample is a real record of 乙镇: its own administrator archives it
    login(client, org.users["dept_admin_b"])
    assert client.post(f"/sample-notes/{note.id}/archive").status_code == 302
    db.session.expire_all()
    assert db.session.get(Note(), note.id).active is False


def _hookspec_names() -> list[str]:
    return sorted(name for name in dir(hookspecs)
                  if getattr(getattr(hookspecs, name), "intranet_spec", None) is not None)


def test_every_hook_has_a_test_and_a_guide_section():
    names = _hookspec_names()
    assert len(names) >= 10 and "report_fragments" in names
    test_sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("*.py"))
    guide = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing_tests = [n for n in names if not re.search(rf"^def test_hook_{n}\(", test_sources, re.M)]
    missing_docs = [n for n in names if not re.search(rf"^## {n}\b", guide, re.M)]
    assert not missing_tests, f"hooks without a test_hook_<name> test: {missing_tests}"
    assert not missing_docs, f"hooks without a '## <name>' section in docs/plugins.md: {missing_docs}"
