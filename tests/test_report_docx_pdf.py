"""The Word file as LibreOffice lays it out: 22 body lines on page 1, page numbers as numbers, and a
PNG of page 1 (one conversion for the whole module: LibreOffice takes a few seconds to start)."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_samples import sample_report  # noqa: E402

from intranet.reports import docx_layout as layout  # noqa: E402

pytestmark = pytest.mark.slow
PT_PER_MM = 72 / 25.4
TOP = layout.MARGINS_MM["top"] * PT_PER_MM
BOTTOM = (layout.PAGE_HEIGHT_MM - layout.MARGINS_MM["bottom"]) * PT_PER_MM
PITCH = layout.LINE_PITCH / 20


def tools_or_skip():
    missing = [t for t in ("soffice", "pdftotext", "pdftoppm") if not shutil.which(t)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {missing} (.ci/run)")
        pytest.skip(f"needs {missing} (Debian: libreoffice-writer-nogui, poppler-utils)")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    tools_or_skip()
    from intranet import create_app
    from intranet.extensions import db
    from intranet.reports.docx import render_docx
    from intranet.testing import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        db.create_all()
        content = render_docx(sample_report(paragraphs=12, rows=40))
    out = tmp_path_factory.mktemp("gongwen")
    (out / "report.docx").write_bytes(content)
    profile = out / "profile"   # its own profile: parallel runs do not share one
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), str(out / "report.docx")], check=True, capture_output=True, timeout=180)
    return out / "report.pdf"


def page_text(pdf, page):
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


def page_lines(pdf, page):
    """(xMin, yMin, text) of each text line on ``page``."""
    html = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout
    out = []
    for m in re.finditer(r'<line xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</line>', html, re.S):
        words = re.findall(r">([^<]+)</word>", m.group(3))
        out.append((float(m.group(1)), float(m.group(2)), "".join(words)))
    return out


def test_page_one_has_22_lines(pdf):
    lines = [line for line in page_lines(pdf, 1) if line[1] < BOTTOM]
    rows = sorted({int((y - TOP) // PITCH) for _, y, _ in lines})
    # title (2 lines), one empty line, then 19 lines of text: 22 grid lines, the last one used
    assert rows[-1] == layout.LINES - 1, rows
    assert rows == [0, 1] + list(range(3, layout.LINES)), rows
    body = [y for _, y, _ in lines if (y - TOP) // PITCH >= 3]
    gaps = {round(b - a, 1) for a, b in zip(body, body[1:])}
    assert gaps <= {round(PITCH, 1), round(PITCH, 1) - 0.1, round(PITCH, 1) + 0.1}, gaps


def test_lines_hold_28_characters(pdf):
    text = page_text(pdf, 2)
    full = [line.replace(" ", "") for line in text.splitlines() if line.strip() and "—" not in line]
    assert max(len(line) for line in full) == layout.CHARS


def test_page_numbers_render_as_numbers_odd_right_even_left(pdf):
    assert re.search(r"—\s*1\s*—", page_text(pdf, 1))
    assert re.search(r"—\s*2\s*—", page_text(pdf, 2))
    [(x1, _, _)] = [line for line in page_lines(pdf, 1) if line[1] > BOTTOM]
    [(x2, _, _)] = [line for line in page_lines(pdf, 2) if line[1] > BOTTOM]
    middle = layout.PAGE_WIDTH_MM * PT_PER_MM / 2
    assert x1 > middle > x2


def test_page_one_renders_to_png(pdf):
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(pdf), str(pdf.with_suffix(""))],
                   check=True, capture_output=True)
    [png] = list(pdf.parent.glob("report*.png"))
    from PIL import Image
    with Image.open(png) as image:
        width, height = image.size
        assert abs(width / height - 210 / 297) < 0.01   # A4 portrait
        # ink inside the 版心, none in the left margin
        grey = image.convert("L")
        margin = grey.crop((0, 0, int(width * 20 / 210), height))
        assert margin.getextrema()[0] > 200
        assert grey.crop((0, 0, width, height)).getextrema()[0] < 100
