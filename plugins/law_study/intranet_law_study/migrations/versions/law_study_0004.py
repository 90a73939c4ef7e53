"""学时台账: a covering index for the yearly totals per person (targets, reminders, the dashboard);
the year index it begins with goes.

Revision ID: law_study_0004
Revises: law_study_0002
Create Date: 2026-12-02
"""
from alembic import op

revision = "law_study_0004"
down_revision = "law_study_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("law_study_hours") as batch:
        batch.create_index("ix_law_study_hours_totals", ["year", "person_id", "source", "state", "minutes"])
        batch.drop_index("ix_law_study_hours_year")


def downgrade():
    with op.batch_alter_table("law_study_hours") as batch:
        batch.create_index("ix_law_study_hours_year", ["year"])
        batch.drop_index("ix_law_study_hours_totals")
