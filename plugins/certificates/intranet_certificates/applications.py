"""申领 → 审核 → 核发: a department applies for one of its people, the 司法局 reviews and issues.

Each step locks its row first (the person's for a new application, else the application's), so
a repeated or concurrent submission is refused (intranet.locking.StateChanged) and changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, func, select

from intranet import audit
from intranet.extensions import db
from intranet.locking import lock
from intranet.models import Person
from intranet.models.org import FORMAL_STAFFING
from intranet.plugins import flatten, get_pm

from . import lifecycle
from .lifecycle import CertificateError, actor_name
from .models import Certificate, CertificateApplication, EnforcementSubject
from .states import SUSPENDED, VALID

PENDING = ("待审核", "已批准")


class ApplicationError(CertificateError):
    pass


def core_checks(person: Person) -> list[dict]:
    """The checks this plugin judges itself: formal staff, enforcement post, on duty."""
    return [
        {"plugin": "certificates", "key": "formal_staff", "label": "正式在编（行政编制或事业编制）",
         "met": person.staffing in FORMAL_STAFFING, "detail": person.staffing},
        {"plugin": "certificates", "key": "enforcement_post", "label": "在行政执法岗位（直接承担行政执法任务）",
         "met": bool(person.enforcement_post), "detail": "是" if person.enforcement_post else "否"},
        {"plugin": "certificates", "key": "on_duty", "label": "在岗", "met": person.status == "在岗",
         "detail": person.status},
    ]


def plugin_checks(person: Person) -> list[dict]:
    """Answers of ``certificate_prerequisites`` from the enabled plugins (exams, law_study)."""
    answers = flatten(get_pm().hook.certificate_prerequisites(person=person))
    out = []
    for a in answers:
        if isinstance(a, dict) and "label" in a and "met" in a:
            out.append({"plugin": str(a.get("plugin", "")), "key": str(a.get("key", "")), "label": str(a["label"]),
                        "met": bool(a["met"]), "detail": str(a.get("detail", ""))})
    return out


def confirmed_subject(department_id: int) -> EnforcementSubject | None:
    return db.session.scalar(select(EnforcementSubject).where(EnforcementSubject.department_id == department_id,
                                                              EnforcementSubject.active.is_(True)))


@cache
def refusal_facts(*, excluding_application: bool = False) -> tuple:
    """What :func:`refusals` asks the database, as three labelled scalar subqueries (one statement
    whether asked alone or beside other columns): the unit's confirmed subject, a card held, an
    application pending (with ``excluding_application``, the ``application_id`` one not counted).
    Built once, on the bound parameters of :func:`refusal_params`."""
    pending = select(func.max(CertificateApplication.id)).where(
        CertificateApplication.person_id == bindparam("person_id"), CertificateApplication.status.in_(PENDING))
    if excluding_application:
        pending = pending.where(CertificateApplication.id != bindparam("application_id"))
    return (
        select(EnforcementSubject.id).where(EnforcementSubject.department_id == bindparam("department_id"),
                                            EnforcementSubject.active.is_(True)).limit(1)
        .scalar_subquery().label("subject_id"),
        select(Certificate.number).where(Certificate.person_id == bindparam("person_id"),
                                         Certificate.status.in_((VALID, SUSPENDED))).limit(1)
        .scalar_subquery().label("held_number"),
        pending.scalar_subquery().label("pending_id"),
    )


def refusal_params(person: Person, application_id: int | None = None) -> dict:
    """The parameters of :func:`refusal_facts` for ``person``."""
    params = {"person_id": person.id, "department_id": person.department_id}
    if application_id is not None:
        params["application_id"] = application_id
    return params


@cache
def _refusal_statement(excluding_application: bool):
    return select(*refusal_facts(excluding_application=excluding_application))


def refusals(person: Person, application: CertificateApplication | None = None, facts=None) -> list[str]:
    """Why an application for ``person`` cannot be submitted (empty: it can).

    With ``application`` (at issue time), that application itself is not counted as a duplicate.
    ``facts``: a row with the columns of :func:`refusal_facts`, when the caller already read them.
    """
    if facts is None:
        application_id = getattr(application, "id", None)
        facts = db.session.execute(_refusal_statement(application_id is not None),
                                   refusal_params(person, application_id)).one()
    out = []
    if person.staffing not in FORMAL_STAFFING:
        out.append(f"{person.name}的编制类型为“{person.staffing}”，合同工、临时工、劳务派遣和公益性岗位人员不能申领行政执法证")
    if person.status != "在岗":
        out.append(f"{person.name}的人员状态为“{person.status}”，只有在岗人员才能申领行政执法证")
    if not person.enforcement_post:
        out.append(f"{person.name}不在行政执法岗位，只有直接承担行政执法任务的人员才能申领行政执法证")
    if facts.subject_id is None:
        out.append(f"{person.department.name}尚未经确认为行政执法主体，其工作人员不能申领行政执法证")
    if facts.held_number:
        out.append(f"{person.name}已持有行政执法证（编号 {facts.held_number}），请办理换证或遗失补办，不能重复申领")
    if facts.pending_id:
        out.append(f"{person.name}已有一份正在办理的申领（第 {facts.pending_id} 号），请勿重复申请")
    return out


def submit(person: Person, *, category: str, region: str, note: str = "", photo_file: str = "",
           photo_name: str = "", actor=None) -> CertificateApplication:
    from . import settings
    lock(person, check=False)  # one pending application per person: re-checked below, in the lock
    problems = refusals(person)
    if problems:
        raise ApplicationError("；".join(problems))
    if category not in settings.get("categories"):
        raise ApplicationError(f"执法类别“{category}”不在配置的类别中")
    application = CertificateApplication(
        person_id=person.id, department_id=person.department_id, category=category, region=(region or "").strip(),
        note=(note or "").strip(), photo_file=photo_file, photo_name=photo_name, status="待审核",
        checks=core_checks(person) + plugin_checks(person), applicant_id=getattr(actor, "id", None),
        applicant_name=actor_name(actor))
    db.session.add(application)
    db.session.flush()
    audit.record("certificates.apply", "certificate_application", application.id, actor=actor,
                 summary=f"申领行政执法证：{person.name}（{category}）", department_id=person.department_id,
                 after={"person": person.id, "category": category, "region": application.region,
                        "checks": application.checks})
    return application


def current_checks(application: CertificateApplication) -> list[dict]:
    """The prerequisites as they stand now (asked again of every plugin), for the 司法局's decision."""
    return core_checks(application.person) + plugin_checks(application.person)


def decided_checks(application: CertificateApplication) -> list[dict]:
    """The answers the decision rests on: frozen with it, or (still pending) the current ones."""
    if application.decision_checks is not None:
        return application.decision_checks
    if application.status == "待审核":
        return current_checks(application)
    return application.checks or []  # decided before the answers were frozen with the decision


def needs_manual_check(checks: list[dict]) -> bool:
    """No plugin judged training and exams: the reviewer records them by hand."""
    return not any(c.get("plugin") != "certificates" for c in checks or [])


def unmet(checks: list[dict]) -> list[str]:
    return [c["label"] for c in checks or [] if not c.get("met")]


def check_rows(application: CertificateApplication, now: list[dict]) -> list[dict]:
    """One row per prerequisite: its answer at application beside its answer ``now``."""
    rows: dict[tuple, dict] = {}
    for c in application.checks or []:
        rows[(c.get("plugin"), c.get("key"), c.get("label"))] = {"label": c["label"], "then": c, "now": None}
    for c in now:
        rows.setdefault((c.get("plugin"), c.get("key"), c.get("label")),
                        {"label": c["label"], "then": None, "now": None})["now"] = c
    return list(rows.values())


def _review(application: CertificateApplication, status: str, note: str, actor, checks: list | None = None) -> None:
    before = {"status": application.status}
    application.status = status
    application.review_note = note
    application.reviewer_id = getattr(actor, "id", None)
    application.reviewer_name = actor_name(actor)
    application.reviewed_at = datetime.now()
    audit.record(f"certificates.application_{'approve' if status == '已批准' else 'reject'}",
                 "certificate_application", application.id, actor=actor, reason=note,
                 summary=f"{'批准' if status == '已批准' else '退回'}{application.person.name}的行政执法证申领",
                 before=before, after={"status": status, **({"checks": checks} if checks is not None else {})},
                 department_id=application.department_id)


def approve(application: CertificateApplication, *, note: str = "", manual_check: bool = False,
            manual_note: str = "", actor=None) -> None:
    lock(application)
    if application.status != "待审核":
        raise ApplicationError(f"申领状态为“{application.status}”，不能批准")
    checks = current_checks(application)  # asked again now: a candidate may have passed since applying
    missing = unmet(checks)
    if missing:
        raise ApplicationError("前置条件未满足（按当前情况核查），不能批准：" + "、".join(missing))
    if needs_manual_check(checks):
        if not manual_check:
            raise ApplicationError("未有插件提供培训和资格考试结果，请人工核实后勾选“已核实培训及资格考试合格”")
        if not (manual_note or "").strip():
            raise ApplicationError("请填写人工核实的依据（如考试成绩、培训证明）")
        application.manual_check = True
        application.manual_note = manual_note.strip()
    application.decision_checks = checks
    _review(application, "已批准", (note or "").strip(), actor, checks=checks)


def reject(application: CertificateApplication, *, reason: str, actor=None) -> None:
    lock(application)
    if application.status not in PENDING:
        raise ApplicationError(f"申领状态为“{application.status}”，不能退回")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("请填写退回原因")
    application.decision_checks = current_checks(application)
    _review(application, "已退回", reason, actor, checks=application.decision_checks)


def withdraw(application: CertificateApplication, *, actor=None) -> None:
    """撤回: the applying department takes back an application not yet issued."""
    lock(application)
    if application.status not in PENDING:
        raise ApplicationError(f"申领状态为“{application.status}”，不能撤回（只有待审核或已批准未发证的申领可以撤回）")
    before = {"status": application.status}
    application.status = "已撤回"
    application.withdrawn_at = datetime.now()
    application.withdrawn_by_name = actor_name(actor)
    audit.record("certificates.application_withdraw", "certificate_application", application.id, actor=actor,
                 summary=f"撤回{application.person.name}的行政执法证申领", before=before,
                 after={"status": "已撤回"}, department_id=application.department_id)


def issue(application: CertificateApplication, *, issued_on: date | None = None, valid_until: date | None = None,
          number: str | None = None, version: str | None = None, authority: str | None = None,
          actor=None) -> Certificate:
    """核发: the approved application becomes a card with the next number."""
    lock(application)
    if application.status != "已批准":
        raise ApplicationError(f"申领状态为“{application.status}”，只有已批准的申领可以发证")
    person = application.person
    still = refusals(person, application)
    if still:
        raise ApplicationError("；".join(still))
    cert = lifecycle.issue(person, department_id=application.department_id, category=application.category,
                           region=application.region, issued_on=issued_on, valid_until=valid_until, number=number,
                           version=version, authority=authority, photo_file=application.photo_file,
                           photo_name=application.photo_name, actor=actor,
                           reason=f"申领第 {application.id} 号审核通过")
    application.status = "已发证"
    application.certificate = cert
    audit.record("certificates.application_issue", "certificate_application", application.id, actor=actor,
                 summary=f"为{person.name}核发行政执法证 {cert.number}", before={"status": "已批准"},
                 after={"status": "已发证", "certificate": cert.number}, department_id=application.department_id)
    return cert
