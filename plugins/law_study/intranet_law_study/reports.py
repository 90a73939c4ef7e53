"""The annual report's 学法 section: figures, sentences in the seed reports' register, a table."""
from __future__ import annotations

from intranet.hookspecs import ReportChart, ReportFragment, ReportTable
from intranet.reports.formatting import NUMBER, scope_word

from . import figures

LABELS = {
    "sessions_total": "学法活动次数", "sessions_pre_meeting": "会前学法次数", "lectures": "法治专题讲座次数",
    "trainings": "培训班期数", "attendances": "参学人次", "participants": "参学人数",
    "person_hours_total": "学时合计", "hours_per_person": "人均学时", "staff_meeting_target": "学时达标人数",
    "target_rate": "学时达标率", "departments_meeting_session_target": "学法次数达标单位数",
    "laws_studied_count": "学习法律法规部数", "plan_items": "年度学法计划事项", "plan_items_held": "计划事项已举行",
}
LABELS.update({
    "attendances": "参学人次（每次活动每人计一次）", "participants": "参学人数（参加过学法活动的人数）",
    "person_hours_total": "学时合计（已审核学时，按上限折算）",
    "hours_per_person": "人均学时（学时合计 ÷ 在岗人数）", "staff_meeting_target": "学时达标人数（在岗人员）",
    "target_rate": "学时达标率（达标人数 ÷ 在岗人数）",
})
KINDS = {"person_hours_total": NUMBER, "hours_per_person": NUMBER}
UNITS = {"sessions_total": "次", "sessions_pre_meeting": "次", "lectures": "次", "trainings": "期",
         "attendances": "人次", "participants": "人", "person_hours_total": "学时", "hours_per_person": "学时",
         "staff_meeting_target": "人", "departments_meeting_session_target": "个", "laws_studied_count": "部",
         "plan_items": "项", "plan_items_held": "项"}
DRILLABLE = ("sessions_total", "sessions_pre_meeting", "lectures", "trainings", "attendances", "participants",
             "staff_meeting_target", "departments_meeting_session_target", "laws_studied_count", "plan_items",
             "plan_items_held")


def drilldown(year: int, department) -> dict[str, str]:
    from intranet.reports.drilldown import figure_url
    return {key: figure_url("law_study.report_records", key, year, department) for key in DRILLABLE}


def charts(year: int, department, rows: list[list]) -> list[ReportChart]:
    out = []
    months = figures.sessions_by_month(year, department)
    if months:
        out.append(ReportChart("学法活动次数（按月）", [f"{m}月" for m in range(1, 13)],
                               [months.get(m, 0) for m in range(1, 13)], by="month", kind="line", unit="次"))
    active = sorted((r for r in rows if r[1]), key=lambda r: -r[1])
    if len(active) > 1:
        out.append(ReportChart("各单位学法活动次数", [r[0] for r in active], [r[1] for r in active],
                               by="department", unit="次"))
    return out



def paragraphs(year: int, department, f: dict, laws: list[str]) -> list[str]:
    parts = []
    for key, text in (("sessions_pre_meeting", "会前学法{}次"), ("lectures", "法治专题讲座{}次"),
                      ("trainings", "培训班{}期")):
        if f[key]:
            parts.append(text.format(f[key]))
    others = f["sessions_total"] - f["sessions_pre_meeting"] - f["lectures"] - f["trainings"]
    if others:
        parts.append(f"集中学法等其他学法活动{others}次")
    sentence = f"{year}年，{scope_word(department)}共组织" + "、".join(parts) if parts else ""
    if sentence and f["attendances"]:
        sentence += f"，参学{f['attendances']}人次"
    tail = []
    if f["hours_per_person"]:
        tail.append(f"人均学时{f['hours_per_person']:g}学时")
    if f["staff_meeting_target"]:
        tail.append(f"{f['staff_meeting_target']}人达到年度学时要求，达标率{f['target_rate'] * 100:.1f}%")
    if tail:
        sentence = (sentence + "，" if sentence else f"{year}年，{scope_word(department)}") + "，".join(tail)
    if laws:
        more = "等" if f["laws_studied_count"] > len(laws) else ""
        sentence = (sentence + "；" if sentence else f"{year}年，{scope_word(department)}") + \
            f"先后组织学习了{''.join(laws)}{more}{f['laws_studied_count']}部法律法规"
    out = [sentence + "。"] if sentence else []
    if f["plan_items"]:
        out.append(f"各单位年度学法计划共安排学习事项{f['plan_items']}项，已按计划举行{f['plan_items_held']}项。")
    return out


def build(year: int, department, figures_only: bool = False) -> ReportFragment:
    """The section; with ``figures_only`` its figures and labels alone (no sentences, table, charts)."""
    tally = figures.HoursTally(year, department)
    f = figures.compute(year, department, tally)
    out = ReportFragment("law_study", "law_study", "领导干部和工作人员学法", order=20, figures=f, labels=LABELS,
                         kinds=KINDS, units=UNITS)
    if figures_only:
        return out
    rows = figures.by_department(year, department, tally)
    out.tables = [ReportTable("各单位学法情况", ["单位", "学法活动", "会前学法", "法治专题讲座", "培训班", "参学人次", "学时合计"],
                              rows)] if rows else []
    out.paragraphs = paragraphs(year, department, f, figures.top_laws(year, department))
    out.drilldown = drilldown(year, department)
    out.charts = charts(year, department, rows)
    return out
