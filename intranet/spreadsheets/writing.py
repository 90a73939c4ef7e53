"""The one way the system writes a workbook: text is stored as text, never as a formula.

openpyxl turns any string that starts with ``=`` into a live formula, so a person named
``=HYPERLINK("http://…"&B3,"点此核对")`` would become a link in the roster. Every string cell is
written with the string type; one that Excel or LibreOffice would read as a formula once edited
or exported to CSV (a leading ``=``, ``+``, ``-``, ``@``, tab or CR) also gets Excel's *quote prefix*
style, the same as typing ``'`` in front of it: the cell shows the exact text and stays text when
edited. Characters that an .xlsx cannot hold (control characters) are dropped instead of failing.
"""
from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

# openpyxl is imported where it is used, so that starting a command or a worker does not load it.

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_TYPES = (int, float, Decimal, date, datetime, time)


def clean_text(value: str) -> str:
    """``value`` without the control characters an .xlsx cannot store."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    return ILLEGAL_CHARACTERS_RE.sub("", value)


class SheetWriter:
    """One sheet of a :class:`WorkbookWriter`; ``ws`` is the openpyxl sheet, for layout only
    (column widths, freeze panes, data validations, number formats of empty cells)."""

    def __init__(self, ws):
        self.ws = ws

    def cell(self, value=None, *, font=None, fill=None, number_format=None, alignment=None):
        """A styled cell for :meth:`append`; a string is always stored as text."""
        from openpyxl.cell import WriteOnlyCell
        cell = WriteOnlyCell(self.ws)
        if isinstance(value, str):
            value = clean_text(value)
            cell.value = value
            cell.data_type = "s"
            if value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
        elif value is None or isinstance(value, (bool, *PLAIN_TYPES)):
            cell.value = value
        else:
            return self.cell(str(value), font=font, fill=fill, number_format=number_format, alignment=alignment)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if number_format is not None:
            cell.number_format = number_format
        if alignment is not None:
            cell.alignment = alignment
        return cell

    def append(self, values) -> None:
        """Add a row; plain values and cells from :meth:`cell` may be mixed."""
        from openpyxl.cell.cell import Cell
        row = []
        for v in values:
            if isinstance(v, str):
                v = clean_text(v)
                if v.startswith(FORMULA_STARTS):
                    v = self.cell(v)
                # any other string is stored as text by openpyxl itself
            elif not (v is None or isinstance(v, (bool, Cell, *PLAIN_TYPES))):
                v = self.cell(v)
            row.append(v)
        self.ws.append(row)


class WorkbookWriter:
    """A workbook to download or save. ``write_only`` (the default) streams rows with little memory;
    ``write_only=False`` allows per-cell layout such as the import templates' text formats."""

    def __init__(self, write_only: bool = True):
        from openpyxl import Workbook
        self.workbook = Workbook(write_only=write_only)
        self._unused_first = None if write_only else self.workbook.active

    def sheet(self, title: str) -> SheetWriter:
        if self._unused_first is not None:
            ws, self._unused_first = self._unused_first, None
            ws.title = title[:31]
        else:
            ws = self.workbook.create_sheet(title[:31])
        return SheetWriter(ws)

    def save(self, target=None) -> bytes | None:
        """Write to ``target`` (a path or binary file); without one, return the bytes."""
        if target is not None:
            self.workbook.save(target)
            return None
        out = io.BytesIO()
        self.workbook.save(out)
        return out.getvalue()
