"""The core's models. Plugins define their own in their packages."""
from .audit import AuditEvent
from .job import Job, JobRowError
from .org import DEPARTMENT_KINDS, PERSON_STATUSES, STAFFING_TYPES, Department, Person
from .report import ReportSnapshot
from .report_submission import ReportDraft, ReportReview, ReportVersion, ReportVersionFile
from .setting import Setting
from .stored import StoredFigure
from .user import ROLES, User



def core_tables() -> frozenset[str]:
    """The core's table names, read from its models (every model mapped under ``intranet.models``)."""
    from ..extensions import db
    return frozenset(m.local_table.name for m in db.Model.registry.mappers
                     if m.class_.__module__.startswith(f"{__name__}."))


__all__ = [
    "core_tables", "AuditEvent", "Job", "JobRowError", "Department", "Person", "ReportSnapshot", "ReportDraft", "ReportVersion", "ReportVersionFile",
    "ReportReview", "Setting", "StoredFigure", "User",
    "DEPARTMENT_KINDS", "PERSON_STATUSES", "STAFFING_TYPES", "ROLES",
]
