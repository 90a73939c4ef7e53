"""学时台账: the year index goes — the tally index of law_study_0003 begins with the year and
also covers the yearly totals per person (targets, reminders, the dashboard).

Revision ID: law_study_0004
Revises: law_study_0003
Create Date: 2026-12-02
"""
from alembic import op

revision = "law_study_0004"
down_revision = "law_study_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_law_study_hours_year", table_name="law_study_hours")


def downgrade():
    op.create_index("ix_law_study_hours_year", "law_study_hours", ["year"])
