"""PostgreSQL: TRUNCATE audit_event is refused like UPDATE and DELETE.

Revision ID: core_0002
Revises: core_0001
"""
from alembic import op

revision = 'core_0002'
down_revision = 'core_0001'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite has no TRUNCATE; its DELETE trigger (core_0001) already covers "DELETE FROM".
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
