"""The one way the system reads an uploaded .xlsx: check the zip before openpyxl sees it.

An .xlsx is a zip of XML parts. A crafted one can be small on disk and huge once expanded
(a zip bomb, one enormous shared string, a declared range of 17 billion cells, a million empty
rows). :func:`check_xlsx` looks only at the zip directory and streams the XML of the first sheet
and of the shared strings in chunks, so a refusal costs well under a second and little memory;
:func:`open_first_sheet` then hands the first sheet to openpyxl (read-only) and yields rows of a
fixed width, so a stray cell in column XFD cannot make every row 16,384 values wide.
"""
from __future__ import annotations

import html
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

# openpyxl is imported where it is used: it (and numpy, which it loads) costs every command and
# worker start about 0.3 s otherwise.

from ..zipcheck import check_members

MB = 1024 * 1024
CHUNK = 1024 * 1024
INDEX_PART_BYTES = 5 * MB  # the parts read to find the sheets: content types, workbook, its relations
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row(?=[\s/>])[^>]*")  # any namespace prefix
ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\s*(\d+)""")
DIMENSION = re.compile(rb"""<(?:[A-Za-z_][\w.-]{0,30}:)?dimension\s[^>]*?ref\s*=\s*["']([^"']{1,40})["']""")
NOT_XLSX = "无法读取文件：不是有效的 .xlsx 文件（可能只是改了扩展名），请在 Excel 中另存为 .xlsx 后重新上传"


class SpreadsheetError(ValueError):
    """An uploaded spreadsheet was refused; ``str(exc)`` is the Chinese message for the user."""


@dataclass(frozen=True)
class Limits:
    """What an uploaded .xlsx may contain; ``from_config`` reads the ``XLSX_*`` settings."""
    max_unzipped_bytes: int = 300 * MB   # all parts together, expanded
    max_part_bytes: int = 50 * MB        # any part but the first sheet (shared strings, styles, ...)
    max_ratio: int = 100                 # expanded size / compressed size of a part over 1 MB
    max_rows: int = 200_000              # data rows of the first sheet (the header row is not counted)
    max_columns: int = 500
    max_cell_chars: int = 32_767         # Excel's own limit for one cell

    @classmethod
    def from_config(cls, config=None) -> "Limits":
        if config is None:
            from flask import current_app, has_app_context
            config = current_app.config if has_app_context() else {}
        defaults = cls()
        return cls(
            max_unzipped_bytes=int(config.get("XLSX_MAX_UNZIPPED_MB", defaults.max_unzipped_bytes // MB) * MB),
            max_part_bytes=int(config.get("XLSX_MAX_PART_MB", defaults.max_part_bytes // MB) * MB),
            max_ratio=int(config.get("XLSX_MAX_RATIO", defaults.max_ratio)),
            max_rows=int(config.get("XLSX_MAX_ROWS", defaults.max_rows)),
            max_columns=int(config.get("XLSX_MAX_COLUMNS", defaults.max_columns)),
            max_cell_chars=int(config.get("XLSX_MAX_CELL_CHARS", defaults.max_cell_chars)),
        )


def _too_many_rows(limits: Limits) -> SpreadsheetError:
    return SpreadsheetError(f"第一个工作表超过 {limits.max_rows} 行数据（表头行不计），请拆分后分批导入")


def _too_long(limits: Limits) -> SpreadsheetError:
    return SpreadsheetError(f"文件中有单元格内容超过 {limits.max_cell_chars} 个字符，请检查文件")


def load_workbook(*args, **kwargs):
    """openpyxl's ``load_workbook``, imported on first use."""
    from openpyxl import load_workbook as load
    return load(*args, **kwargs)


def _parts(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """(first worksheet, shared strings): the zip members that openpyxl will read as
    ``worksheets[0]`` and as the shared strings, found the way ``load_workbook`` finds them."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.packaging.workbook import WorkbookPackage
    from openpyxl.reader.excel import _find_workbook_part  # the very lookup load_workbook uses
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
    from openpyxl.xml.functions import fromstring  # defusedxml's, since it is installed
    try:
        package = Manifest.from_tree(fromstring(_index_part(archive, ARC_CONTENT_TYPES)))
        workbook_part = _find_workbook_part(package).PartName[1:]
        workbook = WorkbookPackage.from_tree(fromstring(_index_part(archive, workbook_part)))
        rels_path = get_rels_path(workbook_part)
        _index_part(archive, rels_path)
        rels = get_dependents(archive, rels_path)
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError(NOT_XLSX) from None
    names = set(archive.namelist())
    sheet = None
    for entry in workbook.sheets:
        rel = rels.get(entry.id) if entry.id else None
        if rel is not None and rel.target in names and "chartsheet" not in rel.Type:
            sheet = rel.target
            break
    if sheet is None:
        raise SpreadsheetError("文件中没有工作表")
    strings = package.find(SHARED_STRINGS)
    strings = strings.PartName[1:] if strings is not None else None
    if strings == sheet:
        raise SpreadsheetError(NOT_XLSX)
    return sheet, strings


def _index_part(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > INDEX_PART_BYTES:
        raise SpreadsheetError(f"文件中的“{name}”过大，已拒绝")
    return archive.read(name)


def _check_sizes(archive: zipfile.ZipFile, sheet: str, limits: Limits) -> None:
    """Sizes from the zip directory (the first sheet is bounded by its row count instead)."""
    check_members(archive, max_total=limits.max_unzipped_bytes, max_member=limits.max_part_bytes,
                  max_ratio=limits.max_ratio, exempt=(sheet,), error=SpreadsheetError,
                  too_big_advice="，请拆分后分批导入")


def _check_dimension(head: bytes, limits: Limits) -> None:
    from openpyxl.utils.cell import range_boundaries
    match = DIMENSION.search(head)
    if not match:
        return
    ref = match.group(1).decode("ascii", "replace")
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return  # openpyxl ignores a dimension it cannot read, and we count the rows anyway
    if max_col and max_col > limits.max_columns:
        raise SpreadsheetError(f"第一个工作表的范围 {ref} 超过 {limits.max_columns} 列，请删除多余的行列后重新上传")
    if max_row and max_row > limits.max_rows + 1:  # + the header row
        raise _too_many_rows(limits)


def _check_text_runs(buf: bytes, limits: Limits) -> None:
    """No XML text node may hold more than ``max_cell_chars`` characters. ``<`` never occurs in text,
    and a run without ``<`` longer than ``cap`` covers a whole aligned window of ``cap // 2`` bytes,
    so only such windows are looked at closely."""
    cap = limits.max_cell_chars
    step = max(cap // 2, 1)
    start = 0
    while start + step <= len(buf):
        if buf.find(b"<", start, start + step) != -1:
            start += step
            continue
        begin = buf.rfind(b"<", 0, start) + 1
        end = buf.find(b"<", start + step)
        end = len(buf) if end == -1 else end
        if end - begin > cap:
            text = buf[begin:end].split(b">", 1)[-1].decode("utf-8", "replace")
            if len(html.unescape(text)) > cap:
                raise _too_long(limits)
        start = end


def _stream(archive: zipfile.ZipFile, part: str, limits: Limits) -> Iterator[bytes]:
    """The part's bytes in pieces that end just before a ``<``, so no tag or text node is split."""
    longest_run = 8 * limits.max_cell_chars + CHUNK  # 8 bytes is more than any character or entity
    with archive.open(part) as fh:
        carry = b""
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                if carry:
                    yield carry
                return
            buf = carry + chunk
            cut = buf.rfind(b"<")
            if cut <= 0:  # one text node longer than a chunk: keep it whole, up to a bound
                if len(buf) > longest_run:
                    raise _too_long(limits)
                carry = buf
                continue
            yield buf[:cut]
            carry = buf[cut:]


def _check_sheet(archive: zipfile.ZipFile, part: str, limits: Limits) -> None:
    """Stream the sheet's XML: declared range, number of rows (and the highest row number), cell text."""
    rows = highest = 0
    first = True
    for piece in _stream(archive, part, limits):
        if first:
            _check_dimension(piece[:64 * 1024], limits)
            first = False
        _check_text_runs(piece, limits)
        for match in ROW_TAG.finditer(piece):
            rows += 1
            number = ROW_NUMBER.search(match.group(0))
            if number:
                highest = max(highest, int(number.group(1)))
            if max(rows, highest) > limits.max_rows + 1:  # + the header row
                raise _too_many_rows(limits)


def check_xlsx(stream, limits: Limits | None = None) -> str:
    """Refuse (``SpreadsheetError``) an .xlsx that is not one or that exceeds ``limits``;
    return the zip member of its first worksheet."""
    limits = limits or Limits.from_config()
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            sheet, strings = _parts(archive)
            _check_sizes(archive, sheet, limits)
            _check_sheet(archive, sheet, limits)
            if strings is not None:
                for piece in _stream(archive, strings, limits):
                    _check_text_runs(piece, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, NotImplementedError, EOFError, OSError):
        raise SpreadsheetError(NOT_XLSX) from None
    finally:
        stream.seek(0)
    return sheet


class Sheet:
    """The first sheet of a checked workbook, read row by row."""

    def __init__(self, worksheet, limits: Limits):
        self.worksheet = worksheet
        self.limits = limits

    def rows(self, width: int, min_row: int = 1, max_row: int | None = None) -> Iterator[tuple[int, list[Any]]]:
        """``(row number, exactly ``width`` values)`` for each row from ``min_row``."""
        width = max(1, min(width, self.limits.max_columns))
        rows = self.worksheet.iter_rows(min_row=min_row, max_row=max_row, max_col=width, values_only=True)
        number = min_row - 1
        while True:
            try:
                values = next(rows, None)
            except Exception:  # the parser met broken XML or a value it cannot read
                raise SpreadsheetError(f"无法读取文件：第一个工作表第 {number + 1} 行附近的内容已损坏，"
                                       "请在 Excel 中另存为 .xlsx 后重新上传") from None
            if values is None:
                return
            number += 1
            values = list(values)
            values += [None] * (width - len(values))
            for v in values:
                if isinstance(v, str) and len(v) > self.limits.max_cell_chars:
                    raise _too_long(self.limits)
            yield number, values


@contextmanager
def open_first_sheet(stream, limits: Limits | None = None) -> Iterator[Sheet]:
    """Check ``stream`` with :func:`check_xlsx`, then yield its first sheet (values, not formulas)."""
    limits = limits or Limits.from_config()
    checked = check_xlsx(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception:
        raise SpreadsheetError(NOT_XLSX) from None
    try:
        if not workbook.worksheets:
            raise SpreadsheetError("文件中没有工作表")
        worksheet = workbook.worksheets[0]
        if getattr(worksheet, "_worksheet_path", None) != checked:  # never parse a sheet that was not checked
            raise SpreadsheetError(NOT_XLSX)
        worksheet.reset_dimensions()  # the declared range was checked; never pad rows to it
        yield Sheet(worksheet, limits)
    finally:
        workbook.close()
