"""学法: the law_study_item table.

Revision ID: law_study_0001
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "law_study_0001"
down_revision = None
branch_labels = ("law_study",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "law_study_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_law_study_item_department_id_department")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_law_study_item")),
    )
    with op.batch_alter_table("law_study_item") as batch_op:
        batch_op.create_index(batch_op.f("ix_law_study_item_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_law_study_item_held_on"), ["held_on"], unique=False)


def downgrade():
    op.drop_table("law_study_item")
