"""The hook this plugin defines, so that others (exams requiring hours before an exam) can ask
without importing it; they call ``get_pm().hook.study_hours(person=…, year=…)``."""
from intranet.hookspecs import hookspec


@hookspec
def study_hours(person, year):
    """Return {"plugin": str, "year": int, "hours": float, "target": int, "met": bool,
    "by_source": {source: hours}}: the person's credited study hours (学时) in ``year``."""


@hookspec
def exam_passes(person, year):
    """Return a list of exams passed in ``year``, for the 学时台账 to credit (source 考试合格).

    Each item is {"plugin": str, "ref": str, "person_id": int, "exam": str, "day": date,
    "hours": float | None}: ``ref`` names the pass for good (the same pass always gives the same
    ref, at most 80 characters), ``day`` is when it was passed, ``hours`` what it is worth (None:
    the law_study setting 每通过一场考试计入学时). ``person`` None asks for everyone's passes in
    ``year`` (the year closing and the nightly sync ask so); otherwise only that person's.
    The exams plugin answers it (optionalhook) without importing this plugin.
    """
