"""Demo data: a pool of law firms, lawyers and 公职律师; standing contracts for most governments,
townships and departments (some ending soon, some expired, one filed late, a panel for the top
government); this year's service log with ratings; last year's assessments. Bulk inserts only."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from intranet.extensions import db
from intranet.imports.framework import bulk_insert

from .models import (ACTIVE, COMPETENT, DISMISS, EXCELLENT, EXPIRED, FIRM, INCOMPETENT, LAWYER, PANEL, PUBLIC, RENEW,
                     SERVICE_ACTIVE, SERVICE_KINDS, STANDING, Adviser, Assessment, Contract, ContractAdviser, Service)
from .service import add_years
from .settings import dimensions
from .validators import firm_code_for

FIRM_WORDS = ["商通", "正衡", "明德", "中信", "天平", "浩天", "汇典", "德恒", "金诚", "君立", "华策", "道和", "博睿", "致远"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["志强", "丽华", "建国", "晓明", "海燕", "文博", "思远", "雅婷", "振华", "洪亮", "树彬", "慧敏"]
SPECIALITIES = ["合同审查", "行政诉讼", "行政复议", "政府采购", "征地拆迁", "劳动人事", "知识产权", "金融证券", "规范性文件审查",
                "重大行政决策", "信访化解"]
MATTERS = {"政府立法": "参与起草{}管理办法", "规范性文件审查": "审查《关于加强{}管理的通知》",
           "重大行政决策合法性审查": "{}项目重大行政决策合法性审查", "合同审查": "审查{}项目合同",
           "出具律师函": "就{}事项出具律师函", "法治讲座": "为干部职工讲授{}法律知识", "行政复议/诉讼/仲裁代理": "代理{}行政诉讼案件",
           "信访与突发事件": "参与{}信访事项化解", "课题研究": "开展{}法律问题课题研究", "其他": "提供{}法律咨询"}
SUBJECTS = ["城区道路改造", "政府采购", "国有资产出租", "土地征收", "招商引资", "环境整治", "安置房建设", "农村集体资产",
            "公共服务外包", "学校建设"]
KIND_WEIGHTS = [1, 3, 3, 8, 1, 2, 2, 1, 1, 1]


def load(scale: str, ctx) -> None:
    rng, year, today = ctx.rng, ctx.year, date.today()
    units = [d for d in ctx.departments]
    n_firms = max(4, len(units) // 12)
    firm_rows = []
    for n in range(n_firms):
        word = FIRM_WORDS[n % len(FIRM_WORDS)] + (str(n // len(FIRM_WORDS) + 1) if n >= len(FIRM_WORDS) else "")
        firm_rows.append({"kind": FIRM, "name": f"福建{word}律师事务所", "code": firm_code_for(10000 + n),
                          "firm_id": None, "specialities": "、".join(rng.sample(SPECIALITIES, 3)),
                          "phone": f"0598-{rng.randint(6000000, 8999999)}", "person_id": None, "department_id": None,
                          "active": True})
    bulk_insert(Adviser, firm_rows)
    firms = list(db.session.execute(select(Adviser.id, Adviser.name).where(Adviser.kind == FIRM).order_by(Adviser.id)))
    lawyer_rows = []
    for n, (firm_id, _name) in enumerate(firms):
        for k in range(2):
            serial = n * 2 + k
            lawyer_rows.append({"kind": LAWYER, "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                                "code": f"13504{2010 + serial % 14}{1:01d}{serial:07d}"[:17].ljust(17, "0"),
                                "firm_id": firm_id, "specialities": "、".join(rng.sample(SPECIALITIES, 2)),
                                "phone": f"139{rng.randint(10000000, 99999999)}", "person_id": None,
                                "department_id": None, "active": True})
    qualified = [p for p in ctx.people if p["legal_qualification"] and p["status"] == "在岗"][:max(2, n_firms // 3)]
    public_rows = [{"kind": PUBLIC, "name": p["name"], "code": None, "firm_id": None, "specialities": "行政复议、规范性文件审查",
                    "phone": "", "person_id": p["id"], "department_id": p["department_id"], "active": True}
                   for p in qualified]
    bulk_insert(Adviser, lawyer_rows + public_rows)
    pool = [r[0] for r in db.session.execute(select(Adviser.id).where(Adviser.kind.in_([FIRM, LAWYER])).order_by(Adviser.id))]
    firm_ids = [f[0] for f in firms]

    contracts, links, kinds = [], {}, {}
    share = {"市": 1.0, "县(区)": 1.0, "乡镇(街道)": 0.9}
    for i, d in enumerate(units):
        if rng.random() > share.get(d["kind"], 0.6):
            continue
        start = date(year - rng.choice([0, 1, 1]), rng.randint(1, 12), 1)
        years = rng.choice([1, 2, 2, 3])
        if d["kind"] in ("市", "县(区)"):
            start, years = date(year - 1, rng.randint(1, 12), 1), rng.choice([2, 3])
        end = add_years(start, years) - timedelta(days=1)
        if rng.random() < 0.12:           # some end within the next 90 days
            end = today + timedelta(days=rng.randint(5, 85))
            start = add_years(end + timedelta(days=1), -2)
        signed = start - timedelta(days=rng.randint(0, 10))
        filed = signed + timedelta(days=rng.randint(1, 12) if rng.random() > 0.08 else rng.randint(20, 40))
        number = f"FLGW-{d['code']}-{start.year}"
        status = ACTIVE if end >= today else EXPIRED
        if start > today:
            start, signed, filed = today - timedelta(days=30), today - timedelta(days=32), today - timedelta(days=25)
        panel = d["kind"] == "市" and i == 0
        contracts.append({"number": number, "department_id": d["id"], "form": PANEL if panel else STANDING,
                          "start_on": start, "end_on": end, "fee": Decimal(rng.choice([20000, 30000, 50000, 80000]) if d["kind"] in ("市", "县(区)") else rng.choice([6000, 8000, 10000, 12000])),
                          "scope": "为重大行政决策、合同签订、规范性文件制定、行政复议诉讼提供法律服务",
                          "confidentiality": True, "conflict_free": True, "signed_on": signed, "filed_on": filed,
                          "status": status, "end_reason": "", "ended_on": None, "renewal_of_id": None,
                          "override_reason": "", "scan_name": "", "scan_stored": "", "scan_mimetype": "", "scan_size": 0,
                          "created_by_id": None})
        links[number] = rng.sample(pool, 3) if panel else [rng.choice(firm_ids if rng.random() < 0.7 else pool)]
        kinds[number] = d["kind"]
    bulk_insert(Contract, contracts)
    ids = dict(db.session.execute(select(Contract.number, Contract.id)).all())
    bulk_insert(ContractAdviser, [{"contract_id": ids[n], "adviser_id": a} for n, advs in links.items() for a in advs])

    services, assessments = [], []
    stamp = datetime.combine(today, datetime.min.time())
    for c in contracts:
        cid = ids[c["number"]]
        lo, hi = max(c["start_on"], date(year, 1, 1)), min(c["end_on"], today)
        idle = rng.random() < 0.15
        if hi >= lo and not idle:
            for _ in range(rng.randint(1, 10 if kinds[c["number"]] in ("市", "县(区)") else 5)):
                kind = rng.choices(SERVICE_KINDS, KIND_WEIGHTS)[0]
                rated = rng.random() < 0.7
                services.append({"contract_id": cid, "department_id": c["department_id"],
                                 "served_on": lo + timedelta(days=rng.randint(0, (hi - lo).days)), "kind": kind,
                                 "matter": MATTERS[kind].format(rng.choice(SUBJECTS)),
                                 "hours": Decimal(rng.choice([1, 2, 3, 4, 6, 8])), "outcome": "已出具书面意见",
                                 "rating": rng.choice([3, 4, 4, 5, 5]) if rated else None,
                                 "rating_comment": "", "rated_by_id": None, "rated_at": stamp if rated else None,
                                 "lecture_ref": "", "lecture_label": "", "status": SERVICE_ACTIVE, "created_by_id": None})
        if c["start_on"].year <= year - 1:
            roll = rng.random()
            grade = EXCELLENT if roll < 0.35 else (COMPETENT if roll < 0.95 else INCOMPETENT)
            total = Decimal({EXCELLENT: 92, COMPETENT: 82, INCOMPETENT: 55}[grade])
            scores = [{"name": d["name"], "max": d["max"], "client": float(d["max"] * total / 100),
                       "self": float(d["max"] * total / 100)} for d in dimensions()]
            assessments.append({"contract_id": cid, "department_id": c["department_id"], "year": year - 1,
                                "services": rng.randint(2, 12), "avg_rating": Decimal("4.20"), "scores": scores,
                                "client_total": total, "self_total": total, "total": total, "veto": False,
                                "veto_reason": "", "grade": grade, "decision": DISMISS if grade == INCOMPETENT else RENEW,
                                "note": "", "assessed_by_id": None})
    bulk_insert(Service, services)
    bulk_insert(Assessment, assessments)
    ctx.echo(f"法律顾问：{len(firm_rows) + len(lawyer_rows) + len(public_rows)} 名顾问，{len(contracts)} 份合同，"
             f"{len(services)} 条服务记录，{len(assessments)} 份年度考核")
