"""Every hook the core calls. Plugins implement them with ``@hookimpl``.

Each hook returns plain data. Because pluggy does not say which plugin returned what, results
that the core shows or stores name their plugin; the dataclasses below carry that name.
The plugin-author guide (docs/plugins.md) has one section per hook.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("intranet")
hookimpl = pluggy.HookimplMarker("intranet")


@dataclass
class NavItem:
    """A link in the main navigation. ``roles`` limits who sees it (empty: every logged-in user)."""
    plugin: str
    label: str
    endpoint: str
    order: int = 100
    roles: tuple[str, ...] = ()
    url_args: dict = field(default_factory=dict)


@dataclass
class Widget:
    """A dashboard card: a title, a few figures and optional links."""
    plugin: str
    title: str
    order: int = 100
    figures: list[tuple[str, Any]] = field(default_factory=list)   # (label, value)
    links: list[tuple[str, str]] = field(default_factory=list)     # (label, url)
    html: str = ""     # shown as HTML only when markupsafe.Markup; a plain string is escaped


@dataclass
class PersonSection:
    """A section of a person's one-page 学法档案."""
    plugin: str
    title: str
    order: int = 100
    figures: list[tuple[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    empty_text: str = "暂无记录"
    # Actions the viewer may take on this person, e.g. ("申领行政执法证", url): shown as buttons, not printed.
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DepartmentSection(PersonSection):
    """A section of a department's page (its advisers, its certificates …); shown like a PersonSection."""


@dataclass
class ReportTable:
    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class ReportChart:
    """A chart a fragment offers: one series of ``values`` over ``labels``.

    ``by`` says what the labels are ("department", "month" or "kind"); ``kind`` is "bar" (the
    default, horizontal for departments), "line" (months) or "pie". ``unit`` names the values ("人").
    """
    title: str
    labels: list[str]
    values: list[float]
    by: str = "kind"
    kind: str = "bar"
    unit: str = ""


@dataclass
class ReportFragment:
    """One plugin's section of the annual report.

    ``figures`` is a flat dict with stable keys (values are numbers, or dicts of numbers);
    ``paragraphs`` are sentences in the register of the seed reports; ``labels`` gives the
    Chinese name of each figure key for the documents people read (HTML, Word, Excel). Labels
    are presentation only: the JSON report carries the keys alone. So are ``kinds`` (figure key →
    "rate" | "count" | "number"; keys ending in ``_rate`` are rates anyway), ``units`` (key → "人"),
    ``drilldown`` (key → URL of the list of the records behind the figure, filtered exactly as
    counted) and ``charts`` (:class:`ReportChart`).
    """
    plugin: str
    key: str
    title: str
    order: int = 100
    figures: dict[str, Any] = field(default_factory=dict)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    drilldown: dict[str, str] = field(default_factory=dict)
    charts: list[ReportChart] = field(default_factory=list)


@dataclass
class Permission:
    """A named permission and the roles that hold it."""
    plugin: str
    name: str
    label: str
    roles: tuple[str, ...]


@dataclass
class AuditLabels:
    """How the audit log names a plugin's records: Chinese labels of its ``audit.record`` actions
    and object types, and for each object type the page showing one record (``(endpoint, id
    argument)``, e.g. ``("certificates.detail", "cert_id")``)."""
    plugin: str
    actions: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class ScheduledJob:
    """A job run by ``intranet jobs run`` (cron calls it); ``schedule`` is informative ("daily")."""
    plugin: str
    name: str
    func: Callable[[], Any]
    schedule: str = "daily"
    description: str = ""


@dataclass
class ExportKind:
    """A file ``intranet export KIND --output FILE`` writes; ``write(path, department)``.

    ``roles`` may start it on the web (/exports/, as a job for their department scope; empty: the
    command line only). With ``progress``, ``write`` also takes ``progress=callback`` and calls
    ``callback(done, total)`` as it goes (the progress bar of the job page and of the CLI).
    """
    plugin: str
    name: str
    label: str
    write: Callable[..., Any]
    roles: tuple[str, ...] = ()
    progress: bool = False


@dataclass
class AccessSamples:
    """Test support: records of one department that users of a sibling department must not use.

    ``ids`` maps a URL argument name of the plugin's routes (``cert_id``) to the id of a record
    of that department. ``shared`` maps an endpoint to the reason why a sibling department may
    legitimately open it with these ids (a bureau-wide exam anyone may register people for);
    the access walk then accepts any answer but a 5xx or a change of data there.

    For the query-count walk (tests/test_query_counts.py): ``values`` gives the plugin's other URL
    arguments (a certificate number, a kind name), ``query`` the query-string arguments a page
    needs (endpoint → arguments), and ``grow(n)`` adds ``n`` more rows under
    each sample record that heads a list (the registrations of the exam, the attendance of the
    session, the services of the contract), so that every detail page has more rows to show.
    """
    plugin: str
    ids: dict[str, int] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    grow: Callable[[int], None] | None = None


@hookspec(historic=True)
def configure_app(app):
    """Called once when the plugin is registered: set config defaults, template globals, etc.

    Returns nothing.
    """


@hookspec
def register_blueprints(app):
    """Register the plugin's blueprints on ``app``. Returns nothing."""


@hookspec
def register_models():
    """Return the plugin's model classes (list). Their tables must be prefixed ``<plugin>_``."""


@hookspec
def register_permissions():
    """Return a list of :class:`Permission` the plugin checks."""


@hookspec
def nav_items(user):
    """Return a list of :class:`NavItem` for the logged-in ``user``."""


@hookspec
def public_links():
    """Return a list of :class:`NavItem` for pages open to the public (the login page shows them).

    ``roles`` is not used: the links are for people who are not logged in.
    """


@hookspec
def dashboard_widgets(user):
    """Return a list of :class:`Widget` for ``user``'s dashboard, scoped to what they may see."""


@hookspec
def person_sections(person, viewer):
    """Return a list of :class:`PersonSection` for ``person``'s 学法档案 as seen by ``viewer``."""


@hookspec
def department_sections(department, viewer):
    """Return a list of :class:`DepartmentSection` for ``department``'s page as seen by ``viewer``."""


@hookspec
def report_fragments(year, department, figures_only):
    """Return a :class:`ReportFragment` (or a list of them) for ``year`` and ``department``'s subtree.

    ``department`` is a Department; the figures cover it and every department below it.
    With ``figures_only`` (True when the core wants the figures alone: the previous year's column,
    the comparison with a submitted version) the plugin may leave out ``paragraphs``, ``tables``,
    ``charts`` and ``drilldown``; the figures must be the same as in the full fragment. An
    implementation that does not declare ``figures_only`` is not given it and returns its full
    fragment. Declare it without a default: the core passes a hook implementation only the
    arguments it declares without one (whether pluggy passes one with a default depends on its
    version). docs/plugins.md, report_fragments, says more.
    """


@hookspec
def import_kinds():
    """Return a list of :class:`intranet.imports.ImportKind` (Excel imports with their columns)."""


@hookspec
def export_kinds():
    """Return a list of :class:`ExportKind` for ``intranet export``."""


@hookspec
def register_cli_commands(cli):
    """Add click commands or groups to the ``intranet`` command group ``cli``. Returns nothing."""


@hookspec
def scheduled_jobs():
    """Return a list of :class:`ScheduledJob`."""


@hookspec
def demo_data(scale, context):
    """Add the plugin's demo records for ``scale`` ("small", "city" or "province").

    ``context`` is a :class:`intranet.demo.DemoContext` with the departments and people the core
    made and a seeded random generator. Use bulk inserts. Returns nothing.
    """


@hookspec
def migration_dirs():
    """Return a list of paths to the plugin's alembic ``versions`` folders."""


@hookspec
def audit_labels():
    """Return an :class:`AuditLabels`: the Chinese names of the plugin's audit actions and object
    types, and the pages that show its records, for the audit log and its filters."""


@hookspec
def access_samples(department):
    """Test support: return :class:`AccessSamples` with one record (flushed) per kind of id the
    plugin's routes take, each belonging to ``department``.

    The access walk (``intranet.access_walk``) opens every route with these ids as users of a
    sibling department and expects 403 and no change. Called only by tests.
    """
