"""``intranet backup FILE`` / ``intranet restore FILE``: a portable zip of the whole database and
the uploaded files, readable by SQLite and PostgreSQL alike.

The zip holds ``manifest.json`` (format, schema revisions, and per member its row count and
SHA-256), one ``tables/<table>.jsonl`` per table (one JSON object a row) and ``files/<path>``
for every kept upload. Rows are read in one snapshot (PostgreSQL REPEATABLE READ, SQLite one read
transaction). Uploads are listed after the rows are read: the plugins write a file before the
transaction that records it commits, and never delete one, so every file a backed-up row names
is already on disk then (a file newer than the snapshot is only an unused extra).

Restore treats the zip as hostile: its directory is checked (member count, sizes, ratio) before
anything is expanded, member names must be the manifest's, checksums and row counts must match.
The rows go in one transaction; the files are expanded into a folder beside the uploads first
and swapped in only after the database has committed.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import MetaData, bindparam, func, inspect, select, text, types

from .extensions import db
from .zipcheck import MB, check_members

FORMAT = "intranet-backup/1"
MANIFEST = "manifest.json"
BATCH = 1000
# Folders of the uploads that hold nothing of record (import error reports, job scratch, caches).
TRANSIENT_FOLDERS = frozenset({"import-errors", "jobs", "job-uploads", "cache", "tmp", "queue"})
# Tables that an empty, freshly migrated database already has rows in.
BOOKKEEPING = {"setting": "schema.branch_heads"}


class BackupError(RuntimeError):
    """A backup or restore was refused or failed; ``str(exc)`` says why, in Chinese."""


@dataclass(frozen=True)
class Limits:
    """What a backup zip may hold before restore expands it (``BACKUP_MAX_*`` in config)."""
    max_total: int = 50 * 1024 * MB
    max_member: int = 10 * 1024 * MB
    max_ratio: int = 500          # JSON lines compress well; deflate cannot exceed ~1030
    max_count: int = 2_000_000
    max_manifest: int = 256 * MB

    @classmethod
    def from_config(cls, config) -> "Limits":
        d = cls()
        return cls(max_total=int(config.get("BACKUP_MAX_UNZIPPED_MB", d.max_total // MB)) * MB,
                   max_member=int(config.get("BACKUP_MAX_MEMBER_MB", d.max_member // MB)) * MB,
                   max_ratio=int(config.get("BACKUP_MAX_RATIO", d.max_ratio)),
                   max_count=int(config.get("BACKUP_MAX_MEMBERS", d.max_count)),
                   max_manifest=d.max_manifest)


# --- values ------------------------------------------------------------------------------

def _encode(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column):
    """The function turning a column's JSON value back into what the database driver takes."""
    t = column.type
    if isinstance(t, types.JSON):
        return None
    if isinstance(t, types.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(t, types.Date):
        return dt.date.fromisoformat
    if isinstance(t, types.Time):
        return dt.time.fromisoformat
    if isinstance(t, types.Numeric) and not isinstance(t, types.Float):
        return decimal.Decimal
    if isinstance(t, types._Binary):
        return base64.b64decode
    return None


# --- tables ------------------------------------------------------------------------------

def _tables(connection) -> list:
    """The database's tables in foreign-key order: the app's models, then any other table found
    (a disabled plugin's), reflected. alembic_version is the manifest's, not a table member."""
    present = set(inspect(connection).get_table_names()) - {"alembic_version"}
    known = [t for t in db.metadata.sorted_tables if t.name in present]
    others = sorted(present - {t.name for t in known})
    if others:
        meta = MetaData()
        meta.reflect(bind=connection, only=others)
        known += [meta.tables[name] for name in others]
    return known


def _revisions(connection) -> list[str]:
    if not inspect(connection).has_table("alembic_version"):
        return []
    return sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _ordered(table):
    pk = list(table.primary_key.columns)
    return select(table).order_by(*pk) if pk else select(table)


def _snapshot(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    else:  # pysqlite opens no transaction for a SELECT: open one, so every read sees one state
        connection.exec_driver_sql("BEGIN")


# --- files -------------------------------------------------------------------------------

def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _kept_folders(root: Path) -> list[Path]:
    excluded = TRANSIENT_FOLDERS | set(current_app.config.get("BACKUP_EXCLUDE_FOLDERS") or ())
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and p.name not in excluded and not p.name.startswith("."))


def _uploads(root: Path):
    for folder in _kept_folders(root):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


# --- backup ------------------------------------------------------------------------------

def backup(target: str | os.PathLike, echo=lambda _msg: None) -> dict:
    """Write the database and the kept uploads to the zip ``target``; return the manifest."""
    target = Path(target)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    members: dict[str, dict] = {}
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with db.engine.connect() as connection:
                _snapshot(connection)
                revisions = _revisions(connection)
                dialect = connection.dialect.name
                for table in _tables(connection):
                    name = f"tables/{table.name}.jsonl"
                    digest, rows = hashlib.sha256(), 0
                    with archive.open(name, "w", force_zip64=True) as out:
                        result = connection.execution_options(yield_per=BATCH).execute(_ordered(table))
                        for row in result.mappings():
                            line = (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False,
                                               separators=(",", ":")) + "\n").encode("utf-8")
                            digest.update(line)
                            out.write(line)
                            rows += 1
                    members[name] = {"table": table.name, "rows": rows, "sha256": digest.hexdigest()}
                    echo(f"{table.name}: {rows} 行")
                connection.rollback()
            files = 0
            for relative, path in _uploads(_upload_root()):
                name = f"files/{relative}"
                digest = hashlib.sha256()
                with path.open("rb") as src, archive.open(name, "w", force_zip64=True) as out:
                    while chunk := src.read(MB):
                        digest.update(chunk)
                        out.write(chunk)
                members[name] = {"sha256": digest.hexdigest()}
                files += 1
            echo(f"上传文件：{files} 个")
            manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                        "source": dialect, "revisions": revisions,
                        "plugins": sorted(i.name for i in current_app.extensions["intranet_plugins"] if i.enabled),
                        "members": members}
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


# --- restore -----------------------------------------------------------------------------

def _read_manifest(archive: zipfile.ZipFile, limits: Limits) -> dict:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise BackupError("不是本系统的备份文件：缺少 manifest.json") from None
    if info.file_size > limits.max_manifest:
        raise BackupError("备份文件的 manifest.json 过大，已拒绝")
    try:
        manifest = json.loads(archive.read(info))
    except ValueError:
        raise BackupError("备份文件的 manifest.json 无法读取") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"不是本系统的备份文件（格式应为 {FORMAT}）")
    if not isinstance(manifest.get("members"), dict) or not isinstance(manifest.get("revisions"), list):
        raise BackupError("备份文件的 manifest.json 不完整")
    names = set(archive.namelist()) - {MANIFEST}
    if names != set(manifest["members"]):
        raise BackupError("备份文件的内容与其清单（manifest.json）不符，可能已损坏或被改动")
    for name in names:
        _safe_member(name)
    return manifest


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (path.is_absolute() or "\\" in name or any(p in ("", ".", "..") for p in name.split("/"))
            or path.parts[0] not in ("tables", "files") or len(path.parts) < 2
            or (path.parts[0] == "tables" and (len(path.parts) != 2 or path.suffix != ".jsonl"))):
        raise BackupError(f"备份文件中有不允许的条目：{name[:200]!r}")
    return path


def _checked_stream(archive, name: str, expected: str):
    """Yield the member's bytes in chunks; raise BackupError at the end if its SHA-256 differs."""
    digest = hashlib.sha256()
    with archive.open(name) as member:
        while chunk := member.read(MB):
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != expected:
        raise BackupError(f"备份文件中的“{name}”校验和不符，可能已损坏或被改动")


def _lines(chunks):
    pending = b""
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines
    if pending:
        yield pending


def _has_rows(connection, tables) -> list[str]:
    found = []
    for table in tables:
        stmt = select(func.count()).select_from(table)
        if table.name in BOOKKEEPING:
            stmt = stmt.where(table.c.key != BOOKKEEPING[table.name])
        if connection.execute(stmt).scalar():
            found.append(table.name)
    return found


def _guards_off(connection, tables) -> list[str]:
    """Switch off the append-only guards (audit log, frozen reports) for this transaction; return
    what puts them back (SQLite: the triggers' SQL; PostgreSQL re-enables them itself)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.exec_driver_sql(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER')
        return [f'ALTER TABLE "{t.name}" ENABLE TRIGGER USER' for t in tables]
    triggers = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in triggers]


def _self_parent(table):
    """(column, referred column) of a foreign key of ``table`` to itself, if any."""
    for fk in table.foreign_keys:
        if fk.column.table is table:
            return fk.parent.name, fk.column.name
    return None


def _rows(chunks, table, name: str):
    """The decoded rows of a table member, one at a time."""
    decoders = {c.name: _decoder(c) for c in table.columns}
    count = 0
    for raw in _lines(chunks):
        try:
            row = json.loads(raw)
        except ValueError:
            raise BackupError(f"备份文件中的“{name}”第 {count + 1} 行无法读取") from None
        if not isinstance(row, dict) or set(row) - set(decoders):
            raise BackupError(f"备份文件中的“{name}”第 {count + 1} 行与数据表 {table.name} 的列不符")
        try:
            row = {k: (decoders[k](v) if v is not None and decoders[k] else v) for k, v in row.items()}
        except (ValueError, TypeError, decimal.InvalidOperation):
            raise BackupError(f"备份文件中的“{name}”第 {count + 1} 行有无法识别的值") from None
        count += 1
        yield row


def _insert_table(connection, table, open_member, expected_rows: int, name: str) -> None:
    """Stream a table member into ``table`` in batches (``open_member()`` gives its chunks).

    A table that references itself (department.parent_id) is streamed too, never held whole:
    SQLite checks foreign keys at commit (``defer_foreign_keys``), so the order does not matter;
    PostgreSQL checks each row, so the rows go in with the reference empty and a second pass over
    the member sets it, once every row exists. (A NOT NULL self-reference cannot be emptied: its
    rows go in as they come, and the backup must hold parents first, as it does in id order.)
    """
    link = _self_parent(table)
    if link and (connection.dialect.name != "postgresql" or not table.c[link[0]].nullable):
        link = None
    batch, count = [], 0
    for row in _rows(open_member(), table, name):
        count += 1
        if link:
            row[link[0]] = None
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
    if count != expected_rows:
        raise BackupError(f"备份文件中的“{name}”有 {count} 行，清单记为 {expected_rows} 行")
    if link:
        _link_rows(connection, table, open_member, link, name)


def _link_rows(connection, table, open_member, link, name: str) -> None:
    """The second pass of a self-referencing table: set each row's reference to its parent."""
    child_col, key_col = link
    stmt = (table.update().where(table.c[key_col] == bindparam("_key"))
            .values({child_col: bindparam("_parent")}))
    batch = []
    for row in _rows(open_member(), table, name):
        if row.get(child_col) is not None:
            batch.append({"_key": row[key_col], "_parent": row[child_col]})
        if len(batch) >= BATCH:
            connection.execute(stmt, batch)
            batch = []
    if batch:
        connection.execute(stmt, batch)


def _reset_sequences(connection, tables) -> None:
    """PostgreSQL: each serial/identity column's sequence continues after the restored rows."""
    for table in tables:
        for column in table.primary_key.columns:
            seq = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                     {"t": f'"{table.name}"', "c": column.name}).scalar()
            if seq:
                connection.execute(text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                    f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'), {"s": seq})


def _expand_files(archive, manifest, staging: Path) -> None:
    for name, info in manifest["members"].items():
        path = _safe_member(name)
        if path.parts[0] != "files":
            continue
        destination = staging.joinpath(*path.parts[1:])
        if staging.resolve() not in destination.resolve().parents:
            raise BackupError(f"备份文件中有不允许的条目：{name[:200]!r}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        with destination.open("wb") as out:
            for chunk in _checked_stream(archive, name, info.get("sha256", "")):
                out.write(chunk)


def _swap_in(staging: Path, root: Path) -> None:
    """Replace each kept uploads folder by the restored one (transient folders stay)."""
    root.mkdir(parents=True, exist_ok=True)
    old = root / f".replaced-{uuid.uuid4().hex[:8]}"
    old.mkdir()
    for folder in _kept_folders(root):
        if folder != old:
            folder.rename(old / folder.name)
    for folder in staging.iterdir():
        folder.rename(root / folder.name)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


def restore(source: str | os.PathLike, *, force: bool = False, echo=lambda _msg: None) -> dict:
    """Replace the database's rows and the kept uploads by the backup ``source``; return its manifest.

    Refused (BackupError, nothing changed) when the zip fails its checks, its schema revisions
    differ from this database's, or the database already has data and ``force`` is not given.
    """
    limits = Limits.from_config(current_app.config)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"无法打开备份文件：{exc}") from None
    with archive:
        check_members(archive, max_total=limits.max_total, max_member=limits.max_member,
                      max_ratio=limits.max_ratio, max_count=limits.max_count, error=BackupError)
        manifest = _read_manifest(archive, limits)
        root = _upload_root()
        root.mkdir(parents=True, exist_ok=True)
        staging = root / f".restoring-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            _expand_files(archive, manifest, staging)
            _restore_rows(archive, manifest, force, echo)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    try:
        _swap_in(staging, root)
    except OSError as exc:
        raise BackupError(f"数据库已恢复，但上传文件未能换入 {root}：{exc}。恢复的文件在 {staging}，"
                          "请手工移入") from None
    echo(f"上传文件：{sum(1 for n in manifest['members'] if n.startswith('files/'))} 个")
    return manifest


def _restore_rows(archive, manifest, force: bool, echo) -> None:
    db.session.remove()
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        revisions = _revisions(connection)
        if revisions != sorted(manifest["revisions"]):
            raise BackupError("备份的数据库结构版本与本数据库不同，不能恢复："
                              f"备份为 {', '.join(manifest['revisions']) or '无'}，"
                              f"本数据库为 {', '.join(revisions) or '无'}。请先将两边升级到同一版本")
        tables = {t.name: t for t in _tables(connection)}
        wanted = {info["table"]: name for name, info in manifest["members"].items() if name.startswith("tables/")}
        if set(wanted) != set(tables):
            missing, extra = sorted(set(wanted) - set(tables)), sorted(set(tables) - set(wanted))
            raise BackupError("备份的数据表与本数据库不同，不能恢复"
                              + (f"；本数据库没有：{'、'.join(missing)}" if missing else "")
                              + (f"；备份中没有：{'、'.join(extra)}" if extra else ""))
        ordered = list(tables.values())
        filled = _has_rows(connection, ordered)
        if filled and not force:
            raise BackupError(f"数据库中已有数据（{'、'.join(filled[:5])}等），未作更改；"
                              "确认要用备份覆盖时请加 --force")
        restore_guards = _guards_off(connection, ordered)
        for table in reversed(ordered):
            connection.execute(table.delete())
        for table in ordered:
            name = wanted[table.name]
            info = manifest["members"][name]
            _insert_table(connection, table,
                          lambda name=name, info=info: _checked_stream(archive, name, info.get("sha256", "")),
                          int(info.get("rows", -1)), name)
            echo(f"{table.name}: {info.get('rows')} 行")
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, ordered)
        for statement in restore_guards:
            connection.exec_driver_sql(statement)
        connection.commit()
