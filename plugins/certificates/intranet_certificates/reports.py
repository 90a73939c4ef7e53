"""The report fragment "certificates": figures for a year and a department subtree (set-based SQL)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import distinct, func, or_, select

from intranet.extensions import db
from intranet.hookspecs import ReportFragment, ReportTable
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


def scope_word(department: Department) -> str:
    """全市 / 全县 / 全区 for a 市 or 县(区); the department's own name otherwise."""
    if department.kind in ("市", "县(区)") and department.name:
        return "全" + department.name[-1]
    return department.name


def compute(year: int, department: Department) -> dict:
    start, end = year_bounds(year)
    day = min(end, date.today())
    in_tree = department.subtree_filter(Certificate.department_id)
    valid_ids = valid_cards_at(day)
    holders = (select(Certificate.person_id, Certificate.department_id)
               .where(Certificate.id.in_(valid_ids), in_tree))
    figures: dict = {}
    figures["holders_active"] = db.session.scalar(
        select(func.count(distinct(holders.subquery().c.person_id))))
    hs = holders.subquery()
    figures["holders_active_by_level"] = {
        kind: count for kind, count in db.session.execute(
            select(Department.kind, func.count(distinct(hs.c.person_id)))
            .join(hs, hs.c.department_id == Department.id).group_by(Department.kind).order_by(Department.kind))
    }
    figures["issued"] = db.session.scalar(
        select(func.count()).select_from(Certificate)
        .where(Certificate.issued_on.between(start, end), Certificate.origin != "renewal", in_tree))
    for key, actions in EVENT_FIGURES.items():
        figures[key] = db.session.scalar(
            select(func.count(distinct(CertificateEvent.certificate_id)))
            .join(Certificate, Certificate.id == CertificateEvent.certificate_id)
            .where(CertificateEvent.action.in_(actions), CertificateEvent.happened_on.between(start, end), in_tree))
    figures["cleanup_candidates"] = db.session.scalar(
        select(func.count()).select_from(CleanupCandidate)
        .join(CleanupCampaign, CleanupCampaign.id == CleanupCandidate.campaign_id)
        .where(CleanupCampaign.opened_on.between(start, end),
               department.subtree_filter(CleanupCandidate.department_id)))
    staff = enforcement_staff(department)
    figures["enforcement_staff"] = db.session.scalar(select(func.count()).select_from(staff.subquery()))
    certified = db.session.scalar(
        select(func.count()).select_from(staff.where(Person.id.in_(select(hs.c.person_id))).subquery()))
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
    if f["_campaigns"]:
        first = f"对{scope}持有的行政执法证进行了全面清理，{holders}"
    else:
        as_of = "截至目前" if year >= date.today().year else f"截至{year}年底"
        first = f"{as_of}，{scope}持有效行政执法证{f['holders_active']}人，其中{holders}" if parts \
            else f"{as_of}，{scope}{holders}"
    if f["recalled"]:
        first += f"，收回违规持证、持证不在岗等人员证件共{f['recalled']}个"
    if f["cancelled_by_notice"]:
        first += f"，对无法收回的{f['cancelled_by_notice']}个证件予以公告注销"
    out = [first + "。"]
    second = [f"全年新核发行政执法证{f['issued']}个"]
    for key, word in (("renewed", "换发"), ("suspended", "暂扣"), ("expired", "到期失效")):
        if f[key]:
            second.append(f"{word}{f[key]}个")
    if f["cleanup_candidates"]:
        second.append(f"清理中排查出需核查的证件{f['cleanup_candidates']}个")
    out.append("，".join(second) + "。")
    if f["enforcement_staff"]:
        out.append(f"{scope}正式在编在岗的行政执法人员{f['enforcement_staff']}人，其中持证{f['_certified']}人，"
                   f"持证率{f['certified_rate'] * 100:.1f}%。")
    return out


def department_table(year: int, department: Department) -> ReportTable:
    """Figures by department of the subtree (a few GROUP BY queries, merged by department)."""
    start, end = year_bounds(year)
    day = min(end, date.today())
    in_tree = department.subtree_filter(Certificate.department_id)
    columns = {}
    columns["holders"] = dict(db.session.execute(
        select(Certificate.department_id, func.count(distinct(Certificate.person_id)))
        .where(Certificate.id.in_(valid_cards_at(day)), in_tree).group_by(Certificate.department_id)).all())
    columns["issued"] = dict(db.session.execute(
        select(Certificate.department_id, func.count())
        .where(Certificate.issued_on.between(start, end), Certificate.origin != "renewal", in_tree)
        .group_by(Certificate.department_id)).all())
    for key, actions in (("recalled", EVENT_FIGURES["recalled"]), ("notice", EVENT_FIGURES["cancelled_by_notice"])):
        columns[key] = dict(db.session.execute(
            select(Certificate.department_id, func.count(distinct(Certificate.id)))
            .join(CertificateEvent, CertificateEvent.certificate_id == Certificate.id)
            .where(CertificateEvent.action.in_(actions), CertificateEvent.happened_on.between(start, end), in_tree)
            .group_by(Certificate.department_id)).all())
    staff = enforcement_staff(department).subquery()
    columns["staff"] = dict(db.session.execute(
        select(Person.department_id, func.count()).where(Person.id.in_(select(staff.c.id)))
        .group_by(Person.department_id)).all())
    holder_ids = select(Certificate.person_id).where(Certificate.id.in_(valid_cards_at(day)))
    certified = dict(db.session.execute(
        select(Person.department_id, func.count())
        .where(Person.id.in_(select(staff.c.id)), Person.id.in_(holder_ids))
        .group_by(Person.department_id)).all())
    ids = set().union(*columns.values())
    rows = []
    if ids:
        for dept in db.session.scalars(select(Department).where(Department.id.in_(ids)).order_by(Department.path)):
            staff_count = columns["staff"].get(dept.id, 0)
            holders = columns["holders"].get(dept.id, 0)
            rate = f"{certified.get(dept.id, 0) / staff_count * 100:.1f}%" if staff_count else "—"
            rows.append([dept.name, dept.kind, holders, columns["issued"].get(dept.id, 0),
                         columns["recalled"].get(dept.id, 0), columns["notice"].get(dept.id, 0), staff_count, rate])
    return ReportTable("各单位行政执法证情况", ["单位", "单位类型", "持证人数", "新发证", "收回", "公告注销",
                                          "执法人员", "持证率"], rows)


LABELS = {
    "holders_active": "有效持证人数", "holders_active_by_level": "按单位层级持证人数", "issued": "新核发",
    "renewed": "换证", "suspended": "暂扣", "recalled": "收回", "cancelled_by_notice": "公告注销",
    "expired": "到期失效", "cleanup_candidates": "清理对象", "enforcement_staff": "在岗正式执法人员",
    "certified_rate": "持证率",
}


def fragment(year: int, department: Department) -> ReportFragment:
    f = compute(year, department)
    text = paragraphs(year, department, f)
    figures = {k: v for k, v in f.items() if not k.startswith("_")}
    return ReportFragment("certificates", "certificates", "行政执法证管理", order=30, figures=figures,
                          paragraphs=text, tables=[department_table(year, department)], labels=LABELS)
