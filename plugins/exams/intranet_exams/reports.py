"""The annual report's 考试 section: figures for a year and a department subtree.

Only exams that are over count in the year's figures and rates; exams of the year still open (an
online exam before its closing time, an offline one still to be held) are counted apart in
``open_exams`` and named so in the label and the sentence.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, not_, select

from intranet.extensions import db
from intranet.models import Department
from intranet.hookspecs import ReportChart, ReportFragment, ReportTable
from intranet.reports.formatting import pct, scope_word

from . import figures
from .models import KINDS, QUALIFICATION, Exam, Registration

FIGURE_KEYS = ["registered", "preregistered", "required", "sat", "absent", "exempt", "passed",
               "participation_rate", "pass_rate", "units_participating"]
COUNTED = "（已结束的考试）"

LABELS = {
    "exams_held": "已结束的考试场次", "open_exams": "进行中的考试场次（未计入本年统计）",
    "registered": "报名人数" + COUNTED, "preregistered": "预报名人数" + COUNTED,
    "required": "应考人数（报名人数 − 免考人数）", "sat": "参考人数" + COUNTED, "absent": "缺考人数" + COUNTED,
    "exempt": "免考人数" + COUNTED, "passed": "合格人数" + COUNTED,
    "participation_rate": "参考率（参考人数 ÷ 应考人数）", "pass_rate": "通过率（合格人数 ÷ 参考人数）",
    "units_participating": "参考单位数（有人参考的单位）", "by_kind": "按考试类型",
}
UNITS = {k: "人" for k in ("registered", "preregistered", "required", "sat", "absent", "exempt", "passed")}
UNITS.update(exams_held="场", open_exams="场", units_participating="个")
# figure → the registration flag it sums (the drill-down lists the registrations with it set)
FLAG_FIGURES = ("registered", "preregistered", "required", "sat", "absent", "exempt", "passed")
DRILLABLE = ("exams_held", "open_exams", *FLAG_FIGURES, "units_participating")


def _report_figures(f: dict) -> dict:
    out = {k: f[k] for k in FIGURE_KEYS if k in f}
    out["units_participating"] = f["units"]
    return out


def year_exams(year: int, at: datetime | None = None, kind: str | None = None):
    """A condition on Exam: the year's active exams that are over (counted in the figures);
    with ``kind``, of that kind only (``by_kind``)."""
    cond = and_(Exam.year == year, Exam.active.is_(True), figures.finished(at or datetime.now()))
    return cond if kind is None else and_(cond, Exam.kind == kind)


def open_year_exams(year: int, at: datetime | None = None):
    return and_(Exam.year == year, Exam.active.is_(True), not_(figures.finished(at or datetime.now())))


def exams_stmt(exam_cond, department):
    """Exams matching ``exam_cond`` with a registration (not cancelled) of the subtree."""
    return select(Exam.id).where(exam_cond, Exam.id.in_(
        select(Registration.exam_id).where(Registration.status != "已取消",
                                           department.subtree_filter(Registration.department_id))))


def flagged_registrations(flag: str, year: int, department, kind: str | None = None):
    """Ids of the counted registrations of the subtree with ``flag`` set (as the figure sums them)."""
    regs = figures.flags(exam_cond=year_exams(year, kind=kind), department_cond=department.subtree_filter).subquery()
    return select(regs.c.registration_id).where(regs.c[flag] == 1)


def participating_units(year: int, department, kind: str | None = None):
    regs = figures.flags(exam_cond=year_exams(year, kind=kind), department_cond=department.subtree_filter).subquery()
    return select(regs.c.sat_department).where(regs.c.sat_department.is_not(None)).distinct()


def drilldown(year: int, department, kinds=()) -> dict[str, str]:
    from intranet.reports.drilldown import figure_url
    links = {key: figure_url("exams.report_records", key, year, department) for key in DRILLABLE}
    for kind in kinds:        # the cells of the by_kind table
        for key in DRILLABLE:
            if key != "open_exams":
                links[f"by_kind.{kind}.{key}"] = figure_url("exams.report_records", key, year, department, kind=kind)
    return links


def build(year: int, department, figures_only: bool = False) -> ReportFragment:
    """The section; with ``figures_only`` its figures and labels alone (no sentences, tables, charts)."""
    exam_cond = year_exams(year)
    cond = department.subtree_filter
    rows = figures.grid(exam_cond=exam_cond, department_cond=cond)   # one query, folded below
    totals = figures.combine(rows)
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row["kind"], []).append(row)
    by_kind = {kind: {"exams_held": len({r["exam_id"] for r in group}), **_report_figures(figures.combine(group))}
               for kind, group in sorted(groups.items(), key=lambda kv: KINDS.index(kv[0]) if kv[0] in KINDS else 99)}
    held = len({r["exam_id"] for r in rows})
    open_exams = db.session.scalar(select(func.count()).select_from(
        exams_stmt(open_year_exams(year), department).subquery())) or 0
    fig = {"exams_held": held, "open_exams": int(open_exams), **_report_figures(totals), "by_kind": by_kind}
    out = ReportFragment(plugin="exams", key="exams", title="学法考试与执法资格考试", order=30, figures=fig,
                         labels=LABELS, units=UNITS)
    if figures_only:
        return out
    by_dept: dict[int, list] = {}
    for row in rows:
        by_dept.setdefault(row["department_id"], []).append(row)
    dept_rows = []
    if by_dept:
        dept_rows = [(d, figures.combine(by_dept[d.id])) for d in db.session.scalars(
            select(Department).where(Department.id.in_(list(by_dept))).order_by(Department.path))]
    out.paragraphs = paragraphs(year, department, fig)
    out.tables = tables(by_kind, dept_rows)
    out.drilldown = drilldown(year, department, by_kind)
    out.charts = charts(by_kind, dept_rows)
    return out


def paragraphs(year: int, department, fig: dict) -> list[str]:
    where = scope_word(department)
    out = []
    if fig["exams_held"] and fig["registered"]:
        text = f"{year}年度，{where}共参加各类法律知识考试{fig['exams_held']}场，报名{fig['registered']}人"
        if fig["exempt"]:
            text += f"，免考{fig['exempt']}人"
        text += f"，应考{fig['required']}人"
        if fig["sat"]:
            text += (f"，实际参考{fig['sat']}人，参考率达{pct(fig['participation_rate'])}；"
                     f"考试合格{fig['passed']}人，通过率{pct(fig['pass_rate'])}")
        out.append(text + "。")
    for kind, f in fig["by_kind"].items():
        if kind == QUALIFICATION:
            if not (f["preregistered"] or f["registered"]):
                continue
            text = f"组织{year}年度行政执法资格考试"
            if f["preregistered"]:
                text += f"预报名，预报名人数{f['preregistered']}人"
                text += f"，确认报名{f['registered']}人" if f["registered"] else ""
            else:
                text += f"，报名{f['registered']}人"
            if f["exempt"]:
                text += f"，其中{f['exempt']}人免考"
            text += (f"，实际参考{f['sat']}人，合格{f['passed']}人，通过率{pct(f['pass_rate'])}。"
                     if f["sat"] else "。")
        else:
            if not (f["units_participating"] and f["sat"]):
                continue      # no sentence about nothing ("0个单位参加了…参考率达0.0%")
            text = (f"{where}{f['units_participating']}个单位参加了{year}年度{kind}，{f['sat']}人参加了考试，"
                    f"参考率达{pct(f['participation_rate'])}，通过率{pct(f['pass_rate'])}。")
        out.append(text)
    if fig["open_exams"]:
        out.append(f"另有{fig['open_exams']}场考试尚在进行中，结束后计入统计。")
    return out


def tables(by_kind: dict, dept_rows) -> list[ReportTable]:
    columns = ["报名", "免考", "应考", "参考", "缺考", "合格", "参考率", "通过率"]

    def cells(f):
        return [f["registered"], f["exempt"], f["required"], f["sat"], f["absent"], f["passed"],
                pct(f["participation_rate"]), pct(f["pass_rate"])]

    kind_rows = [[kind, f["exams_held"], *cells(f)] for kind, f in by_kind.items()]
    rows = [[d.name, *cells(f)] for d, f in dept_rows]
    return [ReportTable("考试情况（按考试类型）", ["考试类型", "场次", *columns], kind_rows),
            ReportTable("考试情况（按单位）", ["单位", *columns], rows)]


def charts(by_kind: dict, dept_rows) -> list[ReportChart]:
    out = []
    kinds = [(k, f) for k, f in by_kind.items() if f["sat"]]
    if kinds:
        out.append(ReportChart("参考人数（按考试类型）", [k for k, _ in kinds], [f["sat"] for _, f in kinds],
                               by="kind", unit="人"))
    depts = [(d.name, f["participation_rate"]) for d, f in dept_rows if f["required"]]
    if len(depts) > 1:
        depts.sort(key=lambda r: r[1])
        out.append(ReportChart("各单位参考率（由低到高）", [n for n, _ in depts], [v for _, v in depts], by="department",
                               unit="%"))
    return out
