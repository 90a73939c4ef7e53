"""学时 for exams passed: other plugins answer ``exam_passes(person, year)``; each pass becomes one
approved ledger entry (source 考试合格) within the day cap; the yearly cap applies to the total like
the other sources. A closed year is never touched, so its entries stay locked as they were."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from intranet import audit
from intranet.extensions import db
from intranet.locking import lock_rows
from intranet.models import Person
from intranet.plugins import flatten, get_pm

from . import settings
from .models import APPROVED, EXAM, LIVE, LOCKED, VOID, HoursEntry
from .service import _day_minutes, fmt_hours, now, year_closed


def _answers(person, year: int) -> list[dict] | None:
    """The passes the enabled plugins name, or None when no plugin answers the hook at all."""
    hook = get_pm().hook.exam_passes
    if not hook.get_hookimpls():
        return None
    out = []
    for item in flatten(hook(person=person, year=year)):
        if not isinstance(item, dict) or not item.get("ref") or not item.get("person_id"):
            continue
        if person is not None and item["person_id"] != person.id:
            continue
        day = item.get("day")
        if not isinstance(day, date) or day.year != year:
            continue
        out.append(item)
    return out


def sync(year: int, person=None, user=None, existing: dict | None = None) -> int:
    """Make the 考试合格 entries of ``year`` (one person's, or everyone's) match the passes the
    plugins name. Returns how many entries were added or voided. ``existing``: {(person_id, ref):
    state} of the entries, when the caller already read them (figures.exam_entries)."""
    # A caller with the entries read is a page view: the closing is asked only if there is something to write.
    if existing is None and year_closed(year):
        return 0
    answers = _answers(person, year)
    if answers is None:
        return 0
    default_hours = float(settings.get("exam_pass_hours") or 0)
    wanted = {(a["person_id"], str(a["ref"])[:80]): a for a in answers
              if (default_hours if a.get("hours") is None else float(a["hours"])) > 0}
    if not _differs(year, person, wanted, existing):
        return 0  # the usual case on a page view: nothing to write, nothing locked
    if existing is not None and year_closed(year):
        return 0
    # the people concerned take turns (log_claim locks the person too), so two syncs never credit twice
    ids = sorted({pid for pid, _ in wanted} | ({person.id} if person is not None else set()))
    db.session.scalars(lock_rows(select(Person).where(Person.id.in_(ids)).order_by(Person.id))).all()
    return _apply(year, person, wanted, user)


def _entries_stmt(year: int, person):
    stmt = select(HoursEntry).where(HoursEntry.year == year, HoursEntry.source == EXAM,
                                    HoursEntry.ref.is_not(None)).order_by(HoursEntry.id)
    if person is not None:
        stmt = stmt.where(HoursEntry.person_id == person.id)
    return stmt


def _differs(year: int, person, wanted: dict, existing: dict | None = None) -> bool:
    if existing is None:
        existing = {(e.person_id, e.ref): e.state for e in db.session.scalars(_entries_stmt(year, person))}
    if any(key not in wanted and state not in (VOID, LOCKED) for key, state in existing.items()):
        return True
    return any(existing.get(key) not in LIVE for key in wanted)


def _apply(year: int, person, wanted: dict, user) -> int:
    existing = {(e.person_id, e.ref): e for e in db.session.scalars(lock_rows(_entries_stmt(year, person)))}
    changed = 0
    for key, entry in existing.items():
        if key not in wanted and entry.state not in (VOID, LOCKED):
            entry.state = VOID
            audit.record("law_study.withdraw", "law_study_hours", entry.id, summary=f"考试合格学时不再计入：{entry.evidence}",
                         before={"state": APPROVED}, after={"state": VOID}, department_id=entry.department_id)
            changed += 1
    default_hours = float(settings.get("exam_pass_hours") or 0)
    day_cap = int(settings.get("day_cap_hours")) * 60
    stamp, uid = now(), getattr(user, "id", None)
    for key, answer in wanted.items():
        entry = existing.get(key)
        if entry is not None and entry.state in LIVE:
            continue
        hours = answer.get("hours")
        minutes = round((default_hours if hours is None else float(hours)) * 60)
        holder = db.session.get(Person, key[0])
        if minutes <= 0 or holder is None:
            continue
        used = _day_minutes([holder.id], answer["day"]).get(holder.id, 0)
        credit = min(minutes, max(day_cap - used, 0))
        if credit <= 0:
            continue
        evidence = f"考试合格：{answer.get('exam') or ''}"[:500]
        if entry is None:
            entry = HoursEntry(person_id=holder.id, department_id=holder.department_id, year=year, ref=key[1])
            db.session.add(entry)
        entry.day, entry.source, entry.minutes, entry.evidence, entry.state = answer["day"], EXAM, credit, evidence, APPROVED
        entry.created_by_id, entry.reviewed_by_id, entry.reviewed_at = uid, uid, stamp
        db.session.flush()
        audit.record("law_study.claim", "law_study_hours", entry.id,
                     summary=f"{holder.name}{evidence}，计入{fmt_hours(credit)}学时",
                     after={"source": EXAM, "day": answer["day"].isoformat(), "minutes": credit, "ref": key[1]},
                     department_id=holder.department_id)
        changed += 1
    db.session.flush()
    return changed


def sync_and_commit(year: int, person=None, existing: dict | None = None) -> bool:
    """For pages that show a ledger: bring the exam credits up to date and keep them (True: changed)."""
    if sync(year, person, existing=existing):
        db.session.commit()
        return True
    return False


def nightly_job() -> int:
    """The scheduled job: everyone's passes of this year (and of last year while it is open)."""
    today = date.today()
    changed = sync(today.year) + sync(today.year - 1)
    db.session.commit()
    return changed
