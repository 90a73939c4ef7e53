"""Evidence uploads: type judged by content and name, size limited, generated names, scope on download."""
import io
from datetime import date
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from intranet.testing import login, make_person, make_user
from intranet_law_study import settings
from intranet_law_study.models import Evidence, HoursEntry

YEAR = date.today().year - 1
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def upload(client, session, data, name, kind="课件材料"):
    return client.post(f"/law-study/sessions/{session.id}/evidence", follow_redirects=True,
                       data={"kind": kind, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def stored(db):
    return list(db.session.scalars(select(Evidence).order_by(Evidence.id)))


def test_pdf_and_image_are_kept_under_generated_names(client, db, org, make_session, app):
    session = make_session(org.town_a)
    login(client, org.users["dept_admin_a"])
    assert "材料已上传" in upload(client, session, PDF, "../../讲座课件.pdf").get_data(as_text=True)
    assert "材料已上传" in upload(client, session, png_bytes(), "现场.PNG", "现场照片").get_data(as_text=True)
    pdf, photo = stored(db)
    assert pdf.original_name == "讲座课件.pdf" and pdf.stored_name.endswith(".pdf") and "讲座" not in pdf.stored_name
    folder = Path(app.config["UPLOAD_FOLDER"]) / "law_study"
    assert (folder / pdf.stored_name).read_bytes() == PDF
    assert photo.mimetype == "image/png" and (folder / photo.stored_name).is_file()
    response = client.get(f"/law-study/evidence/{pdf.id}")
    assert response.status_code == 200 and response.data == PDF
    login(client, org.users["dept_admin_b"])
    assert client.get(f"/law-study/evidence/{pdf.id}").status_code == 403
    assert client.post(f"/law-study/evidence/{pdf.id}/withdraw").status_code == 403
    login(client, org.users["staff_a"])
    assert client.get(f"/law-study/evidence/{pdf.id}").status_code == 403
    login(client, org.users["dept_admin_a"])
    assert client.post(f"/law-study/evidence/{pdf.id}/withdraw").status_code == 302
    assert client.get(f"/law-study/evidence/{pdf.id}").status_code == 404   # withdrawn, the file is kept
    assert (folder / pdf.stored_name).is_file()


def test_bad_uploads_are_refused(client, db, org, make_session):
    session = make_session(org.town_a)
    settings.put("evidence_max_mb", 1)
    db.session.commit()
    login(client, org.users["dept_admin_a"])
    cases = [
        (b"MZ\x90\x00binary", "程序.exe", "文件类型不支持"),
        (b"MZ\x90\x00binary", "伪装.pdf", "内容与其扩展名 .pdf 不符"),
        (b"PK\x03\x04" + b"x" * 100, "伪装.doc", "内容与其扩展名 .doc 不符"),
        (b"not an image", "照片.jpg", "佐证图片应为"),
        (b"%PDF-" + b"0" * (1024 * 1024), "太大.pdf", "不能超过 1 MB"),
        (b"", "空.pdf", "为空"),
    ]
    for data, name, message in cases:
        html = upload(client, session, data, name).get_data(as_text=True)
        assert message in html, name
    assert stored(db) == []


def test_claim_with_a_bad_file_saves_nothing(client, db, org):
    login(client, org.users["staff_a"])
    form = {"source": "外部培训", "day": f"{YEAR}-06-01", "law": "", "hours": "2", "evidence": "培训证书"}
    html = client.post("/law-study/mine", follow_redirects=True, content_type="multipart/form-data",
                       data={**form, "file": (io.BytesIO(b"MZ"), "证书.exe")}).get_data(as_text=True)
    assert "文件类型不支持" in html
    assert db.session.scalar(select(func.count()).select_from(HoursEntry)) == 0
    client.post("/law-study/mine", content_type="multipart/form-data",
                data={**form, "file": (io.BytesIO(PDF), "证书.pdf")})
    [evidence] = stored(db)
    entry = db.session.scalar(select(HoursEntry))
    assert evidence.entry_id == entry.id and evidence.kind == "培训证书"
    assert client.get(f"/law-study/evidence/{evidence.id}").data == PDF
    other = make_user("staff", org.town_a, make_person(org.town_a), username="other_staff")
    db.session.commit()
    login(client, other)
    assert client.get(f"/law-study/evidence/{evidence.id}").status_code == 403
    login(client, org.users["dept_admin_a"])
    assert "证书.pdf" in client.get("/law-study/approvals").get_data(as_text=True)
