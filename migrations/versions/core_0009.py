"""ix_person_list: the people list's filters (status, staffing) and unit in one index, so the pager's
per-unit counts read it alone; it replaces ix_person_status (its first column).

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-12-03
"""
from alembic import op

revision = "core_0009"
down_revision = "core_0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_person_list", "person", ["status", "staffing", "department_id"])
    op.drop_index("ix_person_status", table_name="person")


def downgrade():
    op.create_index("ix_person_status", "person", ["status"])
    op.drop_index("ix_person_list", table_name="person")
