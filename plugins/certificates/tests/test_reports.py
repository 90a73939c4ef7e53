"""The report fragment: figures against records made here, and the sentences."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.plugins import flatten, get_pm
from intranet.testing import make_person

from intranet_certificates import cleanup, lifecycle
from intranet_certificates.models import CleanupCandidate
from intranet_certificates.reports import compute, fragment, valid_cards_at


@pytest.fixture
def records(db, certs):
    """9 市直 holders, 13 县/乡镇 holders, and this year's other events."""
    o = certs.org
    year = date.today().year
    jan = date(year, 1, 10)
    for i in range(5):
        certs.card(make_person(o.market), o.market, issued_on=jan)
    for i in range(4):
        certs.card(make_person(o.bureau_dept), o.bureau_dept, issued_on=date(year - 2, 5, 1))
    for i in range(6):
        certs.card(make_person(o.town_a), o.town_a, issued_on=jan)
    for i in range(3):
        certs.card(make_person(o.town_b), o.town_b, issued_on=date(year - 3, 5, 1))
    for i in range(2):
        certs.card(make_person(o.county), o.county, issued_on=jan)
    # A holder with two valid cards is one holder.
    twice = make_person(o.town_a)
    certs.card(twice, o.town_a, issued_on=jan)
    certs.card(twice, o.town_a, issued_on=jan, category="市场监管")
    # Not holders any more (this year): recalled ×3, cancelled by notice ×2, suspended ×1, expired ×1.
    bureau = certs.bureau
    for _ in range(3):
        lifecycle.recall(certs.card(make_person(o.town_a), issued_on=jan), reason="不在岗", actor=bureau)
    lifecycle.publish_notice([certs.card(make_person(o.town_b), o.town_b, issued_on=jan) for _ in range(2)],
                             reason="无法收回", actor=bureau)
    lifecycle.suspend(certs.card(make_person(o.market), o.market, issued_on=jan), reason="调查", actor=bureau)
    old = certs.card(make_person(o.town_a), issued_on=date(year - 6, 1, 1), valid_until=date.today() - timedelta(days=1))
    lifecycle.expire_due()
    # Renewed this year (an old card): counts as renewed, still a holder in 乙镇.
    renewed = certs.card(make_person(o.town_b), o.town_b, issued_on=date(year - 5, 3, 1),
                         valid_until=date.today() + timedelta(days=20))
    lifecycle.renew(renewed, valid_until=date.today() + timedelta(days=1800), reason="到期换证", actor=bureau)
    # Enforcement staff without a card, and staff who do not count.
    make_person(o.town_a)
    make_person(o.town_a, staffing="合同工")
    make_person(o.town_a, status="退休")
    make_person(o.town_a, enforcement_post=False)
    db.session.commit()
    return {"old": old}


def test_figures(db, certs, records):
    year = date.today().year
    f = compute(year, certs.org.city)
    assert f["holders_active"] == 22   # 9 市直 + 13 县/乡镇 (the renewed holder in 乙镇 included)
    assert f["holders_active_by_level"] == {"市直部门": 9, "乡镇(街道)": 11, "县(区)": 2}
    assert f["issued"] == 5 + 6 + 2 + 2 + 3 + 2 + 1   # cards dated this year
    assert f["renewed"] == 1
    assert f["recalled"] == 3 and f["cancelled_by_notice"] == 2 and f["suspended"] == 1 and f["expired"] == 1
    assert f["cleanup_candidates"] == 0
    # Enforcement staff: every formal, on-duty, on-post person (card or not; 张三 of ``org`` too).
    assert f["enforcement_staff"] == 22 + 3 + 2 + 1 + 1 + 1 + 1
    assert f["certified_rate"] == round(22 / 31, 4)
    county = compute(year, certs.org.county)
    assert county["holders_active"] == 13 and "市直部门" not in county["holders_active_by_level"]


def test_fragment_sentences_and_table(db, certs, records):
    year = date.today().year
    frag = fragment(year, certs.org.city)
    assert frag.plugin == "certificates" and frag.key == "certificates"
    assert set(frag.figures) == {"holders_active", "holders_active_by_level", "issued", "renewed", "suspended",
                                 "recalled", "cancelled_by_notice", "expired", "cleanup_candidates",
                                 "enforcement_staff", "enforcement_staff_certified", "certified_rate"}
    first = frag.paragraphs[0]
    assert first.startswith("截至目前，全市持有效行政执法证22人")   # the current year: as of now
    assert fragment(year - 1, certs.org.city).paragraphs[0].startswith(f"截至{year - 1}年底，")
    assert "市直行政执法部门持证人数9人、县(区)部门及乡(镇、街道)持证人数13人" in first
    assert "收回违规持证、持证不在岗等人员证件共3个" in first
    assert "对无法收回的2个证件予以公告注销" in first
    assert "正式在编在岗的行政执法人员31人" in frag.paragraphs[-1] and "持证率71.0%" in frag.paragraphs[-1]
    table = frag.tables[0]
    rows = {r[0]: r for r in table.rows}
    assert rows["永安市市场监督管理局"][2] == 5 and rows["甲镇"][2] == 7 and rows["甲镇"][4] == 3
    assert rows["乙镇"][5] == 2


def test_cleanup_sentence(db, certs, records):
    year = date.today().year
    campaign = cleanup.open_campaign("全面清理", certs.org.city, actor=certs.bureau)
    db.session.commit()
    frag = fragment(year, certs.org.city)
    assert frag.paragraphs[0].startswith(
        "对全市持有的行政执法证进行了全面清理，市直行政执法部门持证人数9人、县(区)部门及乡(镇、街道)持证人数13人，"
        "收回违规持证、持证不在岗等人员证件共3个")
    assert frag.figures["cleanup_candidates"] > 0
    assert campaign.id


def test_nine_and_thirteen(db, certs):
    """The seed report's sentence, with 9 市直 and 13 县/乡镇 holders and a campaign that recalled some."""
    o = certs.org
    for i in range(9):
        certs.card(make_person(o.market), o.market)
    for i in range(13):
        certs.card(make_person(o.town_a if i % 2 else o.town_b), o.town_a if i % 2 else o.town_b)
    retired = [certs.card(make_person(o.town_a, status="退休")) for _ in range(2)]
    campaign = cleanup.open_campaign("清理", o.city, actor=certs.bureau)
    for card in retired:
        cleanup.decide(campaign, card.number, "收回", "已退休", actor=certs.bureau)
    cleanup.confirm(campaign, list(db.session.scalars(select(CleanupCandidate).where(
        CleanupCandidate.decision.is_not(None)))), actor=certs.bureau)
    db.session.commit()
    frag = fragment(date.today().year, o.city)
    assert frag.figures["holders_active"] == 22
    assert frag.figures["recalled"] == 2 and frag.figures["cleanup_candidates"] == 2
    assert frag.paragraphs[0] == ("对全市持有的行政执法证进行了全面清理，市直行政执法部门持证人数9人、"
                                  "县(区)部门及乡(镇、街道)持证人数13人，收回违规持证、持证不在岗等人员证件共2个。")


def test_past_year_uses_the_history(db, certs):
    """A card recalled this year was still valid at the end of last year."""
    year = date.today().year
    card = certs.card(issued_on=date(year - 2, 3, 1))
    lifecycle.recall(card, reason="调离", actor=certs.bureau)
    db.session.commit()
    assert compute(year - 1, certs.org.city)["holders_active"] == 1
    assert compute(year, certs.org.city)["holders_active"] == 0
    assert compute(year - 3, certs.org.city)["holders_active"] == 0
    assert list(db.session.scalars(valid_cards_at(date(year - 1, 12, 31)))) == [card.id]


def test_hook_returns_the_fragment(app, db, certs):
    frags = flatten(get_pm().hook.report_fragments(year=date.today().year, department=certs.org.city,
                                                        figures_only=False))
    assert any(f.key == "certificates" for f in frags)


def test_every_figure_drills_down_to_as_many_records(app, db, client, certs, records):
    """Each figure's link lists exactly the records counted (a past year and this one, city and county)."""
    from intranet.reports.drilldown import listed_total
    from intranet.testing import login
    campaign = cleanup.open_campaign("全面清理", certs.org.city, actor=certs.bureau)
    db.session.commit()
    assert campaign.id
    app.config["PER_PAGE"] = 5            # totals count every page, not the first
    login(client, certs.org.users["bureau"])
    year = date.today().year
    checked = 0
    for dept in (certs.org.city, certs.org.county):
        for y in (year, year - 1):
            frag = fragment(y, dept)
            assert set(frag.drilldown) >= {"holders_active", "issued", "recalled", "enforcement_staff"}
            for key, url in frag.drilldown.items():
                response = client.get(url)
                assert response.status_code == 200, url
                if "." in key:            # a row of a dict figure: holders_active_by_level.<unit kind>
                    figure, level = key.split(".", 1)
                    expected = frag.figures[figure][level]
                else:
                    expected = frag.figures[key]
                assert listed_total(response.get_data(as_text=True)) == expected, (key, dept.name, y)
                checked += expected > 0
            assert {f"holders_active_by_level.{k}" for k in frag.figures["holders_active_by_level"]} <= set(frag.drilldown)
    assert checked >= 8      # non-zero figures were compared, not only zeros


def test_drilldown_refuses_bad_input_and_other_scopes(app, db, client, certs, records):
    from intranet.testing import login
    year = date.today().year
    login(client, certs.org.users["dept_admin_a"])
    url = fragment(year, certs.org.county).drilldown["holders_active"]
    assert client.get(url).status_code == 403                       # 永安县 is above 甲镇's admin
    assert client.get(fragment(year, certs.org.town_a).drilldown["holders_active"]).status_code == 200
    assert client.get(f"/certificates/report/holders_active?year=abc&department={certs.org.town_a.id}").status_code == 400
    assert client.get(f"/certificates/report/holders_active?year={year}&department=999999").status_code == 404
    assert client.get(f"/certificates/report/nonsense?year={year}&department={certs.org.town_a.id}").status_code == 404
