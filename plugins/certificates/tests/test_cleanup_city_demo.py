"""A cleanup campaign on the city-scale demo data: proposes, decides, confirms and closes,
and the report's figures move by exactly what the campaign did."""
from datetime import date

import pytest
from sqlalchemy import func, select

from intranet.demo import load_demo
from intranet.models import Department

from intranet_certificates import cleanup
from intranet_certificates.models import Certificate, CleanupCandidate
from intranet_certificates.reports import compute

pytestmark = pytest.mark.slow

DECISIONS = {"expired_lost": "公告注销", "left_post": "收回", "inactive": "保留", "duplicate": "收回",
             "non_formal": "收回", "other": "保留"}


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS": ["certificates"], "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def test_city_cleanup_campaign(db, app):
    load_demo("city", echo=lambda *a: None)
    bureau = db.session.execute(select(Department).where(Department.parent_id.is_(None))).scalar_one()
    year = date.today().year
    before = compute(year, bureau)
    assert before["holders_active"] > 5000   # about 7,000 cards in a realistic mix

    campaign = cleanup.open_campaign("2026年全市行政执法证清理", bureau)
    db.session.commit()
    proposed = cleanup.figures(campaign)
    assert proposed["candidates"] > 100
    assert all(proposed["by_group"][g] > 0 for g in ("expired_lost", "left_post", "duplicate", "non_formal"))
    assert proposed["candidates"] == db.session.scalar(select(func.count()).select_from(CleanupCandidate))

    for group, decision in DECISIONS.items():
        cleanup.decide_group(campaign, group, decision, "清理核查")
    db.session.commit()
    # Only valid or suspended cards can be recalled or cancelled; the others are kept as they are.
    candidates = list(db.session.scalars(select(CleanupCandidate).where(CleanupCandidate.campaign_id == campaign.id)))
    for c in candidates:
        if c.decision != "保留" and c.certificate.status not in ("有效", "暂扣"):
            c.decision = "保留"
    db.session.commit()
    counts = cleanup.confirm(campaign, candidates)
    db.session.commit()
    result = cleanup.close(campaign)
    db.session.commit()

    assert result["unconfirmed"] == 0 and result["by_decision"]["未处理"] == 0
    assert result["by_decision"]["收回"] == counts["收回"] > 0
    after = compute(year, bureau)
    assert after["recalled"] - before["recalled"] == counts["收回"]
    assert after["cancelled_by_notice"] - before["cancelled_by_notice"] == counts["公告注销"]
    # holders_active counts people (持证人数): a holder of two cards who loses one still holds one.
    assert before["holders_active"] > after["holders_active"] == db.session.scalar(
        select(func.count(func.distinct(Certificate.person_id))).where(Certificate.status == "有效"))

