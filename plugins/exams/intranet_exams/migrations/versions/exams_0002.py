"""An index for the report's participation figures: each person's results of an exam read from the
index alone.

Revision ID: exams_0002
Revises: exams_0001
Create Date: 2026-12-02
"""
from alembic import op

revision = "exams_0002"
down_revision = "exams_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_exams_result_flags", "exams_result", ["exam_id", "person_id", "status", "passed"])


def downgrade():
    op.drop_index("ix_exams_result_flags", table_name="exams_result")
