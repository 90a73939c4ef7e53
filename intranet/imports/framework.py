from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable

from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..idnumber import check_id_number
from ..inputs import DB_INT_MAX, XML_FORBIDDEN_RE, date_range_error
from ..spreadsheets import SpreadsheetError, WorkbookWriter, open_first_sheet

TEXT_FORMAT = "@"
CONFLICT = "数据已被另一个同时进行的导入修改，本次导入未作任何更改，请重新上传核对"
PG_CONFLICTS = {"23505", "40001", "40P01"}
SQLITE_CONFLICTS = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_BUSY")
CONTROL_CELL = "含有无效字符（不可见的控制字符，常见于从其他软件复制的文字），请删除后重新导入"
TRUE_WORDS = {"是": True, "否": False, "Y": True, "N": False, "y": True, "n": False}


@dataclass
class Column:
    """One column of an import file.

    ``kind``: text, int, number, date, bool (是/否), choice (one of ``choices``), id_number.
    """
    name: str
    kind: str = "text"
    required: bool = True
    choices: list[str] | None = None
    help: str = ""
    max_length: int | None = None


@dataclass
class RowError:
    row: int          # spreadsheet row number (header is row 1); 0 for file-level errors
    column: str       # column name, or "" for the whole row/file
    message: str      # Chinese


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)   # columns whose cell failed to parse (value None)


@dataclass
class ImportResult:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    raw_header: list[str] = field(default_factory=list)
    raw_rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"导入失败：共 {len(self.errors)} 处错误，数据未作任何更改"
        verb = "校验通过（试运行，未写入）" if self.dry_run else "导入成功"
        return f"{verb}：共 {self.total_rows} 行，新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条"


class ImportError_(Exception):
    """Raised by an ImportKind's ``apply`` for a file-level problem (message in Chinese)."""


@dataclass
class ImportContext:
    """What ``ImportKind.apply`` gets besides the rows."""
    kind: "ImportKind"
    user: Any = None                  # the importing User, or None from the command line (full rights)
    dry_run: bool = False
    result: ImportResult | None = None
    progress: Callable[[int, int], None] | None = None

    def error(self, row: int, column: str, message: str) -> None:
        self.result.errors.append(RowError(row, column, message))

    def warning(self, row: int, column: str, message: str) -> None:
        self.result.warnings.append(RowError(row, column, message))

    def may_write_department(self, department) -> bool:
        """True when the importing user may change records of ``department``."""
        if self.user is None:
            return True
        if not self.user.can_write:
            return False
        if self.user.sees_everything:
            return True
        root = self.user.department
        return root is not None and department.is_within(root)


@dataclass
class ImportKind:
    """An Excel import. ``apply(rows, ctx)`` validates the parsed rows against the database,
    reports problems with ``ctx.error`` and stages the changes in ``db.session`` (bulk
    statements for large files); it sets ``ctx.result.created/updated/unchanged``.
    Rows with a cell error (wrong type, bad ID number, missing value) are reported by the framework
    and not passed to ``apply`` — unless ``every_row``: then ``apply`` gets them too, with
    ``row.bad`` naming the failed columns (their values None), so it can report the row's other
    errors at once. The framework commits only when no error was reported.
    """
    plugin: str
    name: str
    label: str
    columns: list[Column]
    apply: Callable[[list[ParsedRow], ImportContext], None]
    roles: tuple[str, ...] = ("admin", "bureau")
    description: str = ""
    every_row: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def all_import_kinds(app=None) -> dict[str, ImportKind]:
    from ..plugins import flatten, get_pm
    from .core_kinds import core_import_kinds
    kinds = core_import_kinds() + flatten(get_pm(app).hook.import_kinds())
    return {k.name: k for k in kinds}


def get_import_kind(name: str) -> ImportKind | None:
    return all_import_kinds().get(name)


# --- templates ---------------------------------------------------------------------------

def template_workbook(kind: ImportKind) -> bytes:
    """The empty import file: header row, text-formatted ID/code columns, dropdowns, a 说明 sheet."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    writer = WorkbookWriter(write_only=False)
    sheet = writer.sheet(kind.label)
    ws = sheet.ws
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F0EEEA")
    sheet.append([sheet.cell(col.name, font=bold, fill=fill) for col in kind.columns])
    for i, col in enumerate(kind.columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(col.name) * 3)
        if col.kind in ("text", "id_number", "choice"):
            for r in range(2, 1002):
                ws.cell(row=r, column=i).number_format = TEXT_FORMAT
        choices = col.choices or (["是", "否"] if col.kind == "bool" else None)
        if choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=not col.required)
            dv.error, dv.errorTitle = "请从下拉列表中选择", "输入无效"
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}1001")
    ws.freeze_panes = "A2"
    notes = writer.sheet("说明")
    notes.append(["列名", "必填", "格式", "说明"])
    for col in kind.columns:
        fmt = {"text": "文本", "int": "整数", "number": "数字", "date": "日期（如 2024-03-01）",
               "bool": "是/否", "choice": "、".join(col.choices or []), "id_number": "18位身份证号（文本格式）"}[col.kind]
        notes.append([col.name, "是" if col.required else "否", fmt, col.help])
    notes.append([])
    notes.append(["请只使用第一个工作表，第一行为表头，不要修改列名。导入为全部成功或全部不导入。"])
    return writer.save()


def error_workbook(result: ImportResult) -> bytes:
    """The uploaded rows with an added 错误信息 column (file-level errors in a first line)."""
    writer = WorkbookWriter()
    ws = writer.sheet("错误报告")
    ws.append(list(result.raw_header) + ["错误信息"])
    by_row: dict[int, list[str]] = {}
    for e in result.errors:
        by_row.setdefault(e.row, []).append(f"{e.column}：{e.message}" if e.column else e.message)
    if by_row.get(0):
        ws.append([""] * len(result.raw_header) + ["；".join(by_row[0])])
    for row_number, values in result.raw_rows:
        ws.append(list(values) + ["；".join(by_row.get(row_number, []))])
    return writer.save()


# --- parsing -----------------------------------------------------------------------------

def _parse_cell(col: Column, value) -> tuple[Any, str, str]:
    """Returns (parsed value, error, warning)."""
    if isinstance(value, str):
        if XML_FORBIDDEN_RE.search(value):
            return None, CONTROL_CELL, ""
        value = value.strip()
        if value == "":
            value = None
    if value is None:
        return None, ("必填项不能为空" if col.required else ""), ""
    if col.kind == "id_number":
        check = check_id_number(value)
        return check.number, check.error, check.warning
    if col.kind in ("text", "choice"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, (datetime, date)):
            return None, "应为文本，不能是日期格式", ""
        text = str(value)
        if col.max_length and len(text) > col.max_length:
            return None, f"长度不能超过 {col.max_length} 个字符", ""
        if col.kind == "choice" and text not in (col.choices or []):
            return None, f"取值“{text}”无效，应为：{'、'.join(col.choices or [])}", ""
        return text, "", ""
    if col.kind == "bool":
        if str(value) in TRUE_WORDS:
            return TRUE_WORDS[str(value)], "", ""
        return None, f"取值“{value}”无效，应为：是、否", ""
    if col.kind in ("int", "number"):
        if isinstance(value, bool):
            return None, "应为数字", ""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, f"“{value}”不是有效的数字", ""
        if col.kind == "int":
            if not number.is_integer():
                return None, f"“{value}”应为整数", ""
            if abs(number) > DB_INT_MAX:
                return None, f"“{value}”超出范围", ""
            return int(number), "", ""
        return number, "", ""
    if col.kind == "date":
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            text = str(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
            try:
                value = date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
            except ValueError:
                return None, f"“{value}”不是有效日期，应为 2024-03-01 格式", ""
        error = date_range_error(value)
        return (None, error, "") if error else (value, "", "")
    raise ValueError(f"unknown column kind {col.kind}")


def read_rows(kind: ImportKind, stream, result: ImportResult,
              progress: Callable[[int], None] | None = None) -> list[ParsedRow]:
    """Parse the first sheet of ``stream``; file and cell problems go to ``result.errors``.
    The file is checked by the safe reader first (size, zip bombs, declared range, rows, cell length).
    ``progress(rows_read)`` is told every 1,000 rows."""
    try:
        with open_first_sheet(stream) as sheet:
            return _read_sheet(kind, sheet, result, progress)
    except SpreadsheetError as exc:
        result.raw_rows.clear()
        result.errors.append(RowError(0, "", str(exc)))
        return []


def _read_sheet(kind: ImportKind, sheet, result: ImportResult, progress=None) -> list[ParsedRow]:
    first = next(sheet.rows(sheet.limits.max_columns, max_row=1), None)
    header = [("" if h is None else str(h).strip()) for h in (first[1] if first else [])]
    while header and header[-1] == "":
        header.pop()
    result.raw_header = header
    expected = kind.column_names
    missing = [c for c in expected if c not in header]
    unknown = [h for h in header if h and h not in expected]
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if not header:
        result.errors.append(RowError(0, "", "第一个工作表为空，缺少表头行"))
        return []
    if missing or unknown or duplicated:
        parts = []
        if missing:
            parts.append("缺少列：" + "、".join(missing))
        if unknown:
            parts.append("无法识别的列：" + "、".join(unknown))
        if duplicated:
            parts.append("重复的列：" + "、".join(duplicated))
        result.errors.append(RowError(0, "", "表头与模板不一致（" + "；".join(parts) + "），请下载最新模板"))
        return []
    positions = {name: header.index(name) for name in expected}
    parsed = []
    for row_number, values in sheet.rows(len(header), min_row=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        result.raw_rows.append((row_number, values))
        if progress is not None and len(result.raw_rows) % 1000 == 0:
            progress(len(result.raw_rows))
        out, bad = {}, set()
        for col in kind.columns:
            value, error, warning = _parse_cell(col, values[positions[col.name]])
            if error:
                result.errors.append(RowError(row_number, col.name, error))
                bad.add(col.name)
                value = None
            if warning:
                result.warnings.append(RowError(row_number, col.name, warning))
            out[col.name] = value
        parsed.append(ParsedRow(row_number, out, bad))
    return parsed


def run_import(kind: ImportKind, stream, *, user=None, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None,
               read_progress: Callable[[int], None] | None = None) -> ImportResult:
    """Parse, validate and apply an import file, all or nothing. ``read_progress(rows_read)`` is
    told while the file is read, ``progress(done, total)`` while the rows are applied."""
    from .. import audit

    result = ImportResult(kind=kind.name, dry_run=dry_run)
    rows = read_rows(kind, stream, result, read_progress)
    result.total_rows = len(rows)
    if result.errors and not rows:
        return result
    ctx = ImportContext(kind=kind, user=user, dry_run=dry_run, result=result, progress=progress)
    db.session.info.pop(WRITTEN, None)
    try:
        bad_rows = {e.row for e in result.errors}
        kind.apply(rows if kind.every_row else [r for r in rows if r.row not in bad_rows], ctx)
        result.errors.sort(key=lambda e: (e.row, e.column))
        if result.errors or dry_run:
            db.session.rollback()
            return result
        audit.record("import", kind.name, None, summary=f"导入{kind.label}：{result.summary()}", actor=user,
                     after={"rows": result.total_rows, "created": result.created, "updated": result.updated})
        db.session.commit()
        analyze_written()
    except ImportError_ as exc:
        db.session.rollback()
        result.errors.append(RowError(0, "", str(exc)))
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        if not _is_conflict(exc):
            raise
        result.errors.append(RowError(0, "", CONFLICT))
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(WRITTEN, None)
    result.errors.sort(key=lambda e: (e.row, e.column))
    return result


def _is_conflict(exc) -> bool:
    """A write that lost to a concurrent transaction (what a second, simultaneous import meets):
    a key someone else just inserted, a serialization failure or deadlock, a busy SQLite file."""
    return (getattr(exc.orig, "sqlstate", None) in PG_CONFLICTS
            or getattr(exc.orig, "sqlite_errorname", "").startswith(SQLITE_CONFLICTS))


def chunks(items: list, size: int = 1000) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- bulk writes ---------------------------------------------------------------------------
# An import writes thousands of rows. On PostgreSQL an executemany is still one statement per
# row for the server to run; these send a few statements whatever the number of rows. On SQLite
# (in the same process, no round trips) executemany is as fast and is what they use.

BULK_CHUNK = 5000
WRITTEN = "bulk_written"  # db.session.info key: table name -> rows written by the helpers


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _by_keys(rows: list[dict]) -> dict[tuple, list[dict]]:
    """Rows grouped by their set of keys (one statement shape per group)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


def _count_written(table, n: int) -> None:
    written = db.session.info.setdefault(WRITTEN, {})
    written[table.name] = written.get(table.name, 0) + n


def bulk_insert(model, rows: list[dict], *, return_ids: bool = False) -> list | None:
    """INSERT ``rows`` (dicts of column values; Python-side defaults fill the rest). On PostgreSQL
    one ``INSERT … SELECT FROM unnest(…)`` per 5,000 rows; with ``return_ids`` the new primary keys
    come back in ``rows``' order. Where a missing column's default is computed per row, multi-row
    VALUES per 1,000 rows instead."""
    from sqlalchemy import insert
    table = model.__table__
    ids = {} if return_ids else None
    pk = list(table.primary_key.columns)[0]
    postgresql = _is_postgresql()
    for keys, group in _by_keys(rows).items():
        if postgresql:
            new = _unnest_insert(table, keys, group, returning=pk if return_ids else None)
            if new is not None:
                if ids is not None:
                    ids.update(zip(map(id, group), new))
                continue
        for part in chunks(group, BULK_CHUNK):
            if return_ids or postgresql:
                # RETURNING makes SQLAlchemy send multi-row VALUES ("insertmanyvalues") on psycopg.
                stmt = insert(table).returning(pk, sort_by_parameter_order=True)
                new = db.session.scalars(stmt, part).all()
                if ids is not None:
                    ids.update(zip(map(id, part), new))
            else:
                db.session.execute(insert(table), part)
    _count_written(table, len(rows))
    return [ids[id(r)] for r in rows] if ids is not None else None


def _unnest_insert(table, keys: tuple, rows: list[dict], returning=None) -> list | None:
    """PostgreSQL: INSERT … SELECT FROM unnest(one array per column) WITH ORDINALITY; the new
    ``returning`` keys (an autoincrement primary key) in ``rows``' order, [] without it. None when
    a missing column has a Python-side default that is not a constant (the caller then uses VALUES).

    The rows are inserted in the ordinality's order, so the sequence hands out increasing keys in
    that order: the sorted keys are the rows' (SQLAlchemy's insertmanyvalues relies on the same)."""
    import json
    from sqlalchemy import JSON, bindparam, cast, func, insert, select
    from sqlalchemy.dialects.postgresql import ARRAY, TEXT
    if returning is not None and returning.name in keys:
        return None   # keys given by the caller are not handed out in order: VALUES keeps them with their rows
    constants = {}
    for column in table.columns:
        if column.name in keys or column.default is None:
            continue
        if not column.default.is_scalar:
            return None
        constants[column.name] = column.default.arg
    names = list(keys) + sorted(constants)
    is_json = {n: isinstance(table.c[n].type, JSON) for n in names}
    types = {n: TEXT() if is_json[n] else _array_item_type(table.c[n].type) for n in names}
    arrays = [cast(bindparam(f"a{i}", type_=ARRAY(types[n])), ARRAY(types[n])) for i, n in enumerate(names)]
    source = func.unnest(*arrays).table_valued(*names, with_ordinality="bulk_row").render_derived(name="bulk_rows")
    stmt = insert(table).from_select(names, select(
        *[cast(source.c[n], table.c[n].type) if is_json[n] else source.c[n] for n in names])
        .order_by(source.c.bulk_row))
    if returning is not None:
        stmt = stmt.returning(returning)

    def value(row, n):
        v = row[n] if n in row else constants[n]
        return (None if v is None else json.dumps(v, ensure_ascii=False)) if is_json[n] else v
    new = []
    for part in chunks(rows, BULK_CHUNK):
        result = db.session.execute(stmt, {f"a{i}": [value(r, n) for r in part] for i, n in enumerate(names)})
        if returning is not None:
            new += sorted(result.scalars().all())
    return new


def _array_item_type(type_):
    """A plain type for an array of ``type_``'s values (no collation, no variant)."""
    from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, String, Text, Time
    if isinstance(type_, DateTime):
        return DateTime(timezone=type_.timezone)
    for generic, plain in ((Boolean, Boolean), (Date, Date), (Time, Time), (Float, Float), (Numeric, Numeric),
                           (Integer, BigInteger), (String, Text)):
        if isinstance(type_, generic):
            return plain()
    if isinstance(type_, JSON):
        raise TypeError("bulk_update does not write JSON columns")
    return type_


def bulk_update(model, rows: list[dict], key: str = "id") -> None:
    """UPDATE rows of ``model``'s table by ``key`` (each dict: the key and the new values).
    On PostgreSQL one ``UPDATE … FROM unnest(array, array, …)`` per 5,000 rows, each column's
    values bound once as an array; on SQLite an executemany."""
    from sqlalchemy import bindparam, cast, func, update
    from sqlalchemy.dialects.postgresql import ARRAY
    table = model.__table__
    if not _is_postgresql():
        for part in chunks(rows, BULK_CHUNK):
            if key == "id":
                db.session.execute(update(model), part)  # the ORM's bulk UPDATE by primary key
            else:
                stmt = update(table).where(table.c[key] == bindparam("_key"))
                db.session.execute(stmt, [{**{k: v for k, v in r.items() if k != key}, "_key": r[key]}
                                          for r in part])
        _count_written(table, len(rows))
        return
    for keys, group in _by_keys(rows).items():
        names = [key] + [k for k in keys if k != key]
        arrays = [cast(bindparam(f"a{i}", type_=ARRAY(_array_item_type(table.c[n].type))),
                       ARRAY(_array_item_type(table.c[n].type))) for i, n in enumerate(names)]
        source = func.unnest(*arrays).table_valued(*names).render_derived(name="bulk_rows")
        stmt = (update(table).where(table.c[key] == source.c[key])
                .values({n: source.c[n] for n in names if n != key}))
        for part in chunks(group, BULK_CHUNK):
            db.session.execute(stmt, {f"a{i}": [r[n] for r in part] for i, n in enumerate(names)})
    _count_written(table, len(rows))


def analyze_written(config=None) -> None:
    """After a large import on PostgreSQL, fresh planner statistics for the tables it wrote
    (a table that grew by 200,000 rows would otherwise be planned as the small one it was).
    ``ANALYZE_AFTER_ROWS`` (5,000) is the number of rows that calls for it."""
    from flask import current_app
    from sqlalchemy import text
    written = db.session.info.pop(WRITTEN, {})
    threshold = int((config or current_app.config).get("ANALYZE_AFTER_ROWS", 5000))
    if not written or sum(written.values()) < threshold or not _is_postgresql():
        return
    preparer = db.session.get_bind().dialect.identifier_preparer
    try:
        for name in sorted(written):
            db.session.execute(text(f"ANALYZE {preparer.quote(name)}"))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the import is committed; statistics are only an optimisation
        db.session.rollback()
        current_app.logger.warning("ANALYZE after the import failed", exc_info=True)
