"""A pooled connection is never shared with a forked child process (live server, pre-fork server)."""
import os

from sqlalchemy import text


def test_a_forked_child_opens_its_own_connection(app, db):
    with db.engine.connect() as conn:               # the parent's pooled connection
        parent_pid = conn.execute(text("SELECT 1")).scalar() and os.getpid()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:                                  # the child reuses nothing of the parent's pool
        try:
            with db.engine.connect() as conn:
                record = conn.connection._connection_record
                ok = record.info.get("pid") == os.getpid() != parent_pid and conn.execute(text("SELECT 1")).scalar() == 1
        except Exception:  # noqa: BLE001 - reported to the parent as a failure
            ok = False
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
    with db.engine.connect() as conn:               # and the parent's connection still works
        assert conn.execute(text("SELECT 1")).scalar() == 1
