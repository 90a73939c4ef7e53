"""考试 (exams): exam records, registration, results, question bank and online exams."""
DESCRIPTION = "考试：报名、成绩、参考率与通过率、题库与在线考试"
