"""The annual report's 考试 section: figures for a year and a department subtree."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from intranet.extensions import db
from intranet.hookspecs import ReportFragment, ReportTable

from . import figures
from .models import KINDS, QUALIFICATION, Exam

FIGURE_KEYS = ["registered", "preregistered", "required", "sat", "absent", "exempt", "passed",
               "participation_rate", "pass_rate", "units_participating"]


LABELS = {
    "exams_held": "举办考试场次", "registered": "报名人数", "preregistered": "预报名人数",
    "required": "应考人数", "sat": "参考人数", "absent": "缺考人数", "exempt": "免考人数",
    "passed": "合格人数", "participation_rate": "参考率", "pass_rate": "通过率",
    "units_participating": "参考单位数", "by_kind": "按考试类型",
}


def _report_figures(f: dict) -> dict:
    out = {k: f[k] for k in FIGURE_KEYS if k in f}
    out["units_participating"] = f["units"]
    return out


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def scope_word(department) -> str:
    """全市 / 全县 / 全区 / the department's own name."""
    if department.kind == "市":
        return "全市"
    if department.kind == "县(区)":
        return "全区" if department.name.endswith("区") else "全县"
    return department.name


def build(year: int, department) -> ReportFragment:
    exam_cond = and_(Exam.year == year, Exam.active.is_(True))
    cond = department.subtree_filter
    totals = figures.compute(exam_cond=exam_cond, department_cond=cond)
    by_exam = figures.compute(exam_cond=exam_cond, department_cond=cond, group_by="exam")
    by_kind_raw = figures.compute(exam_cond=exam_cond, department_cond=cond, group_by="kind")
    held_by_kind: dict[str, int] = {}
    if by_exam:
        held_by_kind = dict(db.session.execute(select(Exam.kind, func.count()).where(Exam.id.in_(list(by_exam)))
                                               .group_by(Exam.kind)).all())
    by_kind = {kind: {"exams_held": held_by_kind.get(kind, 0), **_report_figures(f)}
               for kind, f in sorted(by_kind_raw.items(), key=lambda kv: KINDS.index(kv[0]) if kv[0] in KINDS else 99)}
    fig = {"exams_held": len(by_exam), **_report_figures(totals), "by_kind": by_kind}
    return ReportFragment(plugin="exams", key="exams", title="学法考试与执法资格考试", order=30, figures=fig,
                          paragraphs=paragraphs(year, department, fig), tables=tables(exam_cond, cond, by_kind),
                          labels=LABELS)


def paragraphs(year: int, department, fig: dict) -> list[str]:
    where = scope_word(department)
    if not fig["exams_held"]:
        return [f"{year}年度{where}暂无考试记录。"]
    out = [f"{year}年度，{where}共参加各类法律知识考试{fig['exams_held']}场，报名{fig['registered']}人，"
           f"免考{fig['exempt']}人，应考{fig['required']}人，实际参考{fig['sat']}人，参考率达{pct(fig['participation_rate'])}；"
           f"考试合格{fig['passed']}人，通过率{pct(fig['pass_rate'])}。"]
    for kind, f in fig["by_kind"].items():
        if kind == QUALIFICATION:
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
            text = (f"{where}{f['units_participating']}个单位参加了{year}年度{kind}，{f['sat']}人参加了考试，"
                    f"参考率达{pct(f['participation_rate'])}")
            text += f"，通过率{pct(f['pass_rate'])}。" if f["sat"] else "。"
        out.append(text)
    return out


def tables(exam_cond, cond, by_kind: dict) -> list[ReportTable]:
    columns = ["报名", "免考", "应考", "参考", "缺考", "合格", "参考率", "通过率"]

    def cells(f):
        return [f["registered"], f["exempt"], f["required"], f["sat"], f["absent"], f["passed"],
                pct(f["participation_rate"]), pct(f["pass_rate"])]

    kind_rows = [[kind, f["exams_held"], *cells(f)] for kind, f in by_kind.items()]
    dept_rows = [[d.name, *cells(f)] for d, f in figures.by_department(exam_cond=exam_cond, department_cond=cond)]
    return [ReportTable("考试情况（按考试类型）", ["考试类型", "场次", *columns], kind_rows),
            ReportTable("考试情况（按单位）", ["单位", *columns], dept_rows)]
