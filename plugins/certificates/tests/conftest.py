"""Fixtures for the certificates plugin's tests (the core's come from intranet.testing)."""
from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image


@pytest.fixture
def app_config(tmp_path):
    """Uploads go to a throw-away folder, never to the repository's instance/."""
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture
def certs(db, org):
    """``org`` plus confirmed enforcement subjects (甲镇, 乙镇, 市场监管局) and helpers to make cards."""
    from intranet.testing import make_person

    from intranet_certificates import lifecycle
    from intranet_certificates.models import EnforcementSubject

    for dept in (org.town_a, org.town_b, org.market):
        db.session.add(EnforcementSubject(department_id=dept.id, kind="法定行政机关", confirmed_on=date(2024, 1, 5),
                                          basis="测试确认", active=True))
    db.session.commit()

    class Certs:
        pass

    c = Certs()
    c.org = org
    c.bureau = org.users["bureau"]

    def card(person=None, department=None, *, status=None, commit=True, **kwargs):
        """Issue a card (to a new person of ``department`` unless given), optionally forcing a status."""
        department = department or org.town_a
        person = person or make_person(department)
        kwargs.setdefault("category", "综合行政执法")
        kwargs.setdefault("region", department.name)
        cert = lifecycle.issue(person, department_id=department.id, actor=c.bureau, **kwargs)
        if status:
            cert.status = status
        if commit:
            db.session.commit()
        return cert

    c.card = card
    c.person = make_person
    return c


@pytest.fixture
def no_other_answers(app):
    """No enabled plugin answers certificate_prerequisites (the exams plugin may be installed),
    so the reviewer records training and exams by hand."""
    from intranet.plugins import get_pm
    pm = get_pm(app)
    for impl in pm.hook.certificate_prerequisites.get_hookimpls():
        pm.unregister(name=impl.plugin_name)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 180, 160)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def photo():
    """An uploadable PNG: (file object, name)."""
    return lambda name="照片.png": (io.BytesIO(png_bytes()), name)
