"""``intranet backup`` / ``intranet restore``: every table round-trips row by row, between SQLite
and PostgreSQL both ways; refusals change nothing; a hostile zip is refused before expansion."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from contextlib import contextmanager

import pytest
from sqlalchemy import inspect, select, text

from intranet import create_app
from intranet.backup import BackupError, backup, restore
from intranet.extensions import db as _db
from intranet.schema import create_all
from intranet.testing import BASE_CONFIG, ThrowAwayDatabase, backends, make_department, make_person


@pytest.fixture
def app_config(tmp_path):
    return {"UPLOAD_FOLDER": str(tmp_path / "uploads-source")}


def quiet(_msg):
    pass


def snapshot(engine) -> dict:
    """Every row of every table, in primary-key order, as plain values."""
    from intranet.backup import _tables
    out = {}
    with engine.connect() as conn:
        for table in _tables(conn):
            pk = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [dict(r) for r in conn.execute(select(table).order_by(*pk)).mappings()]
    return out


@contextmanager
def other_app(backend, tmp_path, name, like=None):
    """A second app on a fresh database of ``backend`` with the same schema (and, with ``like``,
    also the tables that engine has beyond the app's: a test plugin's, made by another test)."""
    store = ThrowAwayDatabase(backend)
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": store.url,
                      "UPLOAD_FOLDER": str(tmp_path / f"uploads-{name}")})
    try:
        with app.app_context():
            create_all(app)
            if like is not None:
                with like.connect() as conn:
                    extra = set(inspect(conn).get_table_names()) - set(inspect(_db.engine).get_table_names())
                    _db.metadata.create_all(_db.engine, tables=[_db.metadata.tables[n] for n in sorted(extra)])
            yield app
            _db.session.remove()
            _db.engine.dispose()
    finally:
        store.drop()


def fill(app):
    """Demo data (every plugin's tables) plus uploads in two plugin folders and a transient one."""
    from intranet.demo import load_demo
    load_demo("small", echo=quiet)
    _db.session.commit()
    root = Path(app.config["UPLOAD_FOLDER"])
    (root / "certificates").mkdir(parents=True)
    (root / "certificates" / "a.jpg").write_bytes(b"\xff\xd8photo")
    (root / "law_study" / "sub").mkdir(parents=True)
    (root / "law_study" / "sub" / "b.pdf").write_bytes(b"%PDF-1.4 evidence")
    (root / "import-errors" / "1").mkdir(parents=True)
    (root / "import-errors" / "1" / "x.xlsx").write_bytes(b"transient")


def compare(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for name in left:
        assert left[name] == right[name], f"table {name} differs"


@pytest.mark.parametrize("target", backends())
def test_round_trip_every_table(app, db, tmp_path, target):
    """source backend → backup → a fresh database of ``target`` → backup → the source again."""
    fill(app)
    before = snapshot(db.engine)
    assert sum(len(rows) for rows in before.values()) > 1000
    first = tmp_path / "first.zip"
    manifest = backup(first, echo=quiet)
    assert manifest["members"]["files/certificates/a.jpg"]["sha256"]
    assert not any(n.startswith("files/import-errors") for n in manifest["members"])
    assert all(manifest["members"][f"tables/{t}.jsonl"]["rows"] == len(rows) for t, rows in before.items())

    with other_app(target, tmp_path, "target", like=db.engine) as second:
        restore(first, echo=quiet)
        compare(before, snapshot(_db.engine))
        restored = Path(second.config["UPLOAD_FOLDER"])
        assert (restored / "law_study" / "sub" / "b.pdf").read_bytes() == b"%PDF-1.4 evidence"
        assert not (restored / "import-errors").exists()
        assert not [p for p in restored.iterdir() if p.name.startswith(".")]
        if target == "postgresql":   # sequences continue after the restored ids
            next_id = _db.session.execute(text("SELECT nextval(pg_get_serial_sequence('department', 'id'))")).scalar()
            assert next_id > max(r["id"] for r in before["department"])
            _db.session.rollback()
        back = tmp_path / "back.zip"
        backup(back, echo=quiet)

    # ... and back into the source, over its own data (--force)
    with pytest.raises(BackupError, match="已有数据"):
        restore(back, echo=quiet)
    restore(back, force=True, echo=quiet)
    compare(before, snapshot(db.engine))
    make_department()   # the database works on after a restore (ids continue)
    db.session.commit()


def test_refusals_change_nothing(app, db, tmp_path):
    dept = make_department()
    make_person(dept)
    db.session.commit()
    good = tmp_path / "good.zip"
    backup(good, echo=quiet)
    before = snapshot(db.engine)

    with other_app(backends()[-1], tmp_path, "mismatch"):
        with _db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('core_9999')")
        with pytest.raises(BackupError, match="结构版本"):
            restore(good, echo=quiet)
        assert snapshot(_db.engine)["department"] == []

    # a checksum that does not match: refused, and the rows already restored are rolled back
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "tables/person.jsonl":
                data = data.replace("测试".encode(), "篡改".encode())
            dst.writestr(info.filename, data)
    with pytest.raises(BackupError, match="校验和"):
        restore(tampered, force=True, echo=quiet)
    compare(before, snapshot(db.engine))


def hostile(tmp_path, name, members: dict[str, bytes], manifest_members=None):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        manifest = {"format": "intranet-backup/1", "revisions": [],
                    "members": manifest_members if manifest_members is not None
                    else {m: {"sha256": "0", "rows": 0, "table": "x"} for m in members}}
        archive.writestr("manifest.json", json.dumps(manifest))
    return path


@pytest.mark.parametrize("case", ["bomb", "member size", "traversal", "unlisted", "count", "not a zip"])
def test_hostile_zip_refused_before_expansion(app, db, tmp_path, case):
    app.config["BACKUP_MAX_MEMBERS"] = 50
    if case == "bomb":
        path = hostile(tmp_path, "bomb.zip", {"tables/department.jsonl": b"\n" * (200 * 1024 * 1024)})
        message = "压缩比异常"
    elif case == "member size":
        app.config["BACKUP_MAX_MEMBER_MB"] = 1
        path = hostile(tmp_path, "big.zip", {"files/certificates/big.jpg": os.urandom(2 * 1024 * 1024)})
        message = "过大"
    elif case == "traversal":
        path = hostile(tmp_path, "trav.zip", {"files/../../evil.txt": b"x"})
        message = "不允许的条目"
    elif case == "unlisted":
        path = hostile(tmp_path, "unlisted.zip", {"files/certificates/a.jpg": b"x"}, manifest_members={})
        message = "清单"
    elif case == "count":
        path = hostile(tmp_path, "count.zip", {f"files/certificates/{i}.jpg": b"x" for i in range(60)})
        message = "条目过多"
    else:
        path = tmp_path / "plain.zip"
        path.write_bytes(b"not a zip at all")
        message = "无法打开"
    with pytest.raises(BackupError, match=message):
        restore(path, force=True, echo=quiet)
    assert not (tmp_path / "evil.txt").exists()
    upload_root = Path(app.config["UPLOAD_FOLDER"])
    assert not upload_root.exists() or not any(upload_root.iterdir())


def test_cli_backup_and_restore(app, db, tmp_path):
    """The commands: exit 0 with a message; a refused restore exits non-zero and says why."""
    make_department(name="备份单位")
    db.session.commit()
    from intranet.cli import cli
    runner = app.test_cli_runner()
    path = tmp_path / "cli.zip"
    result = runner.invoke(cli, ["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    result = runner.invoke(cli, ["restore", str(path)])
    assert result.exit_code != 0 and "--force" in result.output
    result = runner.invoke(cli, ["restore", "--force", str(path)])
    assert result.exit_code == 0, result.output
    assert [d["name"] for d in snapshot(db.engine)["department"]] == ["备份单位"]


@pytest.mark.parametrize("target", backends())
def test_a_table_referencing_itself_is_restored_streaming(app, db, tmp_path, target, monkeypatch):
    """department.parent_id: children stored before their parents (lower ids) still restore, on
    PostgreSQL too (which checks each row), in batches as the member is read: the table is never
    held whole in memory."""
    import intranet.backup as backup_module
    from sqlalchemy import event
    from intranet.models import Department
    depts = [make_department(f"T{i:02d}", f"测试单位{i}", "其他") for i in range(9)]
    db.session.flush()
    for child, parent in zip(depts, depts[1:]):   # a chain whose every parent has the higher id
        child.parent_id = parent.id
    db.session.commit()
    links = {d.id: d.parent_id for d in depts}
    before = snapshot(db.engine)
    first = tmp_path / "tree.zip"
    backup(first, echo=quiet)

    monkeypatch.setattr(backup_module, "BATCH", 2)
    read = {"rows": 0}
    inserted_after = []
    real_rows = backup_module._rows

    def counting_rows(chunks, table, name):
        for row in real_rows(chunks, table, name):
            if table.name == "department":
                read["rows"] += 1
            yield row
    monkeypatch.setattr(backup_module, "_rows", counting_rows)

    def on_execute(conn, clause, multiparams, params, execution_options):
        if getattr(clause, "is_insert", False) and clause.table.name == "department":
            inserted_after.append(read["rows"])

    with other_app(target, tmp_path, "tree", like=db.engine):
        event.listen(_db.engine, "before_execute", on_execute)
        try:
            restore(first, echo=quiet)
        finally:
            event.remove(_db.engine, "before_execute", on_execute)
        after = snapshot(_db.engine)
        compare(before, after)
        rows = {r["id"]: r["parent_id"] for r in after["department"]}
        assert all(rows[i] == parent for i, parent in links.items())
        lowest = min(links)
        assert _db.session.get(Department, lowest).parent_id == links[lowest] > lowest
    total = len(before["department"])
    assert total >= 9 and len(inserted_after) >= total // 2
    assert inserted_after[0] <= 2 < total    # the first batch went in after reading two rows
