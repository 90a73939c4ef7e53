"""The floor of the annual report's speed: hand-written aggregate SQL, run as plain text through the
connection, computing the figures the report shows for a subtree and a year.

``floor_figures(year, department)`` gives {"plugin.key": {figure: value}} for every enabled plugin
it knows (certificates, exams, law_study, legal_advisers); tests/test_report_floor.py checks they
equal the report's figures key by key, and benchmarks/test_report_province.py times the report
against it. Left out (no aggregate SQL of their own): legal_advisers' unit coverage figures, exams'
``by_kind`` and law_study's ``departments_meeting_session_target``.
Setting values (caps, targets) and the names of states come from the plugins: they are inputs here,
not figures.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text

from intranet.extensions import db
from intranet.plugins import enabled_plugin_names

SUBTREE = "(SELECT id FROM department WHERE path LIKE :path ESCAPE '/')"


def _in(prefix: str, values) -> tuple[str, dict]:
    names = [f"{prefix}{i}" for i in range(len(values))]
    return "(" + ", ".join(f":{n}" for n in names) + ")", dict(zip(names, values))


def _one(sql: str, **params):
    return db.session.execute(text(sql), params).one()


def _rate(part, whole) -> float:
    return round(part / whole, 4) if whole else 0


def certificates(year: int, path: str) -> dict:
    from intranet.models.org import FORMAL_STAFFING
    from intranet_certificates.reports import EVENT_FIGURES
    from intranet_certificates.states import VALID
    start, end = date(year, 1, 1), date(year, 12, 31)
    day = min(end, date.today())
    if day >= date.today():
        valid = "SELECT id FROM certificates_certificate WHERE status = :valid AND valid_until >= :day"
    else:
        valid = """SELECT c.id FROM certificates_certificate c JOIN (
              SELECT certificate_id, to_status, ROW_NUMBER() OVER (PARTITION BY certificate_id
                     ORDER BY happened_on DESC, id DESC) AS n
              FROM certificates_event WHERE happened_on <= :day) e ON e.certificate_id = c.id
            WHERE e.n = 1 AND e.to_status = :valid AND c.valid_until >= :day AND c.issued_on <= :day"""
    staffing, sp = _in("s", sorted(FORMAL_STAFFING))
    p = dict(path=path, valid=VALID, day=day, start=start, end=end, **sp)
    holders = f"SELECT person_id FROM certificates_certificate WHERE id IN ({valid}) AND department_id IN {SUBTREE}"
    staff = (f"SELECT id FROM person WHERE staffing IN {staffing} AND enforcement_post = :yes AND status = '在岗' "
             f"AND department_id IN {SUBTREE}")
    p["yes"] = True
    f = {"holders_active": _one(f"SELECT COUNT(DISTINCT person_id) FROM ({holders}) h", **p)[0],
         "issued": _one(f"""SELECT COUNT(*) FROM certificates_certificate WHERE issued_on BETWEEN :start AND :end
                            AND origin != 'renewal' AND department_id IN {SUBTREE}""", **p)[0]}
    for key, actions in EVENT_FIGURES.items():
        acts, ap = _in("a", actions)
        f[key] = _one(f"""SELECT COUNT(DISTINCT e.certificate_id) FROM certificates_event e
                          JOIN certificates_certificate c ON c.id = e.certificate_id
                          WHERE e.action IN {acts} AND e.happened_on BETWEEN :start AND :end
                          AND c.department_id IN {SUBTREE}""", **p, **ap)[0]
    f["cleanup_candidates"] = _one(f"""SELECT COUNT(*) FROM certificates_cleanup_candidate k
        JOIN certificates_cleanup_campaign g ON g.id = k.campaign_id
        WHERE g.opened_on BETWEEN :start AND :end AND k.department_id IN {SUBTREE}""", **p)[0]
    row = _one(f"SELECT COUNT(*), SUM(CASE WHEN id IN ({holders}) THEN 1 ELSE 0 END) FROM ({staff}) s", **p)
    f["enforcement_staff"], f["enforcement_staff_certified"] = row[0], int(row[1] or 0)
    f["certified_rate"] = _rate(f["enforcement_staff_certified"], f["enforcement_staff"])
    return f


def exams(year: int, path: str, at: datetime | None = None) -> dict:
    at = at or datetime.now()
    finished = "((x.closes_at IS NOT NULL AND x.closes_at <= :at) OR (x.closes_at IS NULL AND (x.exam_date IS NULL OR x.exam_date <= :today)))"
    year_exams = f"SELECT x.id FROM exams_exam x WHERE x.year = :year AND x.active = :yes AND {finished}"
    p = dict(year=year, yes=True, at=at, today=at.date(), path=path)
    flags = f"""
      WITH ex AS ({year_exams}),
      res AS (SELECT exam_id, person_id, MAX(CASE WHEN status = '参考' THEN 1 ELSE 0 END) AS sat,
                     MAX(CASE WHEN status = '缺考' THEN 1 ELSE 0 END) AS absent,
                     MAX(CASE WHEN passed = :yes THEN 1 ELSE 0 END) AS passed
              FROM exams_result WHERE exam_id IN (SELECT id FROM ex) GROUP BY exam_id, person_id),
      exm AS (SELECT DISTINCT exam_id, person_id FROM exams_exemption
              WHERE status = '已批准' AND exam_id IN (SELECT id FROM ex)),
      f AS (SELECT r.exam_id, r.department_id, r.status = '已报名' AS reg, r.status = '预报名' AS pre,
                   m.person_id IS NOT NULL AS exempt, COALESCE(s.sat, 0) AS sat, COALESCE(s.absent, 0) AS absent,
                   COALESCE(s.passed, 0) AS passed
            FROM exams_registration r
            LEFT JOIN res s ON s.exam_id = r.exam_id AND s.person_id = r.person_id
            LEFT JOIN exm m ON m.exam_id = r.exam_id AND m.person_id = r.person_id
            WHERE r.status != '已取消' AND r.exam_id IN (SELECT id FROM ex) AND r.department_id IN {SUBTREE})
      SELECT COUNT(DISTINCT exam_id),
             SUM(CASE WHEN reg THEN 1 ELSE 0 END), SUM(CASE WHEN pre THEN 1 ELSE 0 END),
             SUM(CASE WHEN reg AND exempt THEN 1 ELSE 0 END), SUM(CASE WHEN reg AND NOT exempt THEN 1 ELSE 0 END),
             SUM(CASE WHEN reg AND NOT exempt AND sat = 1 THEN 1 ELSE 0 END),
             SUM(CASE WHEN reg AND NOT exempt AND sat = 0 AND absent = 1 THEN 1 ELSE 0 END),
             SUM(CASE WHEN reg AND NOT exempt AND passed = 1 THEN 1 ELSE 0 END),
             COUNT(DISTINCT CASE WHEN reg AND NOT exempt AND sat = 1 THEN department_id END)
      FROM f"""
    row = [int(v or 0) for v in _one(flags, **p)]
    f = dict(zip(("exams_held", "registered", "preregistered", "exempt", "required", "sat", "absent", "passed",
                  "units_participating"), row))
    f["open_exams"] = _one(f"""SELECT COUNT(*) FROM exams_exam x WHERE x.year = :year AND x.active = :yes
        AND NOT {finished} AND x.id IN (SELECT exam_id FROM exams_registration
                                        WHERE status != '已取消' AND department_id IN {SUBTREE})""", **p)[0]
    f["participation_rate"] = _rate(f["sat"], f["required"])
    f["pass_rate"] = _rate(f["passed"], f["sat"])
    return f


def law_study(year: int, path: str) -> dict:
    from intranet_law_study import settings
    from intranet_law_study.models import CREDITED, HELD, LECTURE, PLAN_ACTIVE, PRE_MEETING_KINDS, PRESENT, TRAINING
    from intranet_law_study.service import cap_minutes
    pre, pp = _in("k", PRE_MEETING_KINDS)
    credited, cp = _in("c", CREDITED)
    p = dict(year=year, held=HELD, path=path, lecture=LECTURE, training=TRAINING, present=PRESENT,
             plan=PLAN_ACTIVE, **pp, **cp)
    held = f"s.year = :year AND s.status = :held AND s.department_id IN {SUBTREE}"
    row = _one(f"""SELECT COUNT(*), SUM(CASE WHEN kind IN {pre} THEN 1 ELSE 0 END),
        SUM(CASE WHEN kind = :lecture THEN 1 ELSE 0 END), SUM(CASE WHEN kind = :training THEN 1 ELSE 0 END)
        FROM law_study_session s WHERE {held}""", **p)
    f = dict(zip(("sessions_total", "sessions_pre_meeting", "lectures", "trainings"), (int(v or 0) for v in row)))
    f["attendances"], f["participants"] = _one(f"""SELECT COUNT(a.id), COUNT(DISTINCT a.person_id)
        FROM law_study_attendance a JOIN law_study_session s ON s.id = a.session_id
        WHERE {held} AND a.status = :present""", **p)
    f["laws_studied_count"] = _one(f"""SELECT COUNT(DISTINCT l.name) FROM law_study_session_law l
        JOIN law_study_session s ON s.id = l.session_id WHERE {held}""", **p)[0]
    row = _one(f"""SELECT COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM law_study_session s
                   WHERE s.plan_item_id = i.id AND s.status = :held) THEN 1 ELSE 0 END)
        FROM law_study_plan_item i WHERE i.year = :year AND i.status = :plan AND i.department_id IN {SUBTREE}""", **p)
    f["plan_items"], f["plan_items_held"] = row[0], int(row[1] or 0)
    caps = {s: c for s, c in cap_minutes().items() if c}
    capped = "CASE " + " ".join(f"WHEN source = :src{i} AND m > {int(c)} THEN {int(c)}"
                                for i, c in enumerate(caps.values())) + " ELSE m END" if caps else "m"
    p.update({f"src{i}": s for i, s in enumerate(caps)})
    general = int(settings.get("person_hours_target")) * 60
    special = int(settings.get("enforcement_hours_target") or 0) * 60 or general
    # one pass over the year's hours: per (person, unit, source) for the units' minutes, regrouped per
    # (person, source) for each person's capped total against the target
    row = _one(f"""WITH per AS MATERIALIZED (
          SELECT person_id, department_id, source, SUM(minutes) AS m FROM law_study_hours
          WHERE year = :year AND state IN {credited} GROUP BY person_id, department_id, source),
        person_total AS (SELECT person_id, SUM({capped}) AS total FROM (
          SELECT person_id, source, SUM(m) AS m FROM per GROUP BY person_id, source) u GROUP BY person_id)
        SELECT (SELECT SUM({capped}) FROM per WHERE department_id IN {SUBTREE}), COUNT(*),
               SUM(CASE WHEN COALESCE(t.total, 0) >= CASE WHEN p.enforcement_post = :yes
                        THEN {special} ELSE {general} END THEN 1 ELSE 0 END)
        FROM person p LEFT JOIN person_total t ON t.person_id = p.id
        WHERE p.status = '在岗' AND p.department_id IN {SUBTREE}""", **p, yes=True)
    minutes = int(row[0] or 0)
    row = row[1:]
    staff, meeting = row[0], int(row[1] or 0)
    f["person_hours_total"] = round(minutes / 60, 1)
    f["hours_per_person"] = round(minutes / 60 / staff, 1) if staff else 0.0
    f["staff_meeting_target"] = meeting
    f["target_rate"] = round(meeting / staff, 4) if staff else 0.0
    return f


def legal_advisers(year: int, path: str) -> dict:
    from intranet_legal_advisers.models import DRAFT, SERVICE_ACTIVE
    from intranet_legal_advisers.reports import KIND_FIGURES, as_of
    day = as_of(year)
    p = dict(path=path, draft=DRAFT, day=day, start=date(year, 1, 1), end=date(year, 12, 31), active=SERVICE_ACTIVE)
    in_force = ("c.status != :draft AND c.start_on <= :day AND c.end_on >= :day "
                "AND (c.ended_on IS NULL OR c.ended_on > :day)")
    signed = "c.status != :draft AND COALESCE(c.signed_on, c.start_on) BETWEEN :start AND :end"
    f = {"contracts_active": _one(f"SELECT COUNT(*) FROM legal_advisers_contract c WHERE {in_force} "
                                  f"AND c.department_id IN {SUBTREE}", **p)[0]}
    f["contracts_signed"], fees = _one(f"SELECT COUNT(*), COALESCE(SUM(c.fee), 0) FROM legal_advisers_contract c "
                                       f"WHERE {signed} AND c.department_id IN {SUBTREE}", **p)
    f["advisers"] = _one(f"""SELECT COUNT(DISTINCT a.adviser_id) FROM legal_advisers_contract_adviser a
        JOIN legal_advisers_contract c ON c.id = a.contract_id WHERE {in_force} AND c.department_id IN {SUBTREE}""",
                         **p)[0]
    kinds = dict(db.session.execute(text(f"""SELECT kind, COUNT(*) FROM legal_advisers_service
        WHERE status = :active AND served_on BETWEEN :start AND :end AND department_id IN {SUBTREE}
        GROUP BY kind"""), p).all())
    f["services_total"] = sum(kinds.values())
    for key, kind in KIND_FIGURES.items():
        f[key] = kinds.get(kind, 0)
    f["fees_total"] = round(float(fees), 2)
    return f


FLOORS = {"certificates": certificates, "exams": exams, "law_study": law_study, "legal_advisers": legal_advisers}


def floor_figures(year: int, department) -> dict:
    """{"plugin.key": figures} for the enabled plugins this floor knows."""
    from flask import current_app
    path = department.path.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    enabled = set(enabled_plugin_names(current_app))
    return {f"{name}.{name}": fn(year, path) for name, fn in FLOORS.items() if name in enabled}
