"""HTML, script and spreadsheet-formula payloads stored through the normal forms and imports stay
inert: pages escape them, Word and Excel files keep them as text (never a formula), PDFs show them
as text."""
from __future__ import annotations

import io
import itertools
import re
import subprocess
import zipfile
from datetime import date
from urllib.parse import urlsplit

import pytest
from docx import Document
from hostile_walk import discover, post, refused
from openpyxl import load_workbook
from payloads import FORMULA, IMG, INERT_PAYLOADS, SCRIPT

from intranet.access_walk import request, sibling_samples
from intranet.imports.framework import all_import_kinds
from intranet.testing import login, make_id, xlsx_bytes

pytestmark = pytest.mark.slow

RAW_MARKUP = (SCRIPT, IMG.lstrip('">'))       # what must never reach a page unescaped
DOWNLOAD = re.compile(r"\.(xlsx|docx|pdf)$|download=|format=|/export")
FIXED = {"date": date.today().isoformat(), "datetime-local": f"{date.today().isoformat()}T10:00", "time": "09:00",
         "number": "1", "email": "hx@example.cn", "tel": "13800000000", "password": "Hx-long-pass-2026!",
         "month": f"{date.today():%Y-%m}", "url": "https://example.cn/"}


def filled_form(form, payloads, fields=None) -> dict:
    """The form's own values and options, with a payload in every free-text field (or in
    ``fields`` only, the others keeping their own value when they have one)."""
    data = {}
    for name, field in form.fields.items():
        if field.kind == "file":
            continue
        if field.kind in FIXED:
            data[name] = field.value or FIXED[field.kind]
        elif field.kind in ("select", "checkbox", "radio"):
            options = [o for o in field.options if o not in ("", "__None")]
            if field.value or options:
                data[name] = field.value or options[0]
        elif field.kind == "hidden":
            data[name] = field.value
        elif "id_number" in name:
            data[name] = field.value or make_id()
        elif fields is None or name in fields:
            data[name] = next(payloads)
        else:
            data[name] = field.value.strip() or next(payloads)
    return data


def text_fields(form) -> list[str]:
    return [n for n, f in form.fields.items() if f.kind in ("text", "textarea", "search") and "id_number" not in n]


def store_payloads(app, db, client, samples) -> None:
    """Every form with a payload in each text field alone, then in all that took one (so an edit
    form keeps them all); the department import with payload names."""
    payloads = itertools.cycle(INERT_PAYLOADS)
    walk = discover(app, db, client, samples)
    for action, form in sorted(walk.forms.items()):
        if action.startswith("/imports/"):
            continue
        taken = set()
        for name in text_fields(form):
            response, _error = post(client, db, action, filled_form(form, payloads, {name}))
            if response is not None and not refused(client, response):
                taken.add(name)
        post(client, db, action, filled_form(form, payloads, taken))
    kinds = all_import_kinds()
    departments = kinds["departments"]
    rows = [[f"HX{i}", f"测试{p}", "C01", "市直部门"] for i, p in enumerate(INERT_PAYLOADS)]
    post(client, db, "/imports/departments", {"departments-file": (io.BytesIO(xlsx_bytes(departments.column_names, rows)), "d.xlsx")},
         multipart=True)


def downloads(client, db, walk) -> dict[str, bytes]:
    """Every file the pages link to, by URL."""
    links = set()
    for endpoint, url in walk.get_urls:
        response, error = request(client, "GET", url, db)
        if error or response.status_code != 200 or "text/html" not in response.content_type:
            continue
        links.update(h for h in re.findall(r'href="([^"]+)"', response.get_data(as_text=True))
                     if DOWNLOAD.search(h) and not h.startswith("http"))
    files = {}
    for link in sorted(links):
        response = client.get(link.replace("&amp;", "&"))
        if response.status_code == 200 and response.data[:4] in (b"PK\x03\x04", b"%PDF"):
            files[link] = response.data
    return files


def workbook_problems(name, data) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    problems = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type != "s"):
                    problems.append(f"{name} {ws.title}!{cell.coordinate}: a formula {cell.value!r:.80}")
    return problems


def workbook_text(data) -> str:
    wb = load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None)


def docx_text(data) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(data) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_payloads_stay_inert_in_pages_and_files(app, db, org):
    samples = sibling_samples(org.town_a)
    admin = org.users["admin"]
    client = app.test_client()
    login(client, admin)
    store_payloads(app, db, client, samples)
    db.session.rollback()

    problems, escaped_pages = [], 0
    for role_user in (admin, org.users["dept_admin_a"]):
        login(client, role_user)
        walk = discover(app, db, client, samples)
        for endpoint, url in walk.get_urls:
            response, error = request(client, "GET", url, db)
            if error or response.status_code >= 500:
                problems.append(f"{role_user.role} GET {url}: {error or response.status_code}")
                continue
            if "text/html" not in response.content_type:
                continue
            body = response.get_data(as_text=True)
            problems += [f"{role_user.role} GET {url} ({endpoint}): unescaped {m!r}" for m in RAW_MARKUP if m in body]
            escaped_pages += "&lt;script&gt;alert(" in body

    login(client, admin)
    walk = discover(app, db, client, samples)
    files = downloads(client, db, walk)
    report = f"/reports/?year={date.today().year}&department={org.city.id}&download="
    for fmt in ("docx", "xlsx"):
        response = client.get(report + fmt)
        assert response.status_code == 200, (fmt, response.status_code)
        files[report + fmt] = response.data
    seen = {"xlsx": 0, "docx": 0, "pdf": 0}
    texts = {}
    for link, data in files.items():
        kind = "pdf" if data.startswith(b"%PDF") else ("docx" if "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist() else "xlsx")
        seen[kind] += 1
        if kind == "xlsx":
            problems += workbook_problems(link, data)
            texts[link] = workbook_text(data)
        elif kind == "docx":
            texts[link] = docx_text(data)
        else:
            texts[link] = pdf_text(data)
    assert not problems, "\n" + "\n".join(problems)
    assert escaped_pages > 5, "the payloads were not stored through the forms"
    assert all(seen.values()), seen
    # The payloads themselves arrive as text in the files that show the records.
    for fmt in ("docx", "xlsx"):
        assert FORMULA in texts[report + fmt] or SCRIPT in texts[report + fmt], f"report {fmt} lacks the payload department"
    with_payload = sorted(urlsplit(link).path for link, text in texts.items() if shows_a_payload(text))
    assert any(p.endswith(".pdf") for p in with_payload), with_payload


def shows_a_payload(text: str) -> bool:
    """A payload's first characters appear as text (a PDF table cell may wrap it across lines)."""
    flat = re.sub(r"\s", "", text)
    return any(re.sub(r"\s", "", p)[:9] in flat for p in INERT_PAYLOADS)
