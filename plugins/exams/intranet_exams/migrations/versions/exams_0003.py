"""ix_exams_registration_unit: an exam's registrations by unit (and status), so an exam page's
per-unit counts read the index alone and a page's units are found in it; it replaces
ix_exams_registration_exam_id (its first column).

Revision ID: exams_0003
Revises: exams_0002
Create Date: 2026-12-03
"""
from alembic import op

revision = "exams_0003"
down_revision = "exams_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_exams_registration_unit", "exams_registration", ["exam_id", "department_id", "status"])
    op.drop_index("ix_exams_registration_exam_id", table_name="exams_registration")


def downgrade():
    op.create_index("ix_exams_registration_exam_id", "exams_registration", ["exam_id"])
    op.drop_index("ix_exams_registration_unit", table_name="exams_registration")
