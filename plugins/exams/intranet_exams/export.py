"""成绩册: one row per registration with the best attempt, as an Excel workbook."""
from __future__ import annotations

import io

from sqlalchemy import and_, case, func, select

from intranet.extensions import db
from intranet.hookspecs import ExportKind
from intranet.idnumber import mask_id_number
from intranet.models import Department, Person
from intranet.spreadsheets import WorkbookWriter

from .models import Exam, ExamResult, Exemption, Registration

HEADER = ["考试编号", "考试名称", "考试类型", "单位", "姓名", "身份证号", "报名状态", "参考状态", "最好成绩",
          "是否合格", "考试次数"]


def _rows(exam_ids=None, scope=None):
    best = (select(ExamResult.exam_id, ExamResult.person_id,
                   func.max(ExamResult.score).label("score"),
                   func.max(case((ExamResult.passed.is_(True), 1), else_=0)).label("passed"),
                   func.max(case((ExamResult.status == "参考", 1), else_=0)).label("sat"),
                   func.max(case((ExamResult.status == "缺考", 1), else_=0)).label("absent"),
                   func.count().label("attempts"))
            .group_by(ExamResult.exam_id, ExamResult.person_id).subquery())
    exm = (select(Exemption.exam_id, Exemption.person_id).where(Exemption.status == "已批准")
           .group_by(Exemption.exam_id, Exemption.person_id).subquery())
    stmt = (select(Exam.code, Exam.name, Exam.kind, Exam.part, Department.name, Person.name, Person.id_number,
                   Registration.status, best.c.score, best.c.passed, best.c.sat, best.c.absent, best.c.attempts,
                   exm.c.person_id.label("exempt"))
            .select_from(Registration)
            .join(Exam, Exam.id == Registration.exam_id)
            .join(Person, Person.id == Registration.person_id)
            .join(Department, Department.id == Registration.department_id)
            .outerjoin(best, and_(best.c.exam_id == Registration.exam_id, best.c.person_id == Registration.person_id))
            .outerjoin(exm, and_(exm.c.exam_id == Registration.exam_id, exm.c.person_id == Registration.person_id))
            .where(Registration.status != "已取消")
            .order_by(Exam.code, Department.path, Person.name_key, Person.name))
    if exam_ids is not None:
        stmt = stmt.where(Registration.exam_id.in_(list(exam_ids)))
    if scope is not None:
        stmt = stmt.where(scope)
    return db.session.execute(stmt.execution_options(yield_per=2000))


def results_workbook(exam_ids=None, scope=None, full_id: bool = False) -> io.BytesIO:
    writer = WorkbookWriter()
    ws = writer.sheet("成绩册")
    ws.append(HEADER)
    for (code, name, kind, part, dept, person, id_number, reg_status, score, passed, sat, absent,
         attempts, exempt) in _rows(exam_ids, scope):
        if exempt:
            state = "免考"
        elif sat:
            state = "参考"
        elif absent:
            state = "缺考"
        else:
            state = "未录入"
        shown = id_number if full_id else mask_id_number(id_number)
        ws.append([code, name, kind + (f"（{part}）" if part else ""), dept, person,
                   ws.cell(shown, number_format="@"), reg_status, state,
                   score if sat else None, ("合格" if passed else "不合格") if sat else "", attempts or 0])
    return io.BytesIO(writer.save())


def write_all(path, department=None) -> None:
    """``intranet export exam-results``: every registration in ``department``'s subtree (command line)."""
    scope = department.subtree_filter(Registration.department_id) if department is not None else None
    data = results_workbook(scope=scope, full_id=True)
    with open(path, "wb") as fh:
        fh.write(data.getvalue())


def export_kinds() -> list[ExportKind]:
    return [ExportKind(plugin="exams", name="exam-results", label="考试成绩册", write=write_all)]
