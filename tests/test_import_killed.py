"""An import killed half way (SIGKILL while it writes) leaves no rows; importing again then works.

``intranet import people`` runs in a subprocess on the test database. In the first test a wrapper
holds the process just before COMMIT, after every row is flushed (so the kill lands inside the
write transaction by construction). The second test kills the real command, unaltered, as soon as
it is seen writing: the kill may then land before or after COMMIT, and either way the database
holds none or all of the rows, never a part.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from intranet.models import AuditEvent, Person
from intranet.testing import make_department, make_id, xlsx_bytes

ROWS = 3000
PEOPLE_HEADER = ["姓名", "身份证号", "单位编码", "职务", "编制类型", "执法岗位", "人员状态", "状态变更日期", "法律职业资格"]
MARKER = "HELD-BEFORE-COMMIT"

# The real CLI, held after the import's last flush (its audit event) until killed.
HOLD_BEFORE_COMMIT = f"""
import sys, time
from intranet import audit
from intranet.extensions import db
real = audit.record
def record(action, *args, **kwargs):
    event = real(action, *args, **kwargs)
    if action == "import":
        db.session.flush()
        print("{MARKER}", flush=True)
        time.sleep(600)
    return event
audit.record = record
from intranet.cli import main
sys.argv = ["intranet", *sys.argv[1:]]
main()
"""


def write_people(tmp_path, db, rows: int):
    make_department("K01", "被杀导入测试单位", "市直部门")
    db.session.commit()
    data = [[f"导入{i}", make_id(), "K01", "科员", "行政编制", "是", "在岗", None, "否"] for i in range(rows)]
    path = tmp_path / "people.xlsx"
    path.write_bytes(xlsx_bytes(PEOPLE_HEADER, data))
    return path


@pytest.fixture
def people_file(tmp_path, db):
    return write_people(tmp_path, db, ROWS)


def command_env(database, tmp_path) -> dict:
    return {**os.environ, "DATABASE_URL": database.url, "INTRANET_INSTANCE_PATH": str(tmp_path / "instance"),
            "INTRANET_SECRET_KEY": "x" * 40}


def counts(database) -> tuple[int, int]:
    engine = create_engine(database.url)
    try:
        with engine.connect() as conn:
            people = conn.execute(select(func.count()).select_from(Person)).scalar()
            imports = conn.execute(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "import")).scalar()
    finally:
        engine.dispose()
    return people, imports


def writing(database, pid: int) -> bool:
    """Is the command inside a write transaction (rows written, not committed)?"""
    if database.backend == "sqlite":
        conn = sqlite3.connect(make_url(database.url).database, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")   # fails while another connection holds the write lock
            conn.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    engine = create_engine(database.url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE a.datname = current_database() AND l.relation = 'person'::regclass "
                "AND l.mode = 'RowExclusiveLock' AND a.pid <> pg_backend_pid()")).scalar())
    finally:
        engine.dispose()


def test_killed_inside_the_write_transaction_leaves_nothing(database, people_file, tmp_path):
    before = counts(database)
    proc = subprocess.Popen([sys.executable, "-c", HOLD_BEFORE_COMMIT, "import", "people", str(people_file)],
                            env=command_env(database, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        assert MARKER in line, proc.stderr.read() if proc.poll() is not None else line
        assert writing(database, proc.pid)      # every row flushed, the transaction open
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert counts(database) == before

    done = subprocess.run([sys.executable, "-c", "from intranet.cli import main; main()", "import", "people",
                           str(people_file)], env=command_env(database, tmp_path), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert counts(database) == (before[0] + ROWS, before[1] + 1)


def test_killed_while_writing_never_leaves_a_part(database, people_file, tmp_path):
    before = counts(database)
    proc = subprocess.Popen([sys.executable, "-c", "from intranet.cli import main; main()", "import", "people",
                             str(people_file)], env=command_env(database, tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and not writing(database, proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    after = counts(database)
    # Killed before COMMIT reached the database: nothing; after: everything. Never a part.
    assert after in (before, (before[0] + ROWS, before[1] + 1)), after


PARALLEL_ROWS = 500


def test_same_import_four_times_at_once_gives_one_set_of_rows(database, db, tmp_path):
    """Four `intranet import` processes on one file at once: the rows exist once; each run either
    imported (the first) or found them there, or was refused with the conflict message — never an
    error trace, never a duplicate."""
    from intranet.imports.framework import CONFLICT
    people_file = write_people(tmp_path, db, PARALLEL_ROWS)
    before = counts(database)
    procs = [subprocess.Popen([sys.executable, "-c", "from intranet.cli import main; main()", "import", "people",
                               str(people_file)], env=command_env(database, tmp_path / f"run{i}"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    outcomes = [(p.wait(600), *p.communicate()) for p in procs]
    for code, _out, err in outcomes:
        assert "Traceback" not in err, err
        assert code == 0 or CONFLICT in err, err
    assert any(code == 0 for code, _o, _e in outcomes)
    people, imports = counts(database)
    assert people == before[0] + PARALLEL_ROWS
    assert imports == before[1] + sum(1 for code, _o, _e in outcomes if code == 0)
    engine = create_engine(database.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count(func.distinct(Person.id_number)))).scalar() == people
    finally:
        engine.dispose()
