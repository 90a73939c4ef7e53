"""The hook this plugin defines: a plugin that records 法治讲座 (law_study) can offer its sessions,
so that a 法治讲座 in the service log is linked to the session it was (no import between plugins)."""
from intranet.hookspecs import hookspec


@hookspec
def adviser_lecture_sessions(department, day):
    """Return a list of {"ref": str, "label": str}: the lectures (法治讲座) of ``department`` held on
    or around ``day`` that a service entry may be linked to. ``ref`` is stable and unique across
    plugins (e.g. "law_study:42"); ``label`` is shown and kept with the service entry."""
