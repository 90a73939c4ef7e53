"""The plugin's configurable rules (deployment-wide), stored as Settings under "law_study.<key>"."""
from __future__ import annotations

from intranet.models import Setting

LAWS = ["《宪法》", "《民法典》", "《行政处罚法》", "《行政许可法》", "《行政强制法》", "《行政复议法》",
        "《行政诉讼法》", "《国家赔偿法》", "《政府信息公开条例》", "《重大行政决策程序暂行条例》",
        "《优化营商环境条例》", "《安全生产法》", "《保守国家秘密法》", "《监察法》", "《公职人员政务处分法》"]

DEFAULTS = {
    "person_hours_target": 40,          # 学时 per person per year
    "enforcement_hours_target": 0,      # 0: enforcement staff have the same target as everyone
    "pre_meeting_target": 4,            # 会前学法 sessions per department per year
    "lecture_target": 2,                # 法治专题讲座 per department per year
    "self_study_cap_hours": 20,         # self-study counts at most this many hours a year
    "external_cap_hours": 0,            # 外部培训 hours a year (0: no cap)
    "exam_pass_hours": 2,               # 学时 credited for an exam passed, when the exams plugin names none
    "exam_cap_hours": 0,                # 考试合格 hours a year (0: no cap)
    "day_cap_hours": 8,                 # at most this many hours credited per person and day
    "prerequisite_months": 12,          # certificate prerequisite: training hours in the last N months …
    "prerequisite_hours": 0,            # … at least this many (0: not asked)
    "approval_flow": False,             # 会前学法 topics: submitted ahead, reviewed by the 司法局, approved by the leader
    "submit_days_ahead": 5,             # … at least this many days before the session
    "speaker_max_minutes": 30,          # a longer speaker time is a warning
    "evidence_max_mb": 10,              # largest evidence upload
    "plan_due_month": 3,                # the 年度学法计划 is due by the end of this month (first quarter)
    "laws": LAWS,
}
LABELS = {
    "person_hours_target": "每人每年学法学时目标（学时）",
    "enforcement_hours_target": "执法人员每年学时目标（学时，0 表示与上项相同）",
    "pre_meeting_target": "各单位每年会前学法次数目标",
    "lecture_target": "各单位每年法治专题讲座次数目标",
    "self_study_cap_hours": "自学每年最多计入学时",
    "external_cap_hours": "外部培训每年最多计入学时（0 表示不限）",
    "exam_pass_hours": "每通过一场考试计入学时（考试未规定学时时）",
    "exam_cap_hours": "考试合格每年最多计入学时（0 表示不限）",
    "day_cap_hours": "每人每天最多计入学时",
    "prerequisite_months": "申领执法证：统计最近几个月的学时",
    "prerequisite_hours": "申领执法证：上述期间至少应有学时（0 表示不要求）",
    "approval_flow": "会前学法选题须报审（提前报送、司法局审核、领导批准后方可举行）",
    "submit_days_ahead": "会前学法选题至少提前几天报送",
    "speaker_max_minutes": "主讲时长提醒（分钟，超过时提示）",
    "evidence_max_mb": "佐证材料单个文件上限（MB）",
    "plan_due_month": "年度学法计划应于当年几月底前制定",
    "laws": "法律目录（每行一部）",
}


def get(key: str):
    value = Setting.get(f"law_study.{key}", None)
    return DEFAULTS[key] if value is None else value


def put(key: str, value) -> None:
    Setting.put(f"law_study.{key}", value)


def target_hours(enforcement_post: bool) -> int:
    special = int(get("enforcement_hours_target") or 0)
    return special if enforcement_post and special else int(get("person_hours_target"))


def normalise_law(name: str) -> str:
    """"民法典", "《民法典》" and "《中华人民共和国民法典》" are one law; names are kept with their 《》."""
    core = (name or "").strip().strip("《》").strip()
    if core.startswith("中华人民共和国") and len(core) > 7:
        core = core[7:]
    return f"《{core}》" if core else ""


def split_laws(text: str) -> list[str]:
    """Names separated by 、，, ; or new lines, normalised, without repeats."""
    import re
    parts = re.split(r"[、，,;；\n]+|(?<=》)(?=《)", text or "")
    return list(dict.fromkeys(n for n in (normalise_law(p) for p in parts) if n))


def known_laws() -> set[str]:
    return {normalise_law(n) for n in get("laws")}
