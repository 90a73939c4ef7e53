"""Word and Excel downloads from the report page and a snapshot: same roles and scope as HTML/JSON."""
import io
import sys
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
from docx import Document
from openpyxl import load_workbook

TEST_PLUGINS = str(Path(__file__).parent / "plugins")
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import plugin_config  # noqa: E402

from intranet.hookspecs import hookimpl  # noqa: E402
from intranet.models import ReportSnapshot  # noqa: E402
from intranet.plugins import get_pm  # noqa: E402
from intranet.schema import create_all  # noqa: E402
from intranet.testing import login  # noqa: E402

YEAR = date.today().year
TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@pytest.fixture
def app_config():
    return plugin_config("sample_notes")


@pytest.fixture(autouse=True)
def sample_tables(app):
    create_all(app)


def add_note(db, department):
    from sample_notes.models import Note
    db.session.add(Note(department_id=department.id, title="笔记", noted_on=date(YEAR, 1, 15), body="", active=True))
    db.session.commit()


def opened(fmt, content):
    if fmt == "docx":
        return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    return load_workbook(io.BytesIO(content)).sheetnames


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_bureau_downloads_word_and_excel(client, db, org, fmt):
    add_note(db, org.town_a)
    login(client, org.users["bureau"])
    page = client.get(f"/reports/?year={YEAR}&department={org.county.id}").get_data(as_text=True)
    assert f"download={fmt}" in page
    response = client.get(f"/reports/?year={YEAR}&department={org.county.id}&download={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TYPES[fmt]
    disposition = unquote(response.headers["Content-Disposition"])
    assert disposition.startswith("attachment;") and disposition.endswith(f"{YEAR}年永安县法治政府建设工作报告.{fmt}")
    assert "样例笔记" in str(opened(fmt, response.data))


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_downloads_keep_role_and_scope(client, db, org, fmt):
    add_note(db, org.town_b)
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/reports/?year={YEAR}&department={org.town_b.id}&download={fmt}").status_code == 403
    assert client.get(f"/reports/?year={YEAR}&department={org.town_a.id}&download={fmt}").status_code == 200
    login(client, org.users["staff_a"])
    assert client.get(f"/reports/?year={YEAR}&department={org.town_a.id}&download={fmt}").status_code == 403


def test_anonymous_gets_the_login_page(client, org):
    response = client.get(f"/reports/?year={YEAR}&department={org.county.id}&download=docx")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_snapshot_downloads_are_scoped(client, db, org, fmt):
    data = {"year": YEAR, "department": {"code": "X01-B", "name": "乙镇"}, "generated_at": f"{YEAR}-02-01T09:00:00",
            "fragments": []}
    snap = ReportSnapshot(year=YEAR, department_id=org.town_b.id, data=data, note="")
    db.session.add(snap)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    assert client.get(f"/reports/snapshots/{snap.id}?download={fmt}").status_code == 403
    login(client, org.users["bureau"])
    response = client.get(f"/reports/snapshots/{snap.id}?download={fmt}")
    assert response.status_code == 200 and response.headers["Content-Type"] == TYPES[fmt]


class Broken:
    @hookimpl
    def report_fragments(self, year, department):
        raise RuntimeError("boom")


def test_an_incomplete_report_is_not_handed_out_as_a_file(client, db, org):
    get_pm().register(Broken(), name="broken_reports")
    login(client, org.users["bureau"])
    response = client.get(f"/reports/?year={YEAR}&department={org.county.id}&download=docx")
    assert response.status_code == 409
    assert "报告不完整" in response.get_data(as_text=True)


@pytest.mark.parametrize("user, expected", [("admin", 200), ("bureau", 200), ("inspector", 200),
                                            ("dept_admin_a", 403), ("dept_admin_b", 403), ("staff_a", 403)])
def test_every_role_gets_the_answer_its_scope_gives(client, db, org, user, expected):
    login(client, org.users[user])
    for fmt in ("docx", "xlsx"):
        response = client.get(f"/reports/?year={YEAR}&department={org.county.id}&download={fmt}")
        assert response.status_code == expected, (user, fmt)
