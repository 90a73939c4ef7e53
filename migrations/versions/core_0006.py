"""audit_event: an index on (object_type, object_id, id) for one object's history and the login
throttle, which counts an account's recent failures on every login.

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-12-02
"""
from alembic import op

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_object", "audit_event", ["object_type", "object_id", "id"], unique=False)


def downgrade():
    op.drop_index("ix_audit_event_object", table_name="audit_event")
