"""Hooks the certificates plugin asks other plugins (they answer with ``@hookimpl(optionalhook=True)``)."""
from intranet.hookspecs import hookspec


@hookspec
def certificate_prerequisites(person):
    """Return a list of dicts {"plugin": str, "key": str, "label": str, "met": bool, "detail": str}
    describing prerequisites for an enforcement certificate that this plugin can judge
    (e.g. the exams plugin: 行政执法资格考试 passed within the configured years)."""
