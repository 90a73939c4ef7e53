"""Rules of the annual report's submission, approval and publishing (报送、审核、发布).

Who writes a unit's report: its 单位管理员 (or a 司法局/系统管理员 user of that very department);
a government's report (市, 县(区)) also the 司法局 users whose scope is that government (or the whole
tree, for the root). Who reviews it — "the level above": 司法局 users (or the 系统管理员) whose
scope covers the nearest government above the unit (a 县直部门 or 乡镇 → the county; a 市直部门 or
a county → the city). The root of the tree has no government above it in this system: its
report is reviewed by a 司法局 user who sees the whole tree, who records the answer of the
level above.

Approval runs up the tree: a government's report can be submitted, and approved, only when no
report addressed to that government is still waiting for its decision (units that have not
submitted at all are listed as missing; they do not hold the government back).

A submission freezes a ``ReportVersion``: the assembled report with the four texts, every
registered renderer's file, who and when, and a SHA-256 over all of it. A returned report is
edited and submitted again as a new version; nothing frozen is ever changed.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..access import BUREAU_ROLES, MANAGE_ROLES, in_scope
from ..extensions import db
from ..locking import lock, write_lock
from ..models import Department, ReportDraft, ReportReview, ReportVersion, ReportVersionFile
from ..models.report_submission import STATUSES, TEXT_SECTIONS
from .assemble import RENDERERS, ReportError, assemble, check_year, refuse_incomplete, render

GOVERNMENT_KINDS = ("市", "县(区)")
MAX_TEXT = 20000


class SubmissionError(ValueError):
    """A refused step; the message is Chinese and shown to the user. Nothing was changed."""


# --- who is who ---------------------------------------------------------------------------

def is_government(dept: Department) -> bool:
    return dept.kind in GOVERNMENT_KINDS


def path_ids(dept: Department) -> list[int]:
    return [int(i) for i in dept.path.strip("/").split("/") if i]


def reviewing_government(dept: Department, by_id: dict | None = None) -> Department | None:
    """The nearest government strictly above ``dept`` (None for the root, or no government above)."""
    ids = path_ids(dept)[:-1]
    if by_id is None:
        by_id = {d.id: d for d in dept.ancestors()}
    for ident in reversed(ids):
        above = by_id.get(ident)
        if above is not None and is_government(above):
            return above
    return None


def can_author(user, dept: Department) -> bool:
    """May ``user`` write and submit ``dept``'s report?"""
    if user.role not in MANAGE_ROLES:
        return False
    if user.department_id == dept.id:
        return True
    if user.role in BUREAU_ROLES and is_government(dept):
        return user.sees_everything and dept.parent_id is None
    return False


def can_review(user, dept: Department, by_id: dict | None = None) -> bool:
    """May ``user`` approve, return, sign off and publish ``dept``'s report (the level above)?"""
    if user.role not in BUREAU_ROLES:
        return False
    government = reviewing_government(dept, by_id)
    if government is None:
        return user.sees_everything
    return in_scope(government.id, user)


def deadline(year: int, dept: Department) -> date:
    key = "REPORT_DEADLINE_GOVERNMENT" if is_government(dept) else "REPORT_DEADLINE_DEPARTMENT"
    month, day = (int(p) for p in str(current_app.config.get(key) or "03-01").split("-"))
    return date(year + 1, month, day)


# --- reading --------------------------------------------------------------------------------

def check_department(department_id) -> Department:
    dept = db.session.get(Department, department_id) if department_id is not None else None
    if dept is None:
        raise SubmissionError(f"单位（编号 {department_id}）不存在")
    return dept


def find_draft(year: int, dept: Department) -> ReportDraft | None:
    return db.session.scalar(select(ReportDraft).where(ReportDraft.year == year,
                                                       ReportDraft.department_id == dept.id))


def versions(draft: ReportDraft | None) -> list[ReportVersion]:
    if draft is None:
        return []
    return list(db.session.scalars(select(ReportVersion).where(ReportVersion.draft_id == draft.id)
                                   .order_by(ReportVersion.number.desc())))


def reviews(version: ReportVersion) -> list[ReportReview]:
    return list(db.session.scalars(select(ReportReview).where(ReportReview.version_id == version.id)
                                   .order_by(ReportReview.at, ReportReview.id)))


def secrecy_review(version: ReportVersion) -> ReportReview | None:
    return db.session.scalar(select(ReportReview).where(ReportReview.version_id == version.id,
                                                        ReportReview.action == "secrecy"))


def version_files(version: ReportVersion) -> list[ReportVersionFile]:
    return list(db.session.scalars(select(ReportVersionFile).where(ReportVersionFile.version_id == version.id)
                                   .order_by(ReportVersionFile.format)))


def texts_of(draft: ReportDraft | None) -> dict:
    stored = (draft.texts if draft is not None else None) or {}
    return {key: str(stored.get(key) or "") for key in TEXT_SECTIONS}


def saved_texts(year: int, dept: Department) -> dict:
    """The four text sections as last saved for ``year`` and ``dept`` (empty strings when none)."""
    return texts_of(find_draft(year, dept))


def pending_below(government: Department, year: int) -> list[Department]:
    """Units whose report for ``year`` waits for ``government``'s decision."""
    stmt = (select(ReportDraft, Department).join(Department, ReportDraft.department_id == Department.id)
            .where(ReportDraft.year == year, ReportDraft.status == "submitted", Department.id != government.id,
                   Department.path.startswith(government.path, autoescape=True)))
    rows = db.session.execute(stmt).all()
    if not rows:
        return []
    ids = {i for _draft, dept in rows for i in path_ids(dept)}
    by_id = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(ids)))}
    return [dept for _draft, dept in rows if (above := reviewing_government(dept, by_id)) is not None
            and above.id == government.id]


@dataclass
class UnitStatus:
    department: Department
    draft: ReportDraft | None
    version: ReportVersion | None
    deadline: date

    @property
    def status(self) -> str:
        return self.draft.status if self.draft is not None else "draft"

    @property
    def status_label(self) -> str:
        return STATUSES[self.status] if self.draft is not None else "未报送"

    @property
    def submitted(self) -> bool:
        return self.version is not None

    @property
    def on_time(self) -> bool | None:
        """Whether the first submission came by the deadline (None: not submitted)."""
        if self.version is None:
            return None
        return self.first_submitted_at.date() <= self.deadline

    first_submitted_at: datetime | None = None


def review_list(user, year: int) -> list[UnitStatus]:
    """The units whose report ``user`` reviews for ``year``, by department path, with their state."""
    from ..access import apply_scope
    departments = list(db.session.scalars(apply_scope(
        select(Department).where(Department.active.is_(True)).order_by(Department.path), Department.id, user)))
    ids = {i for d in departments for i in path_ids(d)}
    by_id = {d.id: d for d in departments}
    missing = ids - set(by_id)
    if missing:
        by_id.update({d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(missing)))})
    units = [d for d in departments if can_review(user, d, by_id)]
    drafts = {d.department_id: d for d in db.session.scalars(
        select(ReportDraft).where(ReportDraft.year == year, ReportDraft.department_id.in_([u.id for u in units])))}
    current_ids = [d.current_version_id for d in drafts.values() if d.current_version_id]
    current = {v.id: v for v in db.session.scalars(select(ReportVersion).where(ReportVersion.id.in_(current_ids)))}
    firsts = dict(db.session.execute(
        select(ReportVersion.draft_id, func.min(ReportVersion.submitted_at))
        .where(ReportVersion.draft_id.in_([d.id for d in drafts.values()])).group_by(ReportVersion.draft_id)).all())
    result = []
    for unit in units:
        draft = drafts.get(unit.id)
        version = current.get(draft.current_version_id) if draft is not None and draft.current_version_id else None
        result.append(UnitStatus(unit, draft, version, deadline(year, unit),
                                 firsts.get(draft.id) if draft is not None else None))
    return result


# --- the snapshot -------------------------------------------------------------------------

def is_placeholder(renderer) -> bool:
    """A registry entry standing in for a format still to come (it only raises)."""
    return "not yet available" in (getattr(renderer, "__doc__", "") or "")


def content_hash(data: dict, files: dict[str, bytes]) -> str:
    canonical = json.dumps({"data": data, "files": {fmt: hashlib.sha256(b).hexdigest() for fmt, b in sorted(files.items())}},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_snapshot(year: int, dept: Department, texts: dict) -> tuple[dict, dict[str, bytes]]:
    """The report as it stands, with its texts, and every registered format's file."""
    report = assemble(year, dept, with_labels=True, with_previous=True)
    refuse_incomplete(report)
    report["texts"] = {key: texts.get(key, "") for key in TEXT_SECTIONS}
    files = {}
    for fmt, renderer in RENDERERS.items():
        if is_placeholder(renderer):
            continue
        files[fmt] = render(report, fmt)
    return report, files


def flat_figures(report: dict) -> dict[tuple[str, str], tuple[str, str, object]]:
    """{(fragment, figure path): (fragment title, label, value)}; dict figures one entry per key."""
    labels_all = report.get("figure_labels") or {}
    found = {}
    for fragment in report.get("fragments", []):
        ref = f"{fragment['plugin']}.{fragment['key']}"
        labels = labels_all.get(ref, {})
        for key, value in (fragment.get("figures") or {}).items():
            if isinstance(value, dict):
                for sub, inner in value.items():
                    found[(ref, f"{key}.{sub}")] = (fragment["title"], f"{labels.get(key, key)}：{labels.get(sub, sub)}", inner)
            else:
                found[(ref, key)] = (fragment["title"], labels.get(key, key), value)
    return found


def figure_changes(frozen: dict, current: dict) -> list[dict]:
    """Figure by figure, what differs between the submitted version and the records now."""
    before, after = flat_figures(frozen), flat_figures(current)
    changes = []
    for key in [*before, *[k for k in after if k not in before]]:
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old[2] == new[2]:
            continue
        title, label = (new or old)[0], (new or old)[1]
        changes.append({"fragment": title, "label": label, "before": old[2] if old else None,
                        "after": new[2] if new else None})
    return changes


# --- changing state (each one: lock, re-check, change, audit) ---------------------------------

def _draft_for_change(year: int, dept: Department, user) -> ReportDraft:
    """The draft of ``year`` and ``dept``, made if missing, locked for this transaction."""
    write_lock()
    draft = find_draft(year, dept)
    if draft is None:
        try:
            with db.session.begin_nested():
                draft = ReportDraft(year=year, department_id=dept.id, texts={}, status="draft", updated_by_id=user.id)
                db.session.add(draft)
        except IntegrityError:   # made by a parallel request meanwhile (PostgreSQL waits for it)
            draft = find_draft(year, dept)
    return lock(draft, check=False)


def _subject(year: int, dept: Department) -> str:
    return f"{year}年度{dept.name}法治政府建设工作报告"


def clean_texts(raw: dict) -> dict:
    texts = {}
    for key, title in TEXT_SECTIONS.items():
        value = str(raw.get(key) or "").replace("\r\n", "\n").strip()
        if len(value) > MAX_TEXT:
            raise SubmissionError(f"“{title}”不能超过{MAX_TEXT}个字（现有{len(value)}个字）")
        texts[key] = value
    return texts


def save_texts(year: int, dept: Department, raw: dict, user) -> ReportDraft:
    year = _year(year)
    texts = clean_texts(raw)
    draft = _draft_for_change(year, dept, user)
    if not draft.editable:
        raise SubmissionError(f"{year}年度报告{draft.status_label}，不能修改；退回后才能修改并重新报送")
    before = texts_of(draft)
    if before == texts:
        return draft
    draft.texts = texts
    draft.updated_by_id = user.id
    old, new = audit.diff(before, texts)
    audit.record("update", "report_draft", draft.id, summary=f"修改{_subject(year, dept)}的文字部分",
                 before=old, after=new, department_id=dept.id)
    return draft


def _year(year) -> int:
    try:
        return check_year(year)
    except ReportError as exc:
        raise SubmissionError(str(exc)) from None


def submit(year: int, dept: Department, user, note: str = "") -> ReportVersion:
    year = _year(year)
    if not can_author(user, dept):
        raise SubmissionError("只有本单位的单位管理员（政府报告为本级司法局）可以报送本单位的报告")
    draft = _draft_for_change(year, dept, user)
    if not draft.editable:
        number = db.session.get(ReportVersion, draft.current_version_id).number if draft.current_version_id else ""
        raise SubmissionError(f"{year}年度报告已报送（第{number}版，{draft.status_label}），不能重复报送")
    if is_government(dept):
        waiting = pending_below(dept, year)
        if waiting:
            raise SubmissionError(f"下级单位的报告尚待本级审核：{_names(waiting)}。审核完毕后才能报送本级政府的报告")
    try:
        data, files = build_snapshot(year, dept, texts_of(draft))
    except ReportError as exc:
        raise SubmissionError(str(exc)) from None
    number = (db.session.scalar(select(func.max(ReportVersion.number)).where(ReportVersion.draft_id == draft.id)) or 0) + 1
    version = ReportVersion(draft_id=draft.id, year=year, department_id=dept.id, number=number, data=data,
                            content_hash=content_hash(data, files), submitted_at=datetime.now().replace(microsecond=0),
                            submitted_by_id=user.id, submitted_by_name=user.display_name or user.username,
                            note=(note or "").strip()[:500])
    db.session.add(version)
    db.session.flush()
    for fmt, content in files.items():
        db.session.add(ReportVersionFile(version_id=version.id, format=fmt, content=content,
                                         sha256=hashlib.sha256(content).hexdigest(), size=len(content)))
    draft.status = "submitted"
    draft.current_version_id = version.id
    draft.updated_by_id = user.id
    audit.record("submit", "report_version", version.id, summary=f"报送{_subject(year, dept)}（第{number}版）",
                 reason=version.note, after={"version": number, "content_hash": version.content_hash,
                                             "files": sorted(files)}, department_id=dept.id)
    return version


def _names(departments) -> str:
    names = "、".join(d.name for d in departments[:10])
    return names + (f"等{len(departments)}个单位" if len(departments) > 10 else "")


def _current(version: ReportVersion, user, wanted: tuple[str, ...]) -> ReportDraft:
    """Lock the draft of ``version`` and check that ``version`` is its current one, in a state of ``wanted``."""
    dept = version.department
    if not can_review(user, dept):
        raise SubmissionError("只有上一级的司法局可以审核、发布该报告")
    draft = lock(db.session.get(ReportDraft, version.draft_id), check=False)
    if draft.current_version_id != version.id:
        raise SubmissionError(f"第{version.number}版已不是当前报送的版本，不能再处理")
    if draft.status not in wanted:
        raise SubmissionError(f"该报告{draft.status_label}，不能进行此操作")
    return draft


def _review(version: ReportVersion, action: str, comment: str, user) -> ReportReview:
    review = ReportReview(version_id=version.id, action=action, comment=comment, actor_id=user.id,
                          actor_name=user.display_name or user.username, at=datetime.now().replace(microsecond=0))
    db.session.add(review)
    return review


def approve(version: ReportVersion, user, comment: str = "") -> ReportReview:
    draft = _current(version, user, ("submitted",))
    dept = version.department
    if is_government(dept):
        waiting = pending_below(dept, version.year)
        if waiting:
            raise SubmissionError(f"该政府下级单位的报告尚待审核：{_names(waiting)}。审核完毕后才能批准")
    review = _review(version, "approve", (comment or "").strip(), user)
    draft.status = "approved"
    audit.record("approve", "report_version", version.id, summary=f"批准{_subject(version.year, dept)}（第{version.number}版）",
                 reason=review.comment, department_id=dept.id)
    return review


def return_report(version: ReportVersion, user, comment: str) -> ReportReview:
    comment = (comment or "").strip()
    if not comment:
        raise SubmissionError("退回报告必须填写退回意见")
    draft = _current(version, user, ("submitted",))
    review = _review(version, "return", comment, user)
    draft.status = "returned"
    audit.record("return", "report_version", version.id, summary=f"退回{_subject(version.year, version.department)}（第{version.number}版）",
                 reason=comment, department_id=version.department_id)
    return review


def sign_off_secrecy(version: ReportVersion, user, comment: str = "") -> ReportReview:
    _current(version, user, ("approved",))
    if secrecy_review(version) is not None:
        raise SubmissionError("该报告已通过保密审查，无需重复签署")
    review = _review(version, "secrecy", (comment or "").strip(), user)
    audit.record("secrecy_review", "report_version", version.id,
                 summary=f"{_subject(version.year, version.department)}（第{version.number}版）通过保密审查",
                 reason=review.comment, department_id=version.department_id)
    return review


def publish(version: ReportVersion, user) -> ReportDraft:
    draft = _current(version, user, ("approved",))
    signed = secrecy_review(version)
    if signed is None:
        raise SubmissionError("发布前须完成保密审查并签署，未发布")
    _review(version, "publish", "", user)
    draft.status = "published"
    draft.public_token = secrets.token_urlsafe(18)
    draft.published_at = datetime.now().replace(microsecond=0)
    audit.record("publish", "report_version", version.id, summary=f"发布{_subject(version.year, version.department)}（第{version.number}版）",
                 after={"secrecy_review_by": signed.actor_name, "secrecy_review_at": signed.at.isoformat()},
                 department_id=version.department_id)
    return draft


# --- the public page ------------------------------------------------------------------------

_ID_LIKE = re.compile(r"\d{6}(?:\d{8}|\*{8})\d{3}[\dXx]")


def without_id_numbers(value):
    """Text with anything shaped like an ID number (full or masked) taken out."""
    if isinstance(value, str):
        return _ID_LIKE.sub("（已隐去）", value)
    if isinstance(value, (list, tuple)):
        return [without_id_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: without_id_numbers(v) for k, v in value.items()}
    return value


def public_report(data: dict) -> dict:
    """What the public page shows of an approved version: titles, sentences, figures, tables and
    the four texts, with ID numbers taken out and nothing that links inside."""
    return without_id_numbers({
        "year": data["year"], "department": data["department"]["name"],
        "fragments": [{"title": f["title"], "paragraphs": f.get("paragraphs", []), "tables": f.get("tables", [])}
                      for f in data.get("fragments", [])],
        "texts": [(TEXT_SECTIONS[k], (data.get("texts") or {}).get(k, "")) for k in TEXT_SECTIONS],
    })
