"""Synthetic assembled reports for the export tests (the JSON contract, plus labels)."""
from __future__ import annotations

PARAGRAPH = ("全县坚持把领导干部学法作为推进法治政府建设的基础性工作，制定年度学法计划，"
             "组织会前学法和法治专题讲座，推动领导干部带头尊法学法守法用法，"
             "各乡镇和县直部门按照计划开展集中学法活动，学法制度化、常态化水平进一步提升。")
ID_NUMBER = "130821198506120014"


def sample_report(year: int = 2025, *, code: str = "X01", name: str = "永安县", paragraphs: int = 6,
                  rows: int = 3, texts: dict | None = None, **extra) -> dict:
    fragments = [
        {"plugin": "law_study", "key": "law_study", "title": "领导干部和工作人员学法",
         "figures": {"sessions_total": 48, "participants": 1200, "target_rate": 0.6561,
                     "hours_per_person": 12.5},
         "paragraphs": [PARAGRAPH] * paragraphs,
         "tables": [{"title": "各单位学法情况", "columns": ["单位", "学法次数", "参学人数"],
                     "rows": [[f"第{i + 1}单位", i, i * 10] for i in range(rows)]}]},
        {"plugin": "exams", "key": "exams", "title": "学法考试与执法资格考试",
         "figures": {"exams_held": 3, "pass_rate": 0.925,
                     "by_kind": {"执法资格考试": {"sat": 40, "pass_rate": 0.9},
                                 "年度学法考试": {"sat": 400, "pass_rate": 0.95}}},
         "paragraphs": ["全年组织各类法律知识考试3场，通过率92.5%。"],
         "tables": [{"title": "考生名单", "columns": ["姓名", "身份证号", "备注"],
                     "rows": [["张三", ID_NUMBER, f"证件{ID_NUMBER}已核"]]}]},
    ]
    report = {
        "year": year, "department": {"code": code, "name": name},
        "generated_at": f"{year + 1}-02-20T10:00:00", "fragments": fragments,
        "figure_labels": {
            "law_study.law_study": {"sessions_total": "学法活动次数", "participants": "参学人数",
                                    "target_rate": "学时达标率", "hours_per_person": "人均学时"},
            "exams.exams": {"exams_held": "举办考试场次", "pass_rate": "通过率", "by_kind": "按考试类型",
                            "sat": "参考人数"},
        },
    }
    if texts is not None:
        report["texts"] = texts
    report.update(extra)
    return report
