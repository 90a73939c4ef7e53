"""行政执法证: the roster's index (valid cards by unit, counted from the index alone); the status
index it begins with goes.

Revision ID: certificates_0004
Revises: certificates_0003
Create Date: 2026-12-02
"""
from alembic import op

revision = "certificates_0004"
down_revision = "certificates_0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificates_certificate") as batch:
        batch.create_index("ix_certificates_certificate_roster", ["status", "department_id", "valid_until", "person_id"])
        batch.drop_index("ix_certificates_certificate_status")


def downgrade():
    with op.batch_alter_table("certificates_certificate") as batch:
        batch.create_index("ix_certificates_certificate_status", ["status"])
        batch.drop_index("ix_certificates_certificate_roster")
