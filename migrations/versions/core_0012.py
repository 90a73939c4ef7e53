"""Drop ix_audit_event_object_type: ix_audit_event_object (object_type, object_id, id) leads with
the same column and serves every lookup by type; one index less to write for each audit row
(an import of 10,000 people writes 10,000).

Revision ID: core_0012
Revises: core_0011
Create Date: 2026-12-04
"""
from alembic import op

revision = "core_0012"
down_revision = "core_0011"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_audit_event_object_type", table_name="audit_event")


def downgrade():
    op.create_index("ix_audit_event_object_type", "audit_event", ["object_type"])
