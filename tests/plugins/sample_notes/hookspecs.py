"""Hooks this plugin asks other plugins (they answer with ``@hookimpl(optionalhook=True)``)."""
from intranet.hookspecs import hookspec


@hookspec
def sample_notes_remarks(year, department):
    """Return a list of sentences to add to the 样例笔记 report fragment."""
