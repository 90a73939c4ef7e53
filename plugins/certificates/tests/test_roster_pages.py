"""The roster (登记造册) at scale: the pager's per-unit counts read the roster index alone, every page
costs the same few statements, and the pages are those of a plain OFFSET over the whole roster."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from intranet.testing import count_queries, login, make_person

ROSTER_BUDGET = 3   # the user, the per-unit counts, the page's rows


@pytest.fixture
def roster(db, certs):
    o = certs.org
    cards = [certs.card(make_person(unit, f"{unit.name}持证{i:02d}"), unit)
             for i, unit in enumerate([o.market, o.town_b, o.town_a] * 3)]
    certs.card(make_person(o.town_a, "甲镇注销"), status="注销")
    certs.card(make_person(o.town_b, "乙镇过期"), o.town_b, issued_on=date(2018, 1, 1),
               valid_until=date.today() - timedelta(days=1))
    return cards


def listed(html: str) -> list[str]:
    return re.findall(r"((?:甲镇|乙镇|永安市市场监督管理局)(?:持证\d\d|注销|过期))", html)


@pytest.mark.parametrize("url", ["/certificates/roster", "/roster"])
def test_roster_pages_are_the_whole_roster_in_tree_order(app, db, certs, roster, url):
    app.config["PER_PAGE"] = 4
    app.config["COUNT_CACHE_SECONDS"] = 0   # the count's SQL on every page (intranet.counts)
    client = app.test_client()
    login(client, certs.org.users["admin"])
    seen, sizes = [], []
    for n in (1, 2, 3):
        with app.app_context(), count_queries(db) as queries:
            html = client.get(f"{url}?page={n}").get_data(as_text=True)
        seen += listed(html)
        counts = next(s for s in queries.statements if "count(*) AS n" in s)
        inner = counts[counts.index("(SELECT"):counts.index("GROUP BY")]
        assert "JOIN" not in inner and "person" not in inner, counts   # the roster index alone
        sizes.append(len([s for s in queries.statements if "user_account" not in s]))
    units = [certs.org.town_a.name, certs.org.town_b.name, certs.org.market.name]
    assert seen == sorted((c.person.name for c in roster), key=lambda n: (units.index(n[:-4]), n))
    assert sizes[0] == sizes[1] == sizes[2] <= ROSTER_BUDGET - 1


def test_a_search_still_pages_the_matching_cards(app, db, certs, roster):
    client = app.test_client()
    login(client, certs.org.users["admin"])
    html = client.get("/certificates/roster?q=乙镇").get_data(as_text=True)
    assert listed(html) == [f"乙镇持证{i:02d}" for i in (1, 4, 7)] and "共 3 条" in html


def test_the_roster_is_scoped(app, db, certs, roster):
    client = app.test_client()
    login(client, certs.org.users["dept_admin_b"])
    html = client.get("/certificates/roster").get_data(as_text=True)
    assert listed(html) == [f"乙镇持证{i:02d}" for i in (1, 4, 7)] and "共 3 条" in html


def test_the_roster_count_reads_its_index_alone(app, db, certs, roster):
    from intranet_certificates.models import Certificate
    from intranet_certificates.views.certificates import roster_cards

    from intranet.testing import query_plan
    counted = (roster_cards().with_only_columns(Certificate.department_id, db.func.count(), maintain_column_froms=True)
               .group_by(Certificate.department_id))
    plan = query_plan(db, counted, only_index=("certificates_certificate", "ix_certificates_certificate_roster"))
    if db.engine.dialect.name == "postgresql":
        assert "Index Only Scan using ix_certificates_certificate_roster" in plan, plan
    else:
        assert "COVERING INDEX ix_certificates_certificate_roster" in plan, plan
