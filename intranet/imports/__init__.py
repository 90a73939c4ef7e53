"""Excel imports: column specs, parsing, all-or-nothing application and row-level error reports.

A plugin offers an import through the ``import_kinds`` hook by returning :class:`ImportKind`
objects; the core gives each a template download, an upload page and ``intranet import KIND``.
"""
from .framework import (Column, ImportContext, ImportError_, ImportKind, ImportResult, ParsedRow,
                        RowError, all_import_kinds, get_import_kind, run_import, template_workbook)
from .views import bp

__all__ = ["Column", "ImportContext", "ImportError_", "ImportKind", "ImportResult", "ParsedRow", "RowError",
           "all_import_kinds", "get_import_kind", "run_import", "template_workbook", "bp"]
