"""The annual report: fragments from every plugin, assembled for a year and a department subtree."""
from .views import bp

__all__ = ["bp"]
