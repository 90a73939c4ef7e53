"""ix_department_path_sorted: a plain index on department.path, so that PostgreSQL reads
"ORDER BY path" (the tree order of every unit list, the first unit of a scope) from an index:
ix_department_path uses varchar_pattern_ops, which serves "path LIKE '/1/7/%'" only. On SQLite
the two are alike; the table is small.

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-12-04
"""
from alembic import op

revision = "core_0011"
down_revision = "core_0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_department_path_sorted", "department", ["path"])


def downgrade():
    op.drop_index("ix_department_path_sorted", table_name="department")
