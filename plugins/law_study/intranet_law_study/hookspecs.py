"""The hook this plugin defines, so that others (exams requiring hours before an exam) can ask
without importing it; they call ``get_pm().hook.study_hours(person=…, year=…)``."""
from intranet.hookspecs import hookspec


@hookspec
def study_hours(person, year):
    """Return {"plugin": str, "year": int, "hours": float, "target": int, "met": bool,
    "by_source": {source: hours}}: the person's credited study hours (学时) in ``year``."""
