"""行政执法证: prerequisites frozen with the 司法局's decision; withdrawn applications.

Revision ID: certificates_0002
Revises: certificates_0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "certificates_0002"
down_revision = "certificates_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificates_application") as batch:
        batch.add_column(sa.Column("decision_checks", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_by_name", sa.String(length=50), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("certificates_application") as batch:
        batch.drop_column("withdrawn_by_name")
        batch.drop_column("withdrawn_at")
        batch.drop_column("decision_checks")
