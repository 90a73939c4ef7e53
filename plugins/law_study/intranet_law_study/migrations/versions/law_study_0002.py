"""学时台账: entries credited from another plugin's answer carry its reference (an exam passed).

Revision ID: law_study_0002
Revises: law_study_0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "law_study_0002"
down_revision = "law_study_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("law_study_hours", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_law_study_hours_ref"), ["ref"], unique=False)
        # one entry per answer of another plugin (an exam passed) and person and year
        batch_op.create_index("uq_law_study_hours_person_year_ref", ["person_id", "year", "ref"], unique=True)
    op.execute("UPDATE law_study_hours SET source = '考试合格' WHERE source = '考试'")


def downgrade():
    op.execute("UPDATE law_study_hours SET source = '考试' WHERE source = '考试合格'")
    with op.batch_alter_table("law_study_hours", schema=None) as batch_op:
        batch_op.drop_index("uq_law_study_hours_person_year_ref")
        batch_op.drop_index(batch_op.f("ix_law_study_hours_ref"))
        batch_op.drop_column("ref")
