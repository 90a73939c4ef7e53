"""Demo data: enforcement subjects, cards in a realistic mix of states with their events,
a few open applications, and the cases a cleanup campaign should find. Bulk inserts only."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, insert, select, update

from intranet.demo import RowBuffer
from intranet.demo_core import reset_sequence
from intranet.extensions import db
from intranet.imports.framework import bulk_insert
from intranet.models.org import FORMAL_STAFFING

from . import settings
from .dates import add_months, add_years
from .lifecycle import default_notice_text
from .models import (CancellationNotice, Certificate, CertificateApplication, CertificateEvent, EnforcementSubject,
                     NumberCounter)

TARGET = {"small": 400, "city": 7300, "province": 60000}
# The share of holders whose previous card (another number) is on record too: province only, so a
# province has about 120,000 cards while the smaller scales stay as they were.
HISTORY = {"province": 0.97}
KEYWORDS = [("市场", "市场监管"), ("城管", "城市管理"), ("城市管理", "城市管理"), ("环境", "生态环境"),
            ("交通", "交通运输"), ("卫生", "卫生健康"), ("自然资源", "自然资源"), ("农业", "农业农村"),
            ("文化", "文化旅游"), ("旅游", "文化旅游"), ("应急", "应急管理"), ("水利", "水利"), ("林业", "林业"),
            ("教育", "教育"), ("税务", "税务"), ("公安", "公安")]
SUBJECT_KINDS = ("市直部门", "县(区)直部门", "乡镇(街道)", "县(区)")


def _category(dept: dict, rng, categories: list[str]) -> str:
    for word, category in KEYWORDS:
        if word in dept["name"] and category in categories:
            return category
    if dept["kind"] == "乡镇(街道)" and "综合行政执法" in categories:
        return "综合行政执法"
    return rng.choice(categories[:10])


def _day(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def load(scale: str, context) -> None:
    rng, today = context.rng, date.today()
    depts = {d["id"]: d for d in context.departments}
    categories = list(settings.get("categories"))
    region_code, pattern = settings.get("region_code"), settings.get("number_pattern")
    authority = settings.issuing_authority()
    cycle = int(settings.get("review_cycle_years"))
    top = next((d for d in context.departments if d.get("parent_id") is None), None)

    # 执法主体: most departments that carry out enforcement are confirmed.
    subjects = []
    for d in context.departments:
        if d["kind"] in SUBJECT_KINDS and rng.random() < 0.92:
            kind = rng.choices(["法定行政机关", "法律法规授权组织", "受委托组织"], [85, 10, 5])[0]
            subjects.append({"department_id": d["id"], "kind": kind, "active": True,
                             "confirmed_on": _day(rng, date(context.year - 3, 1, 1), date(context.year - 1, 12, 31)),
                             "basis": f"{top['name'] if top else ''}行政执法主体资格确认公告（第{rng.randint(1, 3)}批）"})
    bulk_insert(EnforcementSubject, subjects)
    confirmed = {s["department_id"] for s in subjects}

    eligible = [p for p in context.people if p["department_id"] in confirmed and p.get("enforcement_post")
                and p.get("staffing") in FORMAL_STAFFING and p.get("status", "在岗") == "在岗"]
    # The cases a cleanup finds: holders who left, non-formal staff who got a card somehow.
    irregular = [p for p in context.people if p["department_id"] in confirmed and p.get("enforcement_post")
                 and (p.get("status", "在岗") != "在岗" or p.get("staffing") not in FORMAL_STAFFING)]
    rng.shuffle(eligible)
    rng.shuffle(irregular)
    target = TARGET.get(scale, 400)
    waiting = min(max(5, target // 400), len(eligible) // 20)
    pending_people, eligible = eligible[:waiting], eligible[waiting:]
    holders = eligible[: int(target * 0.96)] + irregular[: max(3, int(target * 0.04))]

    # Cards and their events go out a chunk at a time (a province makes about 120,000 cards);
    # ids are given here, so events point at their card without a read back.
    certs = RowBuffer(Certificate)
    event_rows = RowBuffer(CertificateEvent, first=certs)
    next_id = [(db.session.scalar(select(func.max(Certificate.id))) or 0) + 1]
    serials, noticed = {}, []

    def add_card(person, issued_on, **extra):
        serials[issued_on.year] = serials.get(issued_on.year, 0) + 1
        dept = depts[person["department_id"]]
        card = {
            "id": next_id[0],
            "number": settings.render_number(pattern, region_code, issued_on.year, serials[issued_on.year]),
            "person_id": person["id"], "department_id": dept["id"], "issuing_authority": authority,
            "category": _category(dept, rng, categories),
            "region": dept["name"] if dept["kind"] in ("县(区)", "乡镇(街道)") else (top["name"] if top else dept["name"]),
            "issued_on": issued_on, "valid_until": add_years(issued_on, 5),
            "version": "全国统一样式" if issued_on.year >= 2022 else "2013版", "photo_file": "", "photo_name": "",
            "status": "有效", "status_changed_on": issued_on, "last_review_on": None, "next_review_due": None,
            "last_enforcement_on": None, "lost": False, "origin": "demo", "notice_id": None, "_events": [],
        }
        next_id[0] += 1
        card.update(extra)
        return card

    def keep(card):
        if card.pop("_notice", False):
            noticed.append((card["id"], card["number"]))
        events = card.pop("_events")
        certs.add(card)
        # no "details" key: the column stays SQL NULL (None would be stored as JSON null)
        event_rows.extend({"certificate_id": card["id"], "action": a, "from_status": f, "to_status": t,
                           "happened_on": on, "reason": reason, "actor_id": None, "actor_name": "系统"}
                          for a, f, t, on, reason in events)

    notice_day = today - timedelta(days=30)
    # Issue dates in order, so serials grow with the date as real numbering does.
    dated = sorted(((_day(rng, add_years(today, -7), today - timedelta(days=3)), p, None) for p in holders),
                   key=lambda item: item[0])
    history = HISTORY.get(scale, 0)
    if history:
        # The card each holder had before (another number): replaced by today's card, or run out.
        dated = sorted(dated + [(add_years(issued_on, -5) - timedelta(days=rng.randint(0, 240)), p, issued_on)
                                for issued_on, p, _ in dated if rng.random() < history], key=lambda item: item[0])
    for issued_on, person, replaced_on in dated:
        card = add_card(person, issued_on)
        events = card["_events"]
        events.append(("issue", None, "有效", issued_on, "申领审核通过，核发证件"))
        if replaced_on is not None:
            if card["valid_until"] < replaced_on:
                card["status"], card["status_changed_on"] = "过期", card["valid_until"] + timedelta(days=1)
                events.append(("expire", "有效", "过期", card["status_changed_on"], "超过有效期，系统自动标记为过期"))
            else:
                card["status"], card["status_changed_on"] = "注销", replaced_on
                events.append(("cancel", "有效", "注销", replaced_on, "换发新证件，原证件注销"))
            keep(card)
            continue
        roll = rng.random()
        if card["valid_until"] < today:
            if roll < 0.55:  # renewed in time, number kept
                old = card["valid_until"]
                card["valid_until"] = add_years(old, 5)
                events.append(("renew", "有效", "有效", old - timedelta(days=rng.randint(5, 60)), "证件到期换证"))
            else:
                card["status"], card["status_changed_on"] = "过期", card["valid_until"] + timedelta(days=1)
                events.append(("expire", "有效", "过期", card["status_changed_on"], "超过有效期，系统自动标记为过期"))
        if card["status"] == "有效":
            last = add_years(issued_on, max(1, (today - issued_on).days // 365))
            last = last if last <= today else add_years(last, -1)
            if last > issued_on:
                card["last_review_on"] = last
                events.append(("review", "有效", "有效", last, "年审合格"))
            base = card["last_review_on"] or issued_on
            card["next_review_due"] = add_years(base, cycle)
            if rng.random() < 0.03:  # some reviews slipped
                card["next_review_due"] = today - timedelta(days=rng.randint(5, 120))
            roll = rng.random()
            when = _day(rng, max(issued_on, today - timedelta(days=400)), today)
            if roll < 0.015:
                card["status"], card["status_changed_on"] = "暂扣", when
                events.append(("suspend", "有效", "暂扣", when, "涉嫌违规执法，调查期间暂扣证件"))
            elif roll < 0.045:
                card["status"], card["status_changed_on"] = "收回", when
                events.append(("recall", "有效", "收回", when, "调离执法岗位，收回证件"))
            elif roll < 0.07:
                card["status"], card["status_changed_on"] = "注销", when
                events.append(("cancel", "有效", "注销", when, rng.choice(["退休", "辞职", "调离行政执法岗位"])))
            elif roll < 0.075:  # could not be recovered: declared void in the demo notice
                card["status"], card["status_changed_on"], card["_notice"] = "注销", notice_day, True
                events.append(("cancel_by_notice", "有效", "注销", notice_day, "人员失联，证件无法收回"))
        if card["status"] == "有效":
            if rng.random() < 0.06:
                card["last_enforcement_on"] = _day(rng, add_months(today, -30), add_months(today, -13))
            elif rng.random() < 0.7:
                card["last_enforcement_on"] = _day(rng, add_months(today, -11), today)
        keep(card)
    # A few people hold two valid cards (a cleanup group of its own).
    for person in holders[: max(2, len(holders) // 300)]:
        issued_on = _day(rng, add_years(today, -2), today - timedelta(days=3))
        card = add_card(person, issued_on, next_review_due=add_years(issued_on, cycle))
        card["category"] = rng.choice(categories[:10])
        card["_events"].append(("issue", None, "有效", issued_on, "申领审核通过，核发证件"))
        keep(card)
    event_rows.flush()
    reset_sequence(Certificate.__tablename__)
    if noticed:
        notice_id = db.session.execute(insert(CancellationNotice).returning(CancellationNotice.id), {
            "title": "关于注销行政执法证件的公告", "published_on": notice_day, "reason": "人员失联，证件无法收回",
            "numbers": [number for _id, number in noticed],
            "text": default_notice_text(len(noticed), "人员失联，证件无法收回")}).scalar_one()
        db.session.execute(update(Certificate), [{"id": cid, "notice_id": notice_id} for cid, _n in noticed])
    counters = [{"key": settings.counter_key(pattern, region_code, year), "last_value": n}
                for year, n in serials.items()]
    if counters:
        bulk_insert(NumberCounter, counters)

    region = settings.default_region()
    applications = [{"person_id": p["id"], "department_id": p["department_id"],
                     "category": _category(depts[p["department_id"]], rng, categories),
                     "region": region, "status": "待审核", "photo_file": "", "photo_name": "",
                     "checks": [], "note": "已参加行政执法资格考试", "applicant_name": "单位管理员",
                     "review_note": "", "manual_note": "", "withdrawn_by_name": ""}
                    for p in pending_people]
    if applications:
        # The answers the enabled plugins really give (this hook runs after theirs: trylast).
        from intranet.models import Person
        from .applications import core_checks, plugin_checks
        for a, p in zip(applications, pending_people):
            person = db.session.get(Person, p["id"])
            a["checks"] = core_checks(person) + plugin_checks(person)
        bulk_insert(CertificateApplication, applications)
    context.echo(f"行政执法证：{len(subjects)} 个执法主体，{certs.count} 个证件，{event_rows.count} 条证件记录，"
                 f"{len(applications)} 份待审核申领")
