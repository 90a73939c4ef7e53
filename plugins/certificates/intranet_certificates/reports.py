"""The report fragment "certificates": figures for a year and a department subtree (set-based SQL)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, String, case, distinct, func, literal, or_, select, union_all

from intranet.extensions import db
from intranet.hookspecs import ReportChart, ReportFragment, ReportTable
from intranet.reports.formatting import pct, scope_word
from intranet.models import Department, Person
from intranet.models.org import FORMAL_STAFFING

from .dates import year_bounds
from .models import Certificate, CertificateEvent, CleanupCampaign, CleanupCandidate
from .states import VALID

CITY_LEVEL = ("市", "市直部门")
COUNTY_LEVEL = ("县(区)", "县(区)直部门", "乡镇(街道)")
EVENT_FIGURES = {
    "renewed": ("renew", "renew_issue"),
    "suspended": ("suspend",),
    "recalled": ("recall",),
    "cancelled_by_notice": ("cancel_by_notice", "declare_lost"),
    "expired": ("expire",),
}


def valid_cards_at(day: date):
    """A subquery of the ids of cards valid on ``day``.

    For today that is the current status; for a past day it is the target state of each card's
    last event on or before that day (events carry every change, imports included).
    """
    if day >= date.today():
        return select(Certificate.id).where(Certificate.status == VALID, Certificate.valid_until >= day)
    ranked = (select(CertificateEvent.certificate_id, CertificateEvent.to_status,
                     func.row_number().over(partition_by=CertificateEvent.certificate_id,
                                            order_by=(CertificateEvent.happened_on.desc(),
                                                      CertificateEvent.id.desc())).label("n"))
              .where(CertificateEvent.happened_on <= day).subquery())
    return (select(Certificate.id).join(ranked, ranked.c.certificate_id == Certificate.id)
            .where(ranked.c.n == 1, ranked.c.to_status == VALID, Certificate.valid_until >= day,
                   Certificate.issued_on <= day))


def report_day(year: int) -> date:
    """The day holders are counted on: the year's last day, or today for the current year."""
    return min(year_bounds(year)[1], date.today())


def holder_ids(year: int, department: Department, level: str | None = None):
    """Ids of the people of the subtree holding a valid card on the report day (有效持证人员);
    with ``level``, on a card of a unit of that kind (``holders_active_by_level``)."""
    stmt = (select(Certificate.person_id).where(Certificate.id.in_(valid_cards_at(report_day(year))),
                                               department.subtree_filter(Certificate.department_id)))
    if level is not None:
        stmt = stmt.where(Certificate.department_id.in_(select(Department.id).where(Department.kind == level)))
    return stmt


def issued_ids(year: int, department: Department):
    """Cards first issued in the year (renewals are counted as 换证)."""
    start, end = year_bounds(year)
    return select(Certificate.id).where(Certificate.issued_on.between(start, end), Certificate.origin != "renewal",
                                        department.subtree_filter(Certificate.department_id))


def event_card_ids(key: str, year: int, department: Department):
    """Cards of the subtree with an event of ``EVENT_FIGURES[key]`` in the year."""
    start, end = year_bounds(year)
    return (select(CertificateEvent.certificate_id).join(Certificate, Certificate.id == CertificateEvent.certificate_id)
            .where(CertificateEvent.action.in_(EVENT_FIGURES[key]), CertificateEvent.happened_on.between(start, end),
                   department.subtree_filter(Certificate.department_id)))


def event_counts_by_department(year: int, department: Department) -> dict[str, dict[int, int]]:
    """{EVENT_FIGURES key: {department id: cards of that department with such an event in the year}},
    in one query."""
    start, end = year_bounds(year)
    figure = case(*[(CertificateEvent.action.in_(actions), key) for key, actions in EVENT_FIGURES.items()])
    out: dict[str, dict[int, int]] = {key: {} for key in EVENT_FIGURES}
    for key, did, n in db.session.execute(
            select(figure, Certificate.department_id, func.count(distinct(CertificateEvent.certificate_id)))
            .join(Certificate, Certificate.id == CertificateEvent.certificate_id)
            .where(CertificateEvent.action.in_([a for actions in EVENT_FIGURES.values() for a in actions]),
                   CertificateEvent.happened_on.between(start, end), department.subtree_filter(Certificate.department_id))
            .group_by(figure, Certificate.department_id)):
        out[key][did] = int(n)
    return out


def event_counts(year: int, department: Department, by_department: dict | None = None) -> dict[str, int]:
    """{EVENT_FIGURES key: cards of the subtree with such an event in the year} (each card has one
    department, so the sums of the per-department counts)."""
    by_department = by_department if by_department is not None else event_counts_by_department(year, department)
    return {key: sum(by_department[key].values()) for key in EVENT_FIGURES}


def issued_by_department(year: int, department: Department) -> dict[int, int]:
    start, end = year_bounds(year)
    return dict(db.session.execute(
        select(Certificate.department_id, func.count())
        .where(Certificate.issued_on.between(start, end), Certificate.origin != "renewal",
               department.subtree_filter(Certificate.department_id))
        .group_by(Certificate.department_id)).all())


def candidate_ids(year: int, department: Department):
    start, end = year_bounds(year)
    return (select(CleanupCandidate.id).join(CleanupCampaign, CleanupCampaign.id == CleanupCandidate.campaign_id)
            .where(CleanupCampaign.opened_on.between(start, end),
                   department.subtree_filter(CleanupCandidate.department_id)))


def certified_staff_ids(year: int, department: Department):
    """正式在编在岗执法人员 of the subtree who hold a valid card of the subtree."""
    return enforcement_staff(department).where(Person.id.in_(holder_ids(year, department)))


def _count(ids) -> int:
    return int(db.session.scalar(select(func.count(distinct(ids.subquery().c[0])))) or 0)


def holder_tallies(year: int, department: Department) -> dict:
    """The holder and staff counts of the figures and of the department table, in one statement over
    the cards valid on the report day (computed once):

    - ``holders``: distinct holders on cards of the subtree; ``by_level``: per unit kind;
      ``by_department``: per department of the card;
    - ``issued_by_department``, ``events_by_department``: the cards issued, and those with each kind
      of event, in the year per department (the figures are their sums);
    - ``staff``, ``certified``: enforcement staff of the subtree and those holding a card of the
      subtree; ``staff_by_department``: {department id: (staff, holding any valid card)}.
    """
    card_in_tree = department.subtree_filter(Certificate.department_id)
    valid = (select(Certificate.person_id, Certificate.department_id,
                    case((card_in_tree, 1), else_=0).label("sub"))
             .where(Certificate.id.in_(valid_cards_at(report_day(year)))).cte("valid_cards"))
    held = select(valid.c.person_id, valid.c.department_id).where(valid.c.sub == 1).distinct().cte("held")
    per_person = (select(valid.c.person_id, func.max(valid.c.sub).label("sub"))
                  .group_by(valid.c.person_id).cte("per_person"))
    staff = enforcement_staff(department).add_columns(Person.department_id).cte("staff")
    none_text, none_int = literal(None, String), literal(None, Integer)
    zero = literal(0, Integer)
    parts = [
        select(literal("all"), none_text, none_int, func.count(distinct(held.c.person_id)), zero, zero),
        select(literal("kind"), Department.kind, none_int, func.count(distinct(held.c.person_id)), zero, zero)
        .join(held, held.c.department_id == Department.id).group_by(Department.kind),
        select(literal("dept"), none_text, held.c.department_id, func.count(distinct(held.c.person_id)), zero, zero)
        .group_by(held.c.department_id),
        select(literal("staff"), none_text, staff.c.department_id, func.count(), func.count(per_person.c.person_id),
               func.coalesce(func.sum(per_person.c.sub), 0))
        .select_from(staff).outerjoin(per_person, per_person.c.person_id == staff.c.id)
        .group_by(staff.c.department_id),
    ]
    out = {"holders": 0, "by_level": {}, "by_department": {}, "staff": 0, "certified": 0, "staff_by_department": {}}
    for tag, kind, did, n, anywhere, in_tree in db.session.execute(union_all(*parts)):
        n = int(n or 0)
        if tag == "all":
            out["holders"] = n
        elif tag == "kind":
            out["by_level"][kind] = n
        elif tag == "dept":
            out["by_department"][did] = n
        else:
            out["staff"] += n
            out["certified"] += int(in_tree or 0)
            out["staff_by_department"][did] = (n, int(anywhere or 0))
    out["by_level"] = dict(sorted(out["by_level"].items()))
    out["issued_by_department"] = issued_by_department(year, department)
    out["events_by_department"] = event_counts_by_department(year, department)
    return out


def compute(year: int, department: Department, tallies: dict | None = None) -> dict:
    start, end = year_bounds(year)
    tallies = tallies or holder_tallies(year, department)
    figures: dict = {}
    figures["holders_active"] = tallies["holders"]
    figures["holders_active_by_level"] = dict(tallies["by_level"])
    figures["issued"] = sum(tallies["issued_by_department"].values())
    figures.update(event_counts(year, department, tallies["events_by_department"]))
    figures["cleanup_candidates"] = _count(candidate_ids(year, department))
    figures["enforcement_staff"] = tallies["staff"]
    certified = tallies["certified"]
    figures["enforcement_staff_certified"] = certified
    figures["certified_rate"] = round(certified / figures["enforcement_staff"], 4) if figures["enforcement_staff"] else 0
    figures["_certified"] = certified
    figures["_campaigns"] = db.session.scalar(
        select(func.count()).select_from(CleanupCampaign).join(Department, Department.id == CleanupCampaign.department_id)
        .where(CleanupCampaign.opened_on.between(start, end),
               or_(department.subtree_filter(CleanupCampaign.department_id),
                   func.substr(department.path, 1, func.length(Department.path)) == Department.path)))
    return figures


def enforcement_staff(department: Department):
    """正式在编、在执法岗位、在岗 people of the subtree."""
    return select(Person.id).where(Person.staffing.in_(FORMAL_STAFFING), Person.enforcement_post.is_(True),
                                   Person.status == "在岗", department.subtree_filter(Person.department_id))


def paragraphs(year: int, department: Department, f: dict) -> list[str]:
    scope = scope_word(department)
    by_level = f["holders_active_by_level"]
    city = sum(by_level.get(k, 0) for k in CITY_LEVEL)
    county = sum(by_level.get(k, 0) for k in COUNTY_LEVEL)
    other = f["holders_active"] - city - county if f["holders_active"] > city + county else 0
    parts = []
    if city:
        parts.append(f"市直行政执法部门持证人数{city}人")
    if county:
        parts.append(f"县(区)部门及乡(镇、街道)持证人数{county}人")
    if other:
        parts.append(f"其他单位持证人数{other}人")
    holders = "、".join(parts) if parts else "暂无持有效行政执法证人员"
    out = []
    if not f["holders_active"] and not f["_campaigns"] and not f["recalled"] and not f["cancelled_by_notice"]:
        first = None      # nothing held, nothing cleaned up: no sentence about nothing
    elif f["_campaigns"]:
        first = f"对{scope}持有的行政执法证进行了全面清理，{holders}"
    else:
        as_of = "截至目前" if year >= date.today().year else f"截至{year}年底"
        first = f"{as_of}，{scope}持有效行政执法证{f['holders_active']}人，其中{holders}" if parts \
            else f"{as_of}，{scope}{holders}"
    if first is not None:
        if f["recalled"]:
            first += f"，收回违规持证、持证不在岗等人员证件共{f['recalled']}个"
        if f["cancelled_by_notice"]:
            first += f"，对无法收回的{f['cancelled_by_notice']}个证件予以公告注销"
        out.append(first + "。")
    second = [f"新核发行政执法证{f['issued']}个"] if f["issued"] else []
    for key, word in (("renewed", "换发"), ("suspended", "暂扣"), ("expired", "到期失效")):
        if f[key]:
            second.append(f"{word}{f[key]}个")
    if f["cleanup_candidates"]:
        second.append(f"清理中排查出需核查的证件{f['cleanup_candidates']}个")
    if second:
        out.append("全年" + "，".join(second) + "。")
    if f["enforcement_staff"]:
        held = (f"其中持有效证件{f['_certified']}人，持证率{pct(f['certified_rate'])}" if f["_certified"]
                else "均未持有效行政执法证")
        out.append(f"{scope}正式在编在岗的行政执法人员{f['enforcement_staff']}人，{held}。")
    return out


def department_table(year: int, department: Department, tallies: dict | None = None) -> ReportTable:
    """Figures by department of the subtree (from the tallies shared with the figures)."""
    tallies = tallies or holder_tallies(year, department)
    columns = {}
    columns["holders"] = tallies["by_department"]
    columns["issued"] = tallies["issued_by_department"]
    columns["recalled"] = tallies["events_by_department"]["recalled"]
    columns["notice"] = tallies["events_by_department"]["cancelled_by_notice"]
    columns["staff"] = {d: n for d, (n, _c) in tallies["staff_by_department"].items()}
    certified = {d: c for d, (_n, c) in tallies["staff_by_department"].items()}
    ids = set().union(*columns.values())
    rows = []
    if ids:
        for dept in db.session.scalars(select(Department).where(Department.id.in_(ids)).order_by(Department.path)):
            staff_count = columns["staff"].get(dept.id, 0)
            holders = columns["holders"].get(dept.id, 0)
            rate = f"{certified.get(dept.id, 0) / staff_count * 100:.1f}%" if staff_count else "—"
            rows.append([dept.name, dept.kind, holders, columns["issued"].get(dept.id, 0),
                         columns["recalled"].get(dept.id, 0), columns["notice"].get(dept.id, 0), staff_count, rate])
    return ReportTable("各单位行政执法证情况", ["单位", "单位类型", "有效持证人数", "新发证", "收回", "公告注销",
                                          "在岗正式执法人员", "持证率"], rows)


LABELS = {
    "holders_active": "有效持证人数（全部持有效证件人员）", "holders_active_by_level": "有效持证人数（按单位层级）",
    "issued": "新核发证件数", "renewed": "换发证件数", "suspended": "暂扣证件数", "recalled": "收回证件数",
    "cancelled_by_notice": "公告注销证件数", "expired": "到期失效证件数", "cleanup_candidates": "清理核查证件数",
    "enforcement_staff": "在岗正式执法人员数", "enforcement_staff_certified": "在岗正式执法人员中持证人数",
    "certified_rate": "持证率（在岗正式执法人员中持证人数 ÷ 在岗正式执法人员数）",
}
UNITS = {"holders_active": "人", "enforcement_staff": "人", "enforcement_staff_certified": "人"}
DRILLABLE = ("holders_active", "issued", *EVENT_FIGURES, "cleanup_candidates", "enforcement_staff",
             "enforcement_staff_certified")


def drilldown(year: int, department: Department, levels=()) -> dict[str, str]:
    from intranet.reports.drilldown import figure_url
    links = {key: figure_url("certificates.report_records", key, year, department) for key in DRILLABLE}
    for level in levels:
        links[f"holders_active_by_level.{level}"] = figure_url("certificates.report_records", "holders_active", year,
                                                               department, level=level)
    return links


def charts(figures: dict, table: ReportTable) -> list[ReportChart]:
    out = []
    by_level = figures["holders_active_by_level"]
    if any(by_level.values()):
        out.append(ReportChart("有效持证人数（按单位层级）", list(by_level), list(by_level.values()), by="kind",
                               unit="人"))
    rows = [r for r in table.rows if r[2]]
    if len(rows) > 1:
        rows.sort(key=lambda r: -r[2])
        out.append(ReportChart("各单位有效持证人数", [r[0] for r in rows], [r[2] for r in rows], by="department",
                               unit="人"))
    return out


def fragment(year: int, department: Department, figures_only: bool = False) -> ReportFragment:
    """The section; with ``figures_only`` its figures and labels alone (no sentences, table, charts)."""
    tallies = holder_tallies(year, department)
    f = compute(year, department, tallies)
    figures = {k: v for k, v in f.items() if not k.startswith("_")}
    out = ReportFragment("certificates", "certificates", "行政执法证管理", order=30, figures=figures,
                         labels=LABELS, units=UNITS)
    if not figures_only:
        out.paragraphs = paragraphs(year, department, f)
        table = department_table(year, department, tallies)
        out.tables = [table]
        out.drilldown = drilldown(year, department, figures["holders_active_by_level"])
        out.charts = charts(figures, table)
    return out
