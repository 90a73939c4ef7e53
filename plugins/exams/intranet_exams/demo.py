"""Demo data: a question bank, last year's and this year's exams, registrations and results.

At city scale (about 20,000 people) this makes about 30,000 results; everything goes in with
bulk inserts.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from intranet.demo import RowBuffer
from intranet.extensions import db
from intranet.imports.framework import bulk_insert
from intranet.models import User

from . import questions_seed
from .models import BlueprintRule, Exam, ExamResult, Exemption, PaperBlueprint, Question, Registration

BANK_SIZE = {"small": 200, "city": 500, "province": 500}


def load(scale: str, ctx) -> None:
    rng, year = ctx.rng, ctx.year
    user_ids = list(ctx.users.values())
    bureau_user = ctx.users.get("sfj") or (user_ids[0] if user_ids else None)
    _questions(scale, ctx, bureau_user)
    organiser = _organiser(ctx)
    root = next((d for d in ctx.departments if d["parent_id"] is None), None)
    in_post = [p for p in ctx.people if p["status"] == "在岗"]
    enforcement = [p for p in in_post if p["enforcement_post"] and p["staffing"] in ("行政编制", "事业编制")]
    exams = _exams(year, organiser, root)
    stamp = datetime(year, 1, 1, 9, 0)
    # a province makes about 320,000 of each: inserted a chunk at a time as they are made
    regs, results, exemptions = RowBuffer(Registration), RowBuffer(ExamResult), RowBuffer(Exemption)

    def enter(exam, people, *, sat_rate, pass_rate, mean, spread, prereg=False, exempt_lq=False,
              resit_pass=0.0, record=True):
        for p in people:
            regs.add({"exam_id": exam.id, "person_id": p["id"], "department_id": p["department_id"],
                         "status": "已报名", "preregistered_at": stamp if prereg else None, "registered_at": stamp,
                         "registered_by_id": bureau_user, "self_registered": False})
            if exempt_lq and p["legal_qualification"]:
                exemptions.add({"exam_id": exam.id, "person_id": p["id"], "department_id": p["department_id"],
                                   "reason": "法律职业资格", "note": "", "status": "已批准",
                                   "requested_by_id": bureau_user, "requested_at": stamp,
                                   "decided_by_id": bureau_user, "decided_at": stamp, "decision_note": "同意"})
                continue
            if not record:
                continue
            if rng.random() > sat_rate:
                results.add(_result(exam, p, 1, "缺考", None, bureau_user))
                continue
            passed = rng.random() < pass_rate
            score = _score(rng, exam, passed, mean, spread)
            results.add(_result(exam, p, 1, "参考", score, bureau_user))
            if not passed and resit_pass:
                again = rng.random() < resit_pass
                results.add(_result(exam, p, 2, "参考", _score(rng, exam, again, mean, spread), bureau_user))

    enter(exams["pf_last"], in_post, sat_rate=0.997, pass_rate=0.98, mean=85, spread=8)
    enter(exams["zg_last"], enforcement, sat_rate=0.97, pass_rate=0.86, mean=78, spread=10, prereg=True,
          exempt_lq=True, resit_pass=0.7)
    enter(exams["gg_this"], enforcement, sat_rate=0.99, pass_rate=0.95, mean=82, spread=9)
    leaders = rng.sample(in_post, min(len(in_post), max(5, len(in_post) // 60)))
    enter(exams["ld_last"], leaders, sat_rate=1.0, pass_rate=0.97, mean=86, spread=6)
    # this year's online 宪法法律考试: open now; some registered, the demo logins among them
    online_people = rng.sample(in_post, min(len(in_post), max(5, len(in_post) // 20)))
    demo_people = set(db.session.scalars(select(User.person_id).where(
        User.id.in_(user_ids), User.person_id.is_not(None)))) if user_ids else set()
    chosen = {p["id"] for p in online_people}
    online_people += [p for p in in_post if p["id"] in demo_people and p["id"] not in chosen]
    enter(exams["xf_this"], online_people, sat_rate=1, pass_rate=1, mean=0, spread=0, record=False)
    for rows in (regs, results, exemptions):
        rows.flush()
    ctx.echo(f"考试：{len(exams)} 场考试，{regs.count} 人次报名，{results.count} 条成绩")


def _questions(scale, ctx, user_id) -> None:
    rows = questions_seed.questions(BANK_SIZE.get(scale, 200), ctx.rng)
    for row in rows:
        row.update(version=1, retired=False, created_by_id=user_id)
    bulk_insert(Question, rows)
    db.session.execute(update(Question).where(Question.origin_id.is_(None)).values(origin_id=Question.id))


def _organiser(ctx):
    for d in ctx.departments:
        if "司法局" in d["name"] and d["parent_id"] is not None and d["kind"] == "市直部门":
            return d["id"]
    return ctx.departments[0]["id"] if ctx.departments else None


def _exams(year, organiser, root) -> dict[str, Exam]:
    last = year - 1
    spec = {
        "pf_last": dict(code=f"PF{last}", name=f"{last}年度普法考试", kind="普法考试", exam_date=date(last, 11, 20),
                        audience="subtree", audience_department_id=root["id"] if root else None),
        "zg_last": dict(code=f"ZG{last}", name=f"{last}年度行政执法资格考试", kind="行政执法资格考试",
                        exam_date=date(last, 6, 15), audience="enforcement"),
        "ld_last": dict(code=f"LD{last}", name=f"{last}年度领导干部任职前法律知识考试", kind="领导干部任职前法律知识考试",
                        exam_date=date(last, 9, 10), audience="list"),
        "gg_this": dict(code=f"GG{year}", name=f"{year}年度行政执法人员公共法律知识考试", kind="公共法律知识考试",
                        exam_date=date(year, 4, 18), audience="enforcement"),
        "xf_this": dict(code=f"XF{year}", name=f"{year}年度宪法法律考试（网上）", kind="宪法法律考试",
                        opens_at=datetime(year, 1, 1, 0, 0), closes_at=datetime(year, 12, 31, 23, 59),
                        online=True, self_registration=True, audience="subtree",
                        audience_department_id=root["id"] if root else None),
    }
    exams = {}
    for key, values in spec.items():
        day = values.get("exam_date") or values["opens_at"].date()
        exam = Exam(year=day.year, organiser_id=organiser, full_mark=100, pass_mark=60, max_attempts=2,
                    part="", note="", active=True, **{"online": False, "self_registration": False, **values})
        db.session.add(exam)
        exams[key] = exam
    db.session.flush()
    blueprint = PaperBlueprint(exam_id=exams["xf_this"].id, time_limit_minutes=60)
    db.session.add(blueprint)
    db.session.flush()
    for qtype, count, points in (("单选", 20, 2), ("多选", 10, 3), ("判断", 30, 1)):
        db.session.add(BlueprintRule(blueprint_id=blueprint.id, qtype=qtype, law="", count=count, points=points))
    return exams


def _score(rng, exam, passed: bool, mean: float, spread: float) -> float:
    if passed:
        return float(min(exam.full_mark, max(exam.pass_mark, round(rng.gauss(mean, spread)))))
    return float(max(20, min(exam.pass_mark - 1, round(rng.gauss(exam.pass_mark - 10, 8)))))


def _result(exam, person, attempt, status, score, user_id) -> dict:
    return {"exam_id": exam.id, "person_id": person["id"], "department_id": person["department_id"],
            "attempt": attempt, "status": status, "score": score,
            "passed": status == "参考" and score is not None and score >= exam.pass_mark,
            "source": "导入", "paper_id": None, "recorded_by_id": user_id,
            "recorded_at": datetime.combine(exam.exam_date or date.today(), datetime.min.time())}
