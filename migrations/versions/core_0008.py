"""stored_figures: heavy figures computed by the queue worker and kept for the pages (intranet.stored).

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0008"
down_revision = "core_0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_figures")),
        sa.UniqueConstraint("key", name=op.f("uq_stored_figures_key")),
    )
    with op.batch_alter_table("stored_figures") as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_figures_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_stored_figures_read_at"), ["read_at"], unique=False)


def downgrade():
    op.drop_table("stored_figures")
