"""The core's models. Plugins define their own in their packages."""
from .audit import AuditEvent
from .org import DEPARTMENT_KINDS, PERSON_STATUSES, STAFFING_TYPES, Department, Person
from .report import ReportSnapshot
from .setting import Setting
from .user import ROLES, User

__all__ = [
    "AuditEvent", "Department", "Person", "ReportSnapshot", "Setting", "User",
    "DEPARTMENT_KINDS", "PERSON_STATUSES", "STAFFING_TYPES", "ROLES",
]
